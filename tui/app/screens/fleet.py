"""The main screen: the fleet table, its summary line, filter, grouping, sorting and re-checks."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from checks.model import Severity
from tui.app.messages import RowChecked, ScanFinished, ScanStarted
from tui.app.screens.error import report_worker_error
from tui.app.screens.fleet_history import HistoryScreen
from tui.app.session import FleetScanning, Session
from tui.app.widgets.fleet_table import FleetTable
from tui.fleet.rows import FleetRow
from tui.fleet.view import COLUMNS, GROUPS, ViewState, counts, tally_of
from tui.report.summary import SCAN_NOTICES

SORTABLE = tuple(key for key, _ in COLUMNS)
ROWS_INTERVAL = 0.25
"""Seconds between two batches of checked rows drawn while a scan streams them in."""


class FleetScreen(HistoryScreen):
    """One row per tracking host; rows fill in as the scan streams results."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "details",
            "Details",
            priority=False,
            tooltip="details: every finding, its evidence and its fix",
        ),
        Binding("r", "recheck", "Re-check", tooltip="re-check the selected host"),
        Binding("R", "recheck_all", "Re-check all", tooltip="re-check the whole fleet"),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip="filter by host, brand, ESP, account, finding code, or fail / unknown / warn",
        ),
        Binding(
            "escape", "clear_filter", "Clear", show=False, tooltip="clear the filter and grouping"
        ),
        Binding("g", "cycle_group", "Group", tooltip="group by brand → ESP → account → none"),
        Binding(
            "s",
            "cycle_sort",
            "Sort",
            tooltip="sort by the next column (health sorts worst first); or click a header",
        ),
        Binding("c", "copy_fix", "Copy fix", tooltip="copy the selected host's most urgent fix"),
        Binding("v", "verify", "Verify", tooltip="trigger verification at the ESP (asks first)"),
        Binding(
            "h",
            "https",
            "HTTPS",
            tooltip="turn HTTPS on at the ESP: preflight, confirm, progress, re-check",
        ),
        Binding(
            "d",
            "changed_only",
            "Changed",
            show=False,
            tooltip="show only the hosts the last scan changed (again: show all)",
        ),
        Binding(
            "x",
            "expiry",
            "Expiry",
            show=False,
            tooltip="the certificate-expiry forecast: which certificates end next, by week",
        ),
        Binding(
            "e",
            "audit_email",
            "Audit email",
            show=False,
            tooltip="audit a saved email (.eml): every domain in it, and whether tracking is branded",
        ),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.rows: dict[str, FleetRow] = {}
        self.view = ViewState()
        self.scanning = False
        self.progress = (0, 0)
        self.finished_at: dt.datetime | None = None
        self._refresh_timer: Timer | None = None
        self._rows_timer: Timer | None = None
        self._arrived: list[FleetRow] = []
        self._noticed: set[tuple[str, str]] = set()
        """The scan notices (a resolver that stopped answering) already shown, by code and title."""
        self._fleet: FleetScanning | None = None
        self._scan_keys: tuple[str, ...] = ()
        self._scan_started = dt.datetime.now(dt.UTC)
        self._tally: dict[str, int] = counts(())

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield FleetTable(id="fleet")
        yield Input(
            placeholder="/ filter: host, brand, ESP, account, finding code, fail, unknown …",
            id="filter",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.rows = {row.key: row for row in self.session.pending_rows()}
        self._tally = counts(self.rows.values())
        self._redraw()
        hold_garbage()
        self.call_after_refresh(self.start_scan)
        self.call_after_refresh(self.load_history)

    # -- scanning -------------------------------------------------------------------------

    def start_scan(self, keys: Sequence[str] = ()) -> None:
        """Start a scan of every row, or of `keys`; never two at once."""
        if self.scanning:
            self.notify("A scan is already running.", severity="warning")
            return
        self.scanning = True
        self._cancel_refresh()
        self._scan_keys = tuple(keys)
        self._scan_started = self.session.clock()
        self._scan(tuple(keys))

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def _scan(self, keys: tuple[str, ...]) -> None:
        """Run the fleet scan on a worker thread; only posts messages."""
        fleet = self.session.fleet_scan(only_keys=keys)
        self._fleet = fleet
        self.post_message(ScanStarted(len(fleet.rows()), keys))
        for row in fleet.run():
            self.post_message(RowChecked(row))
        self.post_message(ScanFinished(self.session.clock(), fleet.cancelled))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A scan that died of a bug ends the scan state and shows the error dialog."""
        if event.state is WorkerState.ERROR:
            self.scanning = False
            self._update_summary()
            report_worker_error(self, event.worker)

    def on_unmount(self) -> None:
        """Stop the scan's threads promptly when the screen goes away (quit)."""
        if self._fleet is not None:
            self._fleet.cancel()

    def on_scan_started(self, message: ScanStarted) -> None:
        self.progress = (0, message.total)
        for key in message.keys:
            row = self.rows.get(key)
            if row is not None and not row.pending:
                self._put(_as_pending(row))
                self.query_one(FleetTable).update_fleet_row(self.rows[key])
        self._update_summary()

    def on_row_checked(self, message: RowChecked) -> None:
        """Keep the row; rows are drawn in batches (`ROWS_INTERVAL`): drawing each as it streams
        in re-renders the table per row, and key presses would queue behind the rows."""
        self._arrived.append(message.row)
        if self._rows_timer is None:
            self._rows_timer = self.set_timer(ROWS_INTERVAL, self._apply_rows)

    def _apply_rows(self) -> None:
        """Draw the rows that arrived since the last batch."""
        if self._rows_timer is not None:
            self._rows_timer.stop()
            self._rows_timer = None
        arrived, self._arrived = self._arrived, []
        self._notice(arrived)
        is_new = any(row.key not in self.rows for row in arrived)
        for row in arrived:
            self._put(row)
        done, total = self.progress
        self.progress = (done + len(arrived), max(total, done + len(arrived)))
        if is_new:
            self._redraw()
            return
        self.query_one(FleetTable).update_fleet_rows(arrived)
        self._update_summary()
        hold_garbage()

    def _notice(self, arrived: list[FleetRow]) -> None:
        """Say a scan notice (a resolver that stopped answering) as it arrives, once: it explains
        every `unknown` row below it, and its row may be anywhere in the table."""
        for row in arrived:
            for finding in row.findings:
                said = (finding.code, finding.title)
                if finding.code in SCAN_NOTICES and said not in self._noticed:
                    self._noticed.add(said)
                    self.notify(
                        f"{finding.title}. {finding.fix}",
                        title=finding.code,
                        severity="error" if finding.severity is Severity.UNKNOWN else "warning",
                        timeout=30,
                        markup=False,
                    )

    def on_scan_finished(self, message: ScanFinished) -> None:
        self._apply_rows()
        self.scanning = False
        first = self.finished_at is None
        self.finished_at = message.finished_at
        self._redraw()
        collect_garbage()
        if first:
            table = self.query_one(FleetTable)
            table.move_cursor(row=0)
            table.scroll_home(animate=False)
        if not message.cancelled:
            keys = self._scan_keys or tuple(self.rows)
            scanned = [self.rows[key] for key in keys if key in self.rows]
            self.record_history(scanned, self._scan_started, message.finished_at)
        self._arm_refresh()

    def histories_arrived(self, rows: list[FleetRow]) -> None:
        """Keep the rows with their history and draw them (the `since` column)."""
        for row in rows:
            self._put(row)
        if self.view.changed_only:
            self._redraw()
        else:
            self.query_one(FleetTable).update_fleet_rows(rows)

    def _arm_refresh(self) -> None:
        """Periodic refresh, re-armed only after a scan finished, so scans never overlap."""
        interval = self.session.refresh_interval
        if interval > 0:
            self._refresh_timer = self.set_timer(interval, self.start_scan)

    def _cancel_refresh(self) -> None:
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None

    # -- drawing --------------------------------------------------------------------------

    def _redraw(self) -> None:
        self.query_one(FleetTable).show(self.rows, self.view)
        self._update_summary()

    def _put(self, row: FleetRow) -> None:
        """Keep `row`, and the summary's counts with it (recounting 1,000 rows per batch of
        results would cost more than drawing them)."""
        old = self.rows.get(row.key)
        if old is not None:
            self._tally[tally_of(old)] -= 1
        self._tally[tally_of(row)] += 1
        self.rows[row.key] = row

    def _update_summary(self) -> None:
        tally = self._tally
        parts = [
            f"[b $error]✗ {tally['fail']} fail[/]",
            f"[b $accent]? {tally['unknown']} unknown[/]",
            f"[$warning]! {tally['warn']} warn[/]",
            f"[$success]✓ {tally['ok']} ok[/]",
        ]
        if tally["pending"]:
            parts.append(f"… {tally['pending']} pending")
        done, total = self.progress
        if self.scanning:
            parts.append(f"scanning {done}/{total}")
        elif self.finished_at is not None:
            parts.append(f"last scan {self.finished_at:%H:%M:%S %Z}")
        table = self.query_one(FleetTable)
        if self.view.filter_text or self.view.group != "none":
            parts.append(
                f"showing {table.shown_count}/{len(self.rows)}"
                + (f" · filter “{self.view.filter_text}”" if self.view.filter_text else "")
                + (f" · by {self.view.group}" if self.view.group != "none" else "")
            )
        if self.session.read_only:
            parts.append("[reverse] READ-ONLY [/]")
        # one line high (app.tcss): no layout pass, which would repaint the whole screen
        self.query_one("#summary", Static).update("  ·  ".join(parts), layout=False)

    def selected_row(self) -> FleetRow | None:
        """The row under the cursor."""
        key = self.query_one(FleetTable).selected_key()
        return self.rows.get(key) if key else None

    # -- actions --------------------------------------------------------------------------

    def action_recheck(self) -> None:
        """Re-check the selected host."""
        row = self.selected_row()
        if row is not None:
            self.start_scan([row.key])

    def action_recheck_all(self) -> None:
        """Re-check the whole fleet."""
        self.start_scan()

    def action_filter(self) -> None:
        """Show the filter box."""
        self.set_focus(self.query_one(Input))  # now: keys typed right after "/" go in the box

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.view = replace(self.view, filter_text=event.value)
        self._redraw()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.set_focus(self.query_one(FleetTable))

    def action_clear_filter(self) -> None:
        """Clear the filter and grouping."""
        self.query_one(Input).value = ""
        self.view = ViewState(sort=self.view.sort, changed_only=self.view.changed_only)
        self._redraw()
        self.set_focus(self.query_one(FleetTable))

    def action_cycle_group(self) -> None:
        """Group by none → brand → ESP → account."""
        group = GROUPS[(GROUPS.index(self.view.group) + 1) % len(GROUPS)]
        self.view = replace(self.view, group=group)
        self._redraw()
        self.notify(f"grouped by {group}" if group != "none" else "no grouping", timeout=2)

    def action_cycle_sort(self) -> None:
        """Sort by the next column (health = worst first)."""
        self.sort_by(SORTABLE[(SORTABLE.index(self.view.sort) + 1) % len(SORTABLE)])

    def sort_by(self, column: str) -> None:
        """Sort the table by `column`."""
        self.view = replace(self.view, sort=column)
        self._redraw()
        self.notify(f"sorted by {dict(COLUMNS)[column]}", timeout=2)

    @on(FleetTable.HeaderSelected)
    def _header_selected(self, event: FleetTable.HeaderSelected) -> None:
        self.sort_by(event.column)

    @on(FleetTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_details()

    def action_details(self) -> None:
        """Open the selected host's findings and fixes."""
        from tui.app.screens.detail import DetailScreen  # noqa: PLC0415 - loaded on first use

        row = self.selected_row()
        if row is None:
            return
        if row.history is not None and row.history.marked:  # looked at: the mark goes
            row = replace(row, history=replace(row.history, seen=True))
            self.histories_arrived([row])
        self.app.push_screen(DetailScreen(row, timeline=self.timeline_of))

    def action_changed_only(self) -> None:
        """Show only the rows the last recorded scan changed; again to show every row."""
        self.view = replace(self.view, changed_only=not self.view.changed_only)
        self._redraw()
        self.notify("only what changed" if self.view.changed_only else "every host", timeout=2)

    def action_expiry(self) -> None:
        """The certificate-expiry forecast."""
        from tui.app.screens.expiry import ExpiryScreen  # noqa: PLC0415 - loaded on first use

        hosts = frozenset((entry.account, entry.host) for entry in self.session.inventory.entries)
        self.app.push_screen(ExpiryScreen(self.session.history, self.session.clock(), hosts))

    def action_copy_fix(self) -> None:
        """Copy the worst problem's fix of the selected host."""
        row = self.selected_row()
        problems = [f for f in (row.findings if row else ()) if f.fix and f.severity.rank < 3]
        if not problems:
            self.notify("Nothing to fix on this host.", timeout=3)
            return
        worst = min(problems, key=lambda finding: finding.severity.rank)
        self.app.copy_to_clipboard(worst.fix)
        self.notify(f"Copied the fix for {worst.code}.", timeout=3)

    def action_verify(self) -> None:
        """Trigger ESP verification of the selected host (asks first)."""
        self._open_write("verify")

    def action_https(self) -> None:
        """Run the guarded HTTPS flow for the selected host."""
        self._open_write("https")

    def _open_write(self, kind: str) -> None:
        """The write's modal for the selected row; the row is re-checked if the write happened."""
        from tui.app.screens.writes import ActionScreen  # noqa: PLC0415 - loaded on first use

        row = self.selected_row()
        if row is None:
            return

        def recheck(wrote: bool | None) -> None:
            if wrote:
                self.start_scan([row.key])

        self.app.push_screen(ActionScreen(self.session.actions(), row, kind), recheck)

    def action_audit_email(self) -> None:
        """Ask for a saved message's path, then audit every domain in it."""
        from tui.app.screens.email_audit import MessagePathModal  # noqa: PLC0415 - loaded on first use

        self.app.push_screen(MessagePathModal(), self._audit_message)

    def _audit_message(self, path: str | None) -> None:
        """Open the audit of `path`; a fleet host chosen there moves the cursor to it."""
        from tui.app.screens.email_audit import EmailScreen  # noqa: PLC0415 - loaded on first use

        if path:
            self.app.push_screen(EmailScreen(self.session, path), self.jump_to)

    def jump_to(self, key: str | None) -> None:
        """Put the cursor on the row `key` (clearing a filter that hides it); None: stay put."""
        if not key or key not in self.rows:
            return
        table = self.query_one(FleetTable)
        if not table.has_row(key):
            self.action_clear_filter()
        table.move_cursor(row=table.get_row_index(key))
        self.set_focus(table)


def hold_garbage() -> None:
    """Take every object alive now out of the cyclic collector's walks (`gc.freeze`, O(1)).

    A full collection visits every tracked object; with Textual, the inventory and a fleet's
    results in memory it took 35–85 ms, long enough to stall a key press while a scan streams in.
    Reference counting still frees these objects at once; only garbage cycles among them wait for
    `collect_garbage`, which the screen calls when a scan ends."""
    gc.freeze()


def collect_garbage() -> None:
    """Collect everything held since the last scan ended, then hold what survives."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _as_pending(row: FleetRow) -> FleetRow:
    """The row while it is being re-checked: its old results are kept out of the counts."""
    return replace(row, report=None, esp_findings=(), clicks=None, click_findings=())
