"""The fleet table widget: a streamed result repaints its own line only, rows off screen cost nothing
until they scroll in, the cursor and the header behave like a table, and a rebuild keeps the cursor
on its host."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip

import tui.app.widgets.fleet_table as fleet_table_module
from checks.model import Expectation, Facts, Finding, HostReport, Severity, ok
from tui.app.widgets.fleet_table import FleetTable
from tui.fleet.rows import FleetRow
from tui.fleet.view import ViewState

KEYS = [f"acct/h{index:03d}.brand.example" for index in range(100)]


def _pending(key: str, brand: str = "Brand") -> FleetRow:
    return FleetRow(
        key=key, host=key.split("/", 1)[1], brand=brand, account="acct", esp="mailgun",
        esp_label="Mailgun",
    )  # fmt: skip


def _checked(row: FleetRow, *, broken: bool = False) -> FleetRow:
    finding = (
        Finding(code="dns.dangling", severity=Severity.FAIL, title="target does not resolve")
        if broken
        else ok("dns.ok", "ok")
    )
    report = HostReport(
        host=row.host, key=row.key, expectation=Expectation(), facts=Facts(), findings=(finding,)
    )
    return dataclasses.replace(row, report=report)


class _TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[str] = []
        self.headers: list[str] = []

    def compose(self) -> ComposeResult:
        yield FleetTable(id="fleet")

    def on_fleet_table_row_selected(self, message: FleetTable.RowSelected) -> None:
        self.selected.append(message.key)

    def on_fleet_table_header_selected(self, message: FleetTable.HeaderSelected) -> None:
        self.headers.append(message.column)


def _line(table: FleetTable, y: int) -> str:
    return table.render_line(y).text


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the table lines built (each row's line is kept until the row changes)."""
    calls: list[int] = []
    original = fleet_table_module._strip

    def counting(
        texts: Iterable[tuple[str, str]], widths: list[int], style: Style, over: Style | None = None
    ) -> Strip:
        calls.append(1)
        return original(texts, widths, style, over)

    monkeypatch.setattr(fleet_table_module, "_strip", counting)
    return calls


async def test_a_streamed_result_rebuilds_only_its_own_line(built: list[int]) -> None:
    rows = {key: _pending(key) for key in KEYS}
    rows[KEYS[0]] = _checked(rows[KEYS[0]])  # the columns already have a result's width
    app = _TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState(sort="host"))
        await pilot.pause()
        assert "pending" in _line(table, 3)
        built.clear()
        table.update_fleet_rows([_checked(rows[KEYS[2]])])
        await pilot.pause()
        assert len(built) == 1  # the row's line; the header and other rows come from the cache
        assert "✓ ok" in _line(table, 3)
        assert "pending" in _line(table, 2)


async def test_rows_off_screen_cost_nothing_until_they_scroll_in(built: list[int]) -> None:
    rows = {key: _pending(key) for key in KEYS}
    rows[KEYS[0]] = _checked(rows[KEYS[0]], broken=True)
    app = _TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        await pilot.pause()
        built.clear()
        table.update_fleet_rows([_checked(rows[KEYS[-1]], broken=True)])
        await pilot.pause()
        assert built == []
        assert "fail" in table.get_cell(KEYS[-1], "health")
        table.action_cursor_end()
        await pilot.pause()
        last = table.size.height - 1
        assert KEYS[-1].split("/")[1] in _line(table, last)
        assert "✗ fail" in _line(table, last)


async def test_keys_move_the_cursor_and_keep_it_on_screen() -> None:
    rows = {key: _pending(key) for key in KEYS}
    app = _TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        table.focus()
        await pilot.press("down", "down")
        assert table.selected_key() == KEYS[2]
        await pilot.press("pagedown")
        page = table.size.height - 1
        assert table.cursor_row == 2 + page
        assert round(table.scroll_y) <= table.cursor_row < round(table.scroll_y) + page
        await pilot.press("end")
        assert table.selected_key() == KEYS[-1]
        assert KEYS[-1].split("/")[1] in _line(table, table.size.height - 1)
        await pilot.press("up")
        assert table.selected_key() == KEYS[-2]
        await pilot.press("home")
        assert table.selected_key() == KEYS[0]
        assert round(table.scroll_y) == 0
        assert "health" in _line(table, 0)  # the header stays on the first line
        await pilot.press("enter")
        assert app.selected == [KEYS[0]]


async def test_clicks_sort_by_a_header_and_open_the_row_under_the_cursor() -> None:
    rows = {key: _pending(key) for key in KEYS[:5]}
    app = _TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        await pilot.pause()
        header = _line(table, 0)
        await pilot.click(FleetTable, offset=(header.index("host") + 1, 0))
        assert app.headers == ["host"]
        await pilot.click(FleetTable, offset=(5, 3))
        assert table.selected_key() == KEYS[2]
        assert app.selected == []
        await pilot.click(FleetTable, offset=(5, 3))
        assert app.selected == [KEYS[2]]


async def test_a_rebuild_keeps_the_cursor_on_its_host_and_groups_get_headings() -> None:
    rows = {key: _pending(key, brand="Alpha" if i % 2 else "Beta") for i, key in enumerate(KEYS)}
    app = _TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        table.move_cursor(row=7)
        chosen = table.selected_key()
        table.show(rows, ViewState(group="brand"))
        await pilot.pause()
        assert chosen is not None and table.selected_key() == chosen
        assert table.row_keys[0] == "group:Alpha"
        assert table.get_row_at(0) == ("▸ Alpha (50)",)
        assert table.shown_count == 100 and table.row_count == 102
        table.move_cursor(row=0)
        assert table.selected_key() is None  # a heading is no host
        table.show({KEYS[3]: rows[KEYS[3]]}, ViewState(filter_text="h003"))
        assert table.row_keys == [KEYS[3]] and table.selected_key() == KEYS[3]


async def test_wider_results_widen_the_column_and_narrow_terminals_scroll_sideways() -> None:
    rows = {key: _pending(key) for key in KEYS[:3]}
    app = _TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        table.focus()
        before = table.virtual_size.width
        table.update_fleet_rows([_checked(rows[KEYS[0]], broken=True)])
        await pilot.pause()
        assert table.virtual_size.width > before
        assert "✗ fail" in _line(table, 1)
        await pilot.press("right", "right", "right", "right", "right")
        assert table.scroll_x > 0
        assert not _line(table, 0).startswith(" health")  # the header scrolled along
        assert not _line(table, 1).startswith(" ✗ fail")
