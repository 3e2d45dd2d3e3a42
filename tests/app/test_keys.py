"""The help screen and the command palette are read from the bindings: no key is written twice."""

from __future__ import annotations

from textual.binding import Binding

from tui.app.keys import documented, help_rows, key_text, palette_title
from tui.app.screens.detail import DetailScreen
from tui.app.screens.fleet import FleetScreen
from tui.app.screens.help import screen_sections


def test_key_text_names_keys_as_a_keyboard_does() -> None:
    assert key_text(Binding("slash", "filter")) == "/"
    assert key_text(Binding("escape,q", "back")) == "Esc / q"
    assert key_text(Binding("ctrl+p", "palette")) == "Ctrl+P"
    assert key_text(Binding("x", "go", key_display="⏎")) == "⏎"


def test_neighbours_that_do_the_same_share_a_row_and_plumbing_is_left_out() -> None:
    bindings = [
        Binding("up", "up", tooltip="move"),
        Binding("down", "down", tooltip="move"),
        Binding("enter", "select"),
        Binding("r", "recheck", tooltip="re-check"),
    ]
    assert help_rows(bindings) == [("↑ ↓", "move"), ("r", "re-check")]


def test_every_action_key_of_the_fleet_and_details_is_documented() -> None:
    for screen in (FleetScreen, DetailScreen):
        actions = {b.action for b in Binding.make_bindings(screen.BINDINGS)}
        assert actions == {b.action for b in documented(screen.BINDINGS)}, screen.__name__
    rows = [row for _, bindings in screen_sections() for row in help_rows(bindings)]
    assert ("R", "re-check the whole fleet") in rows


def test_the_palette_offers_every_documented_fleet_key() -> None:
    titles = [palette_title(binding) for binding in documented(FleetScreen.BINDINGS)]
    assert "Re-check the whole fleet" in titles
    assert len(titles) == len(set(titles)) == len(FleetScreen.BINDINGS)
    assert all(hasattr(FleetScreen, f"action_{b.action}") for b in documented(FleetScreen.BINDINGS))
