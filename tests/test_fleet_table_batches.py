"""The fleet table under a streaming scan: rows on screen are drawn at once, rows off screen when they
scroll into view (a DataTable re-renders every visible cell after any update), and a rebuild drops
what was waiting."""

from __future__ import annotations

import dataclasses

from textual.app import App, ComposeResult

from checks.model import Expectation, Facts, HostReport, ok
from tui.fleet import FleetRow
from tui.fleet_view import ViewState
from tui.widgets.fleet_table import FleetTable

KEYS = [f"acct/h{index:03d}.brand.example" for index in range(100)]


def _pending(key: str) -> FleetRow:
    return FleetRow(
        key=key, host=key.split("/", 1)[1], brand="Brand", account="acct", esp="mailgun",
        esp_label="Mailgun",
    )  # fmt: skip


def _checked(row: FleetRow) -> FleetRow:
    report = HostReport(
        host=row.host, key=row.key, expectation=Expectation(), facts=Facts(),
        findings=(ok("dns.ok", "CNAME → mailgun.org"),),
    )  # fmt: skip
    return dataclasses.replace(row, report=report)


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FleetTable(id="fleet")


def _health(table: FleetTable, key: str) -> str:
    return str(table.get_cell(key, "health"))


async def test_rows_off_screen_are_drawn_when_they_scroll_into_view() -> None:
    rows = {key: _pending(key) for key in KEYS}
    app = _TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        await pilot.pause()
        table.update_fleet_rows(_checked(row) for row in rows.values())
        await pilot.pause()
        assert "ok" in _health(table, KEYS[0])
        assert "pending" in _health(table, KEYS[-1])
        table.scroll_end(animate=False)
        await pilot.pause()
        assert "ok" in _health(table, KEYS[-1])
        assert "pending" in _health(table, KEYS[50])


async def test_a_rebuild_forgets_rows_waiting_to_be_drawn() -> None:
    rows = {key: _pending(key) for key in KEYS}
    app = _TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(FleetTable)
        table.show(rows, ViewState())
        table.update_fleet_rows(_checked(row) for row in rows.values())
        table.show({key: rows[key] for key in KEYS[:10]}, ViewState(filter_text="h00"))
        await pilot.pause()
        table.scroll_end(animate=False)
        await pilot.pause()
        assert table.row_count == 10
        assert all("pending" in _health(table, key) for key in KEYS[:10])
