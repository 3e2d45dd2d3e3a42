"""The fleet table: one line per (account, host), drawn with Textual's line API.

A DataTable re-renders every visible cell after any update, which took 100–250 ms per batch of
streamed results on a 120×40 terminal and made key presses wait behind it. This table keeps each
row's rendered line until that row changes: a streamed result repaints one line, a cursor move two.
The header stays on the first line; the rows scroll beneath it, horizontally together with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from checks.model import Severity
from tui.fleet.rows import FleetRow
from tui.fleet.view import COLUMNS, ViewState, arrange, cells
from tui.report.style import SEVERITY_STYLE

GROUP_PREFIX = "group:"
PADDING = 1
"""Blank cells each side of a column's text."""

CellValue = tuple[Severity | None, str]


def cell_style(severity: Severity | None, text: str) -> str:
    """A cell's style: by severity (the symbol and word carry the meaning without colour)."""
    if severity is None:
        return "dim" if text.startswith("…") else ""
    return SEVERITY_STYLE[severity]


@dataclass(slots=True)
class _Line:
    """One line of the table: a fleet row's cells, or a group heading (`heading` set)."""

    key: str
    values: tuple[CellValue, ...] = ()
    heading: str = ""


_MOVE = "move between hosts"


class FleetTable(ScrollView, can_focus=True):
    """Fleet rows laid out by `show`, updated in place by `update_fleet_rows` as results stream in."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fleet-table--header",
        "fleet-table--heading",
        "fleet-table--odd-row",
        "fleet-table--even-row",
        "fleet-table--cursor",
    }

    DEFAULT_CSS = """
    FleetTable {
        background: $surface;
        color: $foreground;
        &:focus {
            & > .fleet-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .fleet-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .fleet-table--heading {
            text-style: bold;
        }
        & > .fleet-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .fleet-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .fleet-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, tooltip=_MOVE),
        Binding("down", "cursor_down", "Down", show=False, tooltip=_MOVE),
        Binding("pageup", "page_up", "Page up", show=False, tooltip=_MOVE),
        Binding("pagedown", "page_down", "Page down", show=False, tooltip=_MOVE),
        Binding("home", "cursor_home", "First", show=False, tooltip="the first / last host"),
        Binding("end", "cursor_end", "Last", show=False, tooltip="the first / last host"),
        Binding("left", "scroll_left", "Left", show=False, tooltip="scroll the columns sideways"),
        Binding(
            "right", "scroll_right", "Right", show=False, tooltip="scroll the columns sideways"
        ),
        Binding("enter", "select", "Select", show=False),
    ]

    class RowSelected(Message):
        """Enter (or a click on the row under the cursor) on a fleet row."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class HeaderSelected(Message):
        """A click on a column header."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[_Line] = []
        self._index: dict[str, int] = {}
        self._widths = [cell_len(header) for _, header in COLUMNS]
        self._strips: dict[str, dict[tuple[object, ...], Strip]] = {}
        self._header: tuple[tuple[object, ...], Strip] | None = None
        self._shown = 0
        self.cursor_row = 0

    # -- content ----------------------------------------------------------------------------

    def show(self, rows: Mapping[str, FleetRow], view: ViewState) -> None:
        """Lay out the rows for `view`, keeping the cursor on the same host if it is still shown."""
        selected = self.selected_key()
        lines: list[_Line] = []
        shown = 0
        for label, section in arrange(rows.values(), view):
            if label:
                heading = f"▸ {label} ({len(section)})"
                lines.append(_Line(key=GROUP_PREFIX + label, heading=heading))
            for row in section:
                lines.append(_Line(key=row.key, values=_values(row)))
                shown += 1
        self._lines = lines
        self._index = {line.key: index for index, line in enumerate(lines)}
        self._shown = shown
        self._widths = _widths(lines)
        self._strips.clear()
        self._resize()
        cursor = self._index.get(selected, self.cursor_row) if selected else self.cursor_row
        self.cursor_row = max(0, min(cursor, len(lines) - 1))
        self.refresh()

    def update_fleet_rows(self, rows: Iterable[FleetRow]) -> None:
        """Update rows in place (no re-sort: the cursor and scroll stay put); only the lines of
        rows on screen are repainted, and only theirs."""
        widened = False
        for row in rows:
            index = self._index.get(row.key)
            if index is None:
                continue
            values = _values(row)
            self._lines[index].values = values
            self._strips.pop(row.key, None)
            for column, (_, text) in enumerate(values):
                if cell_len(text) > self._widths[column]:
                    self._widths[column] = cell_len(text)
                    widened = True
            if not widened:
                self.refresh_line(index + 1)
        if widened:
            self._strips.clear()
            self._resize()
            self.refresh()

    def update_fleet_row(self, row: FleetRow) -> None:
        """Update one row in place."""
        self.update_fleet_rows((row,))

    def _resize(self) -> None:
        width = sum(self._widths) + 2 * PADDING * len(self._widths)
        self.virtual_size = Size(width, len(self._lines) + 1)

    # -- queries ----------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Lines in the table, group headings included."""
        return len(self._lines)

    @property
    def row_keys(self) -> list[str]:
        """Every line's key, in display order."""
        return [line.key for line in self._lines]

    @property
    def shown_count(self) -> int:
        """How many fleet rows pass the filter."""
        return self._shown

    def has_row(self, key: str) -> bool:
        """Whether the row `key` is shown."""
        return key in self._index

    def get_row_index(self, key: str) -> int:
        """The line number of row `key` (KeyError when it is not shown)."""
        return self._index[key]

    def get_row_at(self, index: int) -> tuple[str, ...]:
        """The texts of line `index`."""
        line = self._lines[index]
        return (line.heading,) if line.heading else tuple(text for _, text in line.values)

    def get_cell(self, key: str, column: str) -> str:
        """The text of one cell."""
        position = [name for name, _ in COLUMNS].index(column)
        return self._lines[self._index[key]].values[position][1]

    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None on a group heading or an empty table)."""
        if not self._lines:
            return None
        key = self._lines[self.cursor_row].key
        return None if key.startswith(GROUP_PREFIX) else key

    # -- cursor -----------------------------------------------------------------------------

    @property
    def _page(self) -> int:
        return max(1, self.size.height - 1)

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on line `row`, scrolling it into view unless `scroll` is False."""
        if not self._lines:
            return
        old, self.cursor_row = self.cursor_row, max(0, min(row, len(self._lines) - 1))
        if old != self.cursor_row:
            self.refresh_line(old + 1)
            self.refresh_line(self.cursor_row + 1)
        if scroll:
            self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self._page:
            self.scroll_to(y=self.cursor_row - self._page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        """One line up."""
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        """One line down."""
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        """One screenful up."""
        self.move_cursor(row=self.cursor_row - self._page)

    def action_page_down(self) -> None:
        """One screenful down."""
        self.move_cursor(row=self.cursor_row + self._page)

    def action_cursor_home(self) -> None:
        """The first line."""
        self.move_cursor(row=0)

    def action_cursor_end(self) -> None:
        """The last line."""
        self.move_cursor(row=len(self._lines) - 1)

    def action_select(self) -> None:
        """Open the row under the cursor."""
        key = self.selected_key()
        if key is not None:
            self.post_message(self.RowSelected(key))

    def on_click(self, event: events.Click) -> None:
        """A header sorts by its column; a row gets the cursor, and is opened if it had it."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = _column_at(self._widths, offset.x + round(self.scroll_x))
            if column is not None:
                self.post_message(self.HeaderSelected(COLUMNS[column][0]))
            return
        index = offset.y - 1 + round(self.scroll_y)
        if 0 <= index < len(self._lines):
            if index == self.cursor_row:
                self.action_select()
            else:
                self.move_cursor(row=index)

    def _on_focus(self, event: events.Focus) -> None:
        self._repaint_cursor()

    def _on_blur(self, event: events.Blur) -> None:
        self._repaint_cursor()

    def _repaint_cursor(self) -> None:
        if self._lines:
            self.refresh_line(self.cursor_row + 1)

    # -- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Line `y` of the widget: the header, then the rows from the scroll position on."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.get_component_rich_style("fleet-table--odd-row")  # cached, unlike rich_style
        if y == 0:
            strip = self._header_strip()
        else:
            index = y - 1 + scroll_y
            if index >= len(self._lines):
                return Strip.blank(width, base)
            strip = self._row_strip(index)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _header_strip(self) -> Strip:
        style = self.get_component_rich_style("fleet-table--header")
        key = (style, tuple(self._widths))
        if self._header is None or self._header[0] != key:
            texts = [(header, "") for _, header in COLUMNS]
            self._header = (key, _strip(texts, self._widths, style))
        return self._header[1]

    def _row_strip(self, index: int) -> Strip:
        line = self._lines[index]
        variant = "fleet-table--even-row" if index % 2 else "fleet-table--odd-row"
        style = self.get_component_rich_style(variant)
        cursor = index == self.cursor_row
        if line.heading:
            style += self.get_component_rich_style("fleet-table--heading")
        over = self.get_component_rich_style("fleet-table--cursor") if cursor else None
        cache_key = (style, over, tuple(self._widths))
        cached = self._strips.setdefault(line.key, {})
        strip = cached.get(cache_key)
        if strip is None:
            if line.heading:
                total = sum(self._widths) + 2 * PADDING * len(self._widths)
                text = (" " * PADDING + line.heading).ljust(total)
                strip = Strip([Segment(text, style + over if over else style)])
            else:
                texts = [(text, cell_style(severity, text)) for severity, text in line.values]
                strip = _strip(texts, self._widths, style, over)
            cached.clear()  # one variant per row: the newest styles
            cached[cache_key] = strip
        return strip


def _values(row: FleetRow) -> tuple[CellValue, ...]:
    values = cells(row)
    return tuple(values[key] for key, _ in COLUMNS)


def _widths(lines: Iterable[_Line]) -> list[int]:
    widths = [cell_len(header) for _, header in COLUMNS]
    for line in lines:
        for column, (_, text) in enumerate(line.values):
            widths[column] = max(widths[column], cell_len(text))
    return widths


def _strip(
    texts: Iterable[tuple[str, str]], widths: list[int], style: Style, over: Style | None = None
) -> Strip:
    """One table line: each text padded to its column's width, in the row's style plus its own."""
    segments = []
    pad = " " * PADDING
    for (text, own), width in zip(texts, widths, strict=True):
        cell = style + Style.parse(own) if own else style
        if over is not None:
            cell += over
        segments.append(Segment(pad + text + " " * (width - cell_len(text)) + pad, cell))
    return Strip(segments, sum(widths) + 2 * PADDING * len(widths))


def _column_at(widths: list[int], x: int) -> int | None:
    edge = 0
    for column, width in enumerate(widths):
        edge += width + 2 * PADDING
        if x < edge:
            return column
    return None
