"""Audit a saved message from the dashboard: ask for its path, audit it on a worker thread, show the
domain table and the findings; selecting a tracking host of the fleet jumps to its row."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from checks.model import Finding, Severity
from checks.names import display_host
from checks.printable import printable
from tui.app.screens.error import report_worker_error
from tui.app.session import Session
from tui.email.audit import audit_message, read_message
from tui.email.model import ROLE_WORDS, TRACKING, DomainRow, EmailAudit
from tui.email.output import count_text, host_problems, role_text, sender_domains, verdict_cell
from tui.email.output import tracking_line as tracking_text
from tui.email.parse import EmailParseError
from tui.report.style import SEVERITY_STYLE, health_text

COLUMNS = ("host", "role", "URLs", "verdict")


class MessagePathModal(ModalScreen[str | None]):
    """One input: the path of a saved message (.eml) or HTML file."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="email-path-dialog"):
            yield Static("[b]Audit a saved message[/b]\nThe path of an .eml (or HTML) file:")
            yield Input(placeholder="~/Downloads/message.eml", id="email-path")

    @on(Input.Submitted, "#email-path")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without auditing."""
        self.dismiss(None)


class EmailAudited(Message):
    """The audit of the message finished."""

    def __init__(self, audit: EmailAudit) -> None:
        super().__init__()
        self.audit = audit


class EmailUnreadable(Message):
    """The message could not be read or parsed; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class EmailScreen(Screen[str | None]):
    """The audit of one message; dismisses with a fleet row key when a fleet host is selected."""

    DEFAULT_CSS = """
    EmailScreen { layout: vertical; }
    #email-title { height: auto; padding: 0 1; background: $boost; }
    #email-domains { height: auto; max-height: 50%; }
    #email-findings { height: 1fr; padding: 0 1; border-top: solid $primary; }
    #email-path-dialog {
        width: 80%; max-width: 90; height: auto; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    MessagePathModal { align: center middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("enter", "select", "Go to host", show=True, priority=False),
    ]

    def __init__(self, session: Session, path: str) -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.audit: EmailAudit | None = None
        self.cancelled = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static(f"Auditing [b]{escape(self.path)}[/b] …", id="email-title")
        yield DataTable[Text](id="email-domains", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="email-findings"):
            yield Static(id="email-findings-text")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self._audit()

    def on_unmount(self) -> None:
        """Stop the checks still in flight when the screen goes away."""
        self.cancelled.set()

    @work(thread=True, exclusive=True, group="email-audit", exit_on_error=False)
    def _audit(self) -> None:
        """Read, parse and audit the message on a worker thread; only posts messages."""
        try:
            message = read_message(self.path)
        except EmailParseError as error:
            self.post_message(EmailUnreadable(str(error)))
            return
        session = self.session
        ctx = replace(session.context(), cancelled=self.cancelled)
        audit = audit_message(
            message,
            ctx,
            source=self.path,
            inventory=session.inventory,
            max_domains=session.inventory.settings.email_max_domains,
            concurrency=session.options.concurrency,
        )
        self.post_message(EmailAudited(audit))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in the audit shows the error dialog; the dashboard keeps running."""
        if event.state is WorkerState.ERROR:
            report_worker_error(self, event.worker)

    def on_email_unreadable(self, message: EmailUnreadable) -> None:
        self.query_one("#email-title", Static).update(
            f"[b $error]Cannot audit {escape(self.path)}[/]: {escape(message.reason)}"
        )

    def on_email_audited(self, message: EmailAudited) -> None:
        self.audit = message.audit
        self.query_one("#email-title", Static).update(title_text(message.audit))
        table = self.query_one(DataTable)
        for row in message.audit.domains:
            table.add_row(*row_cells(row), key=row.host)
        self.query_one("#email-findings-text", Static).update(findings_text(message.audit))
        table.focus()

    def selected(self) -> DomainRow | None:
        """The domain row under the cursor."""
        table = self.query_one(DataTable)
        if self.audit is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.audit.domains if row.host == key), None)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_select()

    def action_select(self) -> None:
        """Jump to the selected tracking host's row in the fleet, or say why there is none."""
        row = self.selected()
        if row is None:
            return
        if row.role.fleet_key:
            self.dismiss(row.role.fleet_key)
        elif row.role.role == TRACKING:
            self.notify(
                f"{shown(row.host)} is not in the inventory: add it to follow it in the fleet."
            )
        else:
            self.notify(f"{shown(row.host)} is a {ROLE_WORDS[row.role.role]}, not a tracking host.")

    def action_back(self) -> None:
        """Back to the fleet, cursor unchanged."""
        self.dismiss(None)


def title_text(audit: EmailAudit) -> Text:
    """The message's sender, subject, domains, tracking verdict and health (text, never markup)."""
    message = audit.message
    health = audit.health
    who = message.from_header if message.kind == "eml" else f"{audit.source} (HTML file)"
    return Text("\n").join(
        [
            Text.assemble((who or "(no From)", "bold"), "  ·  ", message.subject or "(no subject)"),
            Text(sender_domains(audit)),
            tracking_text(audit),
            Text.assemble(
                health_text(health),
                f"  ·  {len(audit.domains)} hosts  ·  Enter on a fleet host jumps to its row",
            ),
        ]
    )


def row_cells(row: DomainRow) -> tuple[Text, ...]:
    """The table cells of one host (network text stays text, never markup)."""
    host = Text(display_host(row.host))
    return (host, Text(role_text(row)), Text(count_text(row)), verdict_cell(row))


def findings_text(audit: EmailAudit) -> Text:
    """Every problem with its fix: the message's findings, then each host's."""
    items: list[tuple[str, Finding]] = [
        ("", finding) for finding in audit.findings if finding.severity is not Severity.OK
    ]
    items += host_problems(audit.domains)
    if not items:
        return Text("✓ nothing to fix", style=SEVERITY_STYLE[Severity.OK])
    lines = []
    for subject, finding in items:
        lines.append(
            Text.assemble(
                (f"{subject}  " if subject else "", "bold"),
                health_text(finding.severity),
                " ",
                (finding.code, "dim"),
                "  ",
                finding.title,
            )
        )
        if finding.fix:
            lines.append(Text.assemble("    ", ("fix: ", "bold"), finding.fix))
    return Text("\n").join(lines)


def shown(text: str) -> str:
    """Text from a message for markup (a notification): control characters and markup escaped."""
    return escape(printable(text))
