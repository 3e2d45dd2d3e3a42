"""The Textual dashboard: bindings, screens and the command palette; the work is in the screens."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.app.keys import documented, key_text, palette_title
from tui.app.screens.fleet import FleetScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.writes import ActionScreen
from tui.app.session import Session

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""A closed SSH session, `kill`, a service manager: the dashboard ends as `q` does, after the
outcome of a write in flight is in the audit log."""


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
        self.terminated_by = 0
        """The signal (SIGTERM, SIGHUP) that ended the dashboard, 0 when it was not one."""

    def on_mount(self) -> None:
        self.push_screen(FleetScreen(self.session))
        self._catch(install=True)

    def on_unmount(self) -> None:
        self._catch(install=False)

    def _catch(self, *, install: bool) -> None:
        """Install (or remove) the handler of TERMINATION_SIGNALS on the event loop;
        only the main thread's loop can (elsewhere the signals keep their default)."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for number in TERMINATION_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                if install:
                    loop.add_signal_handler(number, self._terminated, number)
                else:
                    loop.remove_signal_handler(number)

    def _terminated(self, number: int) -> None:
        """SIGTERM or SIGHUP: end now, or, while a write runs, once its outcome is recorded (its
        wait for a certificate stops at the next poll, as with Escape)."""
        self.terminated_by = number
        writing = [
            screen
            for screen in self.screen_stack
            if isinstance(screen, ActionScreen) and screen.state == "running"
        ]
        for screen in writing:
            screen.stop_for(signal.Signals(number).name)
        if not writing:
            self.exit()

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
