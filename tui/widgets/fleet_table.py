"""The fleet table: one row per (account, host), updated in place by key as results stream in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.widgets import DataTable

from checks.model import Severity
from tui.fleet import FleetRow
from tui.fleet_view import COLUMNS, ViewState, arrange, cells
from tui.output import SEVERITY_STYLE

GROUP_PREFIX = "group:"


def styled(severity: Severity | None, text: str) -> Text:
    """A cell's text, coloured by severity (the symbol and word carry the meaning without colour)."""
    if severity is None:
        return Text(text, style="dim" if text.startswith("…") else "")
    return Text(text, style=SEVERITY_STYLE[severity])


class FleetTable(DataTable[Text]):
    """A DataTable that knows fleet rows: `show` lays them out, `refresh_row` updates one in place."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: set[str] = set()
        self._stale: dict[str, FleetRow] = {}

    def on_mount(self) -> None:
        for key, header in COLUMNS:
            self.add_column(header, key=key)

    def show(self, rows: Mapping[str, FleetRow], view: ViewState) -> None:
        """Lay out the rows for `view`, keeping the cursor on the same host if it is still shown."""
        selected = self.selected_key()
        self._stale = {}
        self.clear()
        self._shown = set()
        for label, section in arrange(rows.values(), view):
            if label:
                heading = Text(f"▸ {label} ({len(section)})", style="bold")
                self.add_row(heading, *[Text("")] * (len(COLUMNS) - 1), key=GROUP_PREFIX + label)
            for row in section:
                values = cells(row)
                self.add_row(*(styled(*values[key]) for key, _ in COLUMNS), key=row.key)
                self._shown.add(row.key)
        if selected in self._shown:
            self.move_cursor(row=self.get_row_index(selected), scroll=False)

    def update_fleet_rows(self, rows: Iterable[FleetRow]) -> None:
        """Update rows in place; rows outside the viewport are updated when they scroll into it:
        any update makes the DataTable re-render every visible cell, so a batch of rows that are
        not on screen must not cost a re-render (key presses would wait behind it)."""
        for row in rows:
            if row.key in self._shown:
                self._stale[row.key] = row
        self._update_visible()

    def _update_visible(self) -> None:
        if not self._stale:
            return
        top = int(self.scroll_y) - 1
        bottom = top + self.size.height + 2
        for key, row in list(self._stale.items()):
            if key not in self._shown:
                del self._stale[key]
            elif top <= self.get_row_index(key) <= bottom:
                del self._stale[key]
                self.update_fleet_row(row)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Bring rows that scroll into view up to date."""
        super().watch_scroll_y(old_value, new_value)
        self._update_visible()

    def update_fleet_row(self, row: FleetRow) -> None:
        """Update one row's cells in place (no re-sort: the cursor and scroll stay put)."""
        if row.key not in self._shown:
            return
        values = cells(row)
        for key, _ in COLUMNS:
            self.update_cell(row.key, key, styled(*values[key]))

    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None on a group heading or an empty table)."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if key is None or key.startswith(GROUP_PREFIX):
            return None
        return key

    @property
    def shown_count(self) -> int:
        """How many fleet rows pass the filter."""
        return len(self._shown)
