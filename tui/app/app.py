"""The Textual dashboard: bindings, screens and the command palette; the work is in the screens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.app.keys import documented, key_text, palette_title
from tui.app.screens.fleet import FleetScreen
from tui.app.screens.help import HelpScreen
from tui.app.session import Session


class TrackdeckApp(App[None]):
    """trackdeck's dashboard over one session (an inventory, or the demo fleet)."""

    CSS_PATH = "app.tcss"
    TITLE = "trackdeck"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="quit"),
        Binding("question_mark", "help", "Keys", tooltip="this help"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.title = session.title
        if session.read_only:
            self.sub_title = "read-only"

    def on_mount(self) -> None:
        self.push_screen(FleetScreen(self.session))

    def action_help(self) -> None:
        """Show every key."""
        if not isinstance(self.screen, HelpScreen):
            palette = Binding(
                self.COMMAND_PALETTE_BINDING,
                "command_palette",
                tooltip="command palette: every action by name",
            )
            self.push_screen(HelpScreen([*self.BINDINGS, palette]))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette (ctrl+p): every documented key of the fleet screen, by what it does."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, FleetScreen):
            for binding in documented(screen.BINDINGS):
                yield SystemCommand(
                    palette_title(binding),
                    f"key {key_text(binding)}",
                    getattr(screen, f"action_{binding.action}"),
                )
