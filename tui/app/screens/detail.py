"""One host in full: every finding with its detail, evidence and fix; DNS's view beside the ESP's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from checks.model import Finding
from checks.names import display_host
from tui.app.widgets.click_chart import click_chart
from tui.fleet.rows import FleetRow, RowHistory
from tui.history.model import Timeline, Transition
from tui.history.store import HistoryUnavailable
from tui.report.age import age
from tui.report.style import SEVERITY_STYLE
from tui.report.summary import SYMBOLS

NARROW = 110
"""Below this width the details stack their halves."""


def finding_label(finding: Finding) -> Text:
    """One line per finding in the list: symbol, severity, code, title (network text stays text)."""
    mark = f"{SYMBOLS[finding.severity]} {finding.severity.value:<8}"
    return Text.assemble(
        (mark, SEVERITY_STYLE[finding.severity]),
        (finding.code, "dim"),
        (" · ", "dim"),
        finding.title,
    )


def finding_text(finding: Finding) -> str:
    """The full finding: detail, fix and evidence (markup-safe)."""
    lines = [f"[b]{escape(finding.title)}[/b]", ""]
    if finding.detail:
        lines += [escape(finding.detail), ""]
    if finding.fix:
        lines += [
            "[b]fix[/b] [dim](c copies it)[/dim]",
            f"[b $success]{escape(finding.fix)}[/]",
            "",
        ]
    if finding.evidence:
        lines.append("[b]evidence[/b]")
        lines += [f"[dim]·[/dim] {escape(line)}" for line in finding.evidence]
    return "\n".join(lines)


def dns_view(row: FleetRow) -> str:
    """What DNS, TLS and the blocklists say (markup-safe)."""
    if row.report is None:
        return "[dim]… still checking[/dim]"
    facts = row.report.facts
    lines = ["[b]DNS's view[/b]", " → ".join(facts.cname_chain) or row.host]
    if facts.addresses:
        lines.append("addresses: " + ", ".join(facts.addresses))
    if facts.caa_owner:
        lines.append(f"CAA at {facts.caa_owner}: " + ("; ".join(facts.caa_records) or "none"))
    if facts.tls_issuer:
        lines.append(f"certificate: {facts.tls_issuer}, {facts.tls_days_left} days left")
        lines.append("names: " + ", ".join(facts.tls_sans))
    if facts.http_status is not None:
        lines.append(f"HTTPS answers {facts.http_status}")
    lines += [f"{answer}" for answer in facts.blocklist_answers]
    return escape("\n".join(lines[1:])).join(["[b]DNS's view[/b]\n", ""])


def esp_view(row: FleetRow) -> str:
    """What the ESP's API says (markup-safe)."""
    view = row.esp_view
    header = f"[b]{escape(row.esp_label)}'s view[/b] ({escape(row.account)})\n"
    if view is None:
        unknown = [f for f in row.esp_findings if f.code.startswith("esp.")]
        return header + escape(unknown[0].title if unknown else "not asked")
    lines = [
        f"verified: {_yes_no(view.verified)}",
        f"CNAME valid: {_yes_no(view.cname_valid)}",
        f"expects: {view.expected_target or '—'}",
        f"HTTPS: {_yes_no(view.https)}",
        f"certificate: {view.certificate.status}"
        + (f" until {view.certificate.expires_at}" if view.certificate.expires_at else ""),
    ]
    lines += [f"{key}: {value}" for key, value in view.details]
    lines += [f"says: {problem}" for problem in view.problems]
    return header + escape("\n".join(lines))


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not reported"}[value]


TIMELINE_EVENTS = 12
"""The most recent changes the details show (`trackdeck history HOST` has them all)."""


class TimelineRead(Message):
    """The host's timeline arrived (None: no history kept), or why it could not be read."""

    def __init__(self, timeline: Timeline | None, problem: str = "") -> None:
        super().__init__()
        self.timeline = timeline
        self.problem = problem


def timeline_text(timeline: Timeline | None, problem: str, history: RowHistory | None) -> Text:
    """The host's recent history: its worst problem's age, then the last changes, newest first."""
    text = Text("History\n", style="bold")
    if problem:
        return text.append(problem)
    if timeline is None:
        return text.append("not kept (history = false, or no scan recorded yet)", style="dim")
    if history is not None and history.change in ("new", "worse"):
        text.append(f"worst problem {history.change} in the last scan\n")
    elif history is not None and history.since is not None:
        text.append(f"worst problem standing for {age(history.since, history.as_of)}\n")
    if timeline.click_line:
        text.append(f"{timeline.click_line}\n", style="magenta")
    events: list[tuple[dt.datetime, Text]] = [
        (t.at, _transition_line(t)) for t in timeline.transitions if t.noteworthy
    ] + [
        (o.at, Text(f"{o.name} = {o.value if o.value is not None else '(gone)'}"))
        for o in timeline.observations
    ]
    events.sort(key=lambda event: event[0], reverse=True)
    for at, line in events[:TIMELINE_EVENTS]:
        text.append(f"{at:%Y-%m-%d %H:%M}  ", style="dim").append_text(line).append("\n")
    if len(events) > TIMELINE_EVENTS:
        text.append(
            f"… {len(events) - TIMELINE_EVENTS} earlier: trackdeck history HOST", style="dim"
        )
    return text


def _transition_line(transition: Transition) -> Text:
    before = transition.before.value if transition.before else "—"
    after = transition.after.value if transition.after else "gone"
    style = SEVERITY_STYLE[transition.after] if transition.after else "green"
    return Text.assemble((transition.code, "dim"), " ", (f"{before} → {after}", style))


class FindingList(OptionList):
    """The host's findings, worst first; its arrow keys say what they do on the help screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, tooltip="move between findings"),
        Binding("down", "cursor_down", "Down", show=False, tooltip="move between findings"),
    ]


class DetailScreen(Screen[None]):
    """The selected host's findings (worst first) and both views of it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", tooltip="back to the fleet"),
        Binding(
            "c",
            "copy_fix",
            "Copy fix",
            tooltip="copy the highlighted finding's fix (works over SSH via OSC 52)",
        ),
    ]

    def __init__(
        self, row: FleetRow, *, timeline: Callable[[FleetRow], Timeline | None] | None = None
    ) -> None:
        super().__init__()
        self.row = row
        self.read_timeline = timeline
        self.findings = sorted(row.findings, key=lambda finding: finding.severity.rank)

    def compose(self) -> ComposeResult:
        health = self.row.health
        state = f"{SYMBOLS[health]} {health.value}" if health else "… pending"
        yield Static(
            f"[b]{escape(display_host(self.row.host))}[/b]  {state}  ·  {escape(self.row.brand)}  ·  "
            f"{escape(self.row.esp_label)}/{escape(self.row.account)}",
            id="detail-title",
        )
        with Horizontal(id="detail-body"):
            with Vertical(id="detail-left"):
                yield FindingList(
                    *(Option(finding_label(f), id=str(i)) for i, f in enumerate(self.findings)),
                    id="findings",
                )
                with Horizontal(id="views"):
                    yield Static(dns_view(self.row), id="dns-view")
                    yield Static(esp_view(self.row), id="esp-view")
                yield Static(id="clicks-view")
            with VerticalScroll(id="detail-right"):
                yield Static(id="finding-text")
                yield Static(id="timeline")
        yield Footer()

    def on_resize(self) -> None:
        """Stack the two halves on narrow terminals (80×24 over SSH)."""
        self._narrow(self.size.width < NARROW)

    def on_mount(self) -> None:
        self._narrow(self.size.width < NARROW)
        options = self.query_one(OptionList)
        if self.findings:
            options.highlighted = 0
        options.focus()
        if self.read_timeline is not None:
            self._load_timeline()

    @work(thread=True, exclusive=True, group="timeline", exit_on_error=False)
    def _load_timeline(self) -> None:
        """The host's history, read on a worker (the file may be large, the disk slow)."""
        assert self.read_timeline is not None
        try:
            timeline = self.read_timeline(self.row)
        except HistoryUnavailable as problem:
            self.post_message(TimelineRead(None, str(problem)))
            return
        self.post_message(TimelineRead(timeline))

    def on_timeline_read(self, message: TimelineRead) -> None:
        text = timeline_text(message.timeline, message.problem, self.row.history)
        self.query_one("#timeline", Static).update(text)

    def _narrow(self, narrow: bool) -> None:
        """Stack the halves, and shorten the click chart to two lines, when `narrow`."""
        self.set_class(narrow, "narrow")
        self.query_one("#clicks-view", Static).update(click_chart(self.row, compact=narrow))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        finding = self.findings[event.option_index]
        self.query_one("#finding-text", Static).update(finding_text(finding))

    def current(self) -> Finding | None:
        """The highlighted finding."""
        index = self.query_one(OptionList).highlighted
        return self.findings[index] if index is not None and self.findings else None

    def action_copy_fix(self) -> None:
        """Copy the highlighted finding's fix (OSC 52 over SSH)."""
        finding = self.current()
        if finding is None or not finding.fix:
            self.notify("This finding has no fix to copy.", timeout=3)
            return
        self.app.copy_to_clipboard(finding.fix)
        self.notify(f"Copied the fix for {finding.code}.", timeout=3)
