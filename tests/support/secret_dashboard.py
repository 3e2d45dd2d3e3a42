"""The secrets audit's walk through the dashboard with Pilot: every screen and dialog, the copied
fix and the toasts, returned as text to search for canaries."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Static

from tui.app.app import TrackdeckApp
from tui.app.screens.error import ErrorDialog
from tui.app.screens.fleet import FleetScreen
from tui.app.session import Session
from tui.app.widgets.fleet_table import FleetTable

Walk = Callable[[Pilot[None]], object]


def screen_text(app: TrackdeckApp) -> str:
    """What the current screen shows (its SVG rendering) and holds (every text widget, all rows)."""
    texts = [app.export_screenshot()]
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            texts.append(str(widget.render()))
        elif isinstance(widget, DataTable | FleetTable):
            texts += [" ".join(map(str, widget.get_row_at(i))) for i in range(widget.row_count)]
        elif isinstance(widget, OptionList):
            options = (widget.get_option_at_index(i) for i in range(widget.option_count))
            texts += [str(option.prompt) for option in options]
    return "\n".join(texts)


async def settled(app: TrackdeckApp, pilot: Pilot[None]) -> None:
    """Wait until no worker runs and the fleet's scan has finished."""
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause(0.02)
        fleet = next((s for s in app.screen_stack if isinstance(s, FleetScreen)), None)
        if fleet is not None and fleet.finished_at is not None and not fleet.scanning:
            return
    raise TimeoutError("the dashboard's scan did not finish")


async def _select(app: TrackdeckApp, pilot: Pilot[None], key: str) -> None:
    """Put the fleet table's cursor on the row `key` (account/host)."""
    table = app.screen.query_one(FleetTable)
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


async def _step(app: TrackdeckApp, pilot: Pilot[None], *keys: str) -> str:
    await pilot.press(*keys)
    await app.workers.wait_for_complete()
    await pilot.pause(0.02)
    return screen_text(app)


async def walk_dashboard(session: Session, hosts: dict[str, str]) -> list[str]:
    """Fleet, details, copy, help, palette, verify and HTTPS dialogs (done, refused, failed);
    `hosts` maps each account to its host."""
    app = TrackdeckApp(session)
    texts: list[str] = []
    async with app.run_test(size=(160, 50)) as pilot:
        await settled(app, pilot)
        texts.append(screen_text(app))
        for account, host in hosts.items():
            await _select(app, pilot, f"{account}/{host}")
            await pilot.press("c")
            texts.append(str(app.clipboard))
            texts.append(await _step(app, pilot, "enter", "c"))
            texts.append(str(app.clipboard))
            await pilot.press("escape")
        texts.append(await _step(app, pilot, "question_mark"))
        texts.append(await _step(app, pilot, "escape", "ctrl+p", *"Copy"))
        await pilot.press("escape")
        for name, keys in (("sg-main", "v"), ("mg-main", "h"), ("mg-bad", "h"), ("mg-bad", "v")):
            await _select(app, pilot, f"{name}/{hosts[name]}")
            texts.append(await _step(app, pilot, keys))
            texts.append(await _step(app, pilot, "y"))
            texts.append(await _step(app, pilot, "escape"))
            await settled(app, pilot)
        texts += [str(notice.message) for notice in app._notifications]
    return texts


async def error_dialog(session: Session) -> str:
    """The dialog an unexpected error in a worker opens."""
    app = TrackdeckApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 10
        while not isinstance(app.screen, ErrorDialog) and time.monotonic() < deadline:
            await pilot.pause(0.02)
        assert isinstance(app.screen, ErrorDialog)
        await pilot.pause()  # the dialog is pushed before its children are mounted
        return screen_text(app)
