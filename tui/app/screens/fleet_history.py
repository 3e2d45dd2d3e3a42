"""The fleet screen's memory: after the first frame it loads since when each row's problem has stood;
after each finished scan it records the scan and marks what changed. Both run on worker threads and
only post messages; a history file that cannot be used costs one notification, never the scan."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from rich.markup import escape
from textual import work
from textual.message import Message
from textual.screen import Screen

from checks.model import Severity
from tui.app.session import Session
from tui.fleet.clicks import ClickRules, fall_line, rate_fall
from tui.fleet.rows import FleetRow, RowHistory
from tui.history.files import record_scan
from tui.history.model import INVENTORY, ScanInfo, Timeline
from tui.history.observe import from_fleet
from tui.history.rows import from_record, from_state, subject_of
from tui.history.store import HistoryStore, HistoryUnavailable
from tui.report.document import trackdeck_version


class HistoryRead(Message):
    """Row histories arrived (from the stored state, or from recording a scan), or a problem."""

    def __init__(self, histories: dict[str, RowHistory], problem: str = "") -> None:
        super().__init__()
        self.histories = histories
        self.problem = problem


class HistoryScreen(Screen[None]):
    """The history half of the fleet screen (the fleet screen is one)."""

    session: Session
    rows: dict[str, FleetRow]
    _history_said = ""
    """The history problem last notified (reading and recording fail alike: said once)."""

    def load_history(self) -> None:
        """Read the stored state of every row, after the first frame."""
        if self.session.history is not None and self.session.history.exists():
            self._load_history(tuple(self.rows.values()))

    @work(thread=True, group="history", exit_on_error=False)
    def _load_history(self, rows: tuple[FleetRow, ...]) -> None:
        assert self.session.history is not None
        try:
            with HistoryStore.open(self.session.history, read_only=True) as store:
                known = store.current(subject_of(row) for row in rows)
        except HistoryUnavailable as problem:
            self.post_message(HistoryRead({}, str(problem)))
            return
        self.post_message(HistoryRead(from_state(rows, known, self.session.clock())))

    def record_history(
        self, rows: Sequence[FleetRow], started_at: dt.datetime, finished_at: dt.datetime
    ) -> None:
        """Record a finished scan of `rows` (the whole fleet, or a re-check's rows)."""
        finished = tuple(row for row in rows if not row.pending)
        if self.session.history is not None and finished:
            self._record(finished, started_at, finished_at)

    @work(thread=True, group="history", exit_on_error=False)
    def _record(
        self, rows: tuple[FleetRow, ...], started_at: dt.datetime, finished_at: dt.datetime
    ) -> None:
        path = self.session.history
        assert path is not None
        hosts = from_fleet(rows)
        counts: dict[Severity, int] = {}
        for row in rows:
            if row.health is not None:
                counts[row.health] = counts.get(row.health, 0) + 1
        info = ScanInfo(
            scope=INVENTORY,
            command="dashboard",
            started_at=started_at,
            finished_at=finished_at,
            counts=counts,
            version=trackdeck_version(),
            resolver=", ".join(self.session.options.resolvers) or "system",
        )
        try:
            if self.session.history_seed is not None:
                self.session.history_seed(path, hosts, started_at)
        except HistoryUnavailable as problem:
            self.post_message(HistoryRead({}, str(problem)))
            return
        outcome = record_scan(
            path, info, hosts, keep_days=self.session.inventory.settings.history_days
        )
        if isinstance(outcome, HistoryUnavailable):
            self.post_message(HistoryRead({}, str(outcome)))
            return
        self.post_message(HistoryRead(from_record(rows, outcome)))

    def timeline_of(self, row: FleetRow) -> Timeline | None:
        """The row's timeline (for the details screen, on its worker); None without history."""
        path = self.session.history
        if path is None or not path.exists():
            return None
        rules = ClickRules.of(self.session.inventory.settings)
        first, today = rules.fall_search(self.session.clock().astimezone(dt.UTC).date())
        with HistoryStore.open(path, read_only=True) as store:
            timeline = store.timeline(INVENTORY, [row.host])
            clicks = store.click_days(INVENTORY, [row.host], first, today)
        subject = subject_of(row)
        series = clicks.get(subject)
        return dataclasses.replace(
            timeline,
            transitions=tuple(t for t in timeline.transitions if t.subject == subject),
            observations=tuple(o for o in timeline.observations if o.subject == subject),
            click_line=fall_line(series, rate_fall(series, rules)) if series else "",
        )

    def on_history_read(self, message: HistoryRead) -> None:
        """Put the histories on their rows and redraw those rows."""
        if message.problem and message.problem != self._history_said:
            self.notify(escape(message.problem), title="history", severity="warning", timeout=8)
        self._history_said = message.problem
        changed = []
        for key, history in message.histories.items():
            row = self.rows.get(key)
            if row is not None:
                changed.append(dataclasses.replace(row, history=history))
        self.histories_arrived(changed)

    def histories_arrived(self, rows: list[FleetRow]) -> None:
        """Keep and draw rows whose history changed: the fleet screen, which owns the table."""
        raise NotImplementedError(type(self).__name__)
