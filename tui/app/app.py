"""The Textual dashboard: bindings, screens and the command palette; the work is in the screens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.app.screens.fleet import FleetScreen
from tui.app.screens.help import HelpScreen
from tui.app.session import Session


class TrackdeckApp(App[None]):
    """trackdeck's dashboard over one session (an inventory, or the demo fleet)."""

    CSS_PATH = "app.tcss"
    TITLE = "trackdeck"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Keys"),
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
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette (ctrl+p): every dashboard action by name."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, FleetScreen):
            for title, help_text, action in PALETTE:
                yield SystemCommand(title, help_text, getattr(screen, f"action_{action}"))


PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Re-check selected host", "Run every check again for the host under the cursor", "recheck"),
    ("Re-check the whole fleet", "Run every check again for every host", "recheck_all"),
    ("Show details", "Findings, evidence and fixes of the selected host", "details"),
    ("Filter", "Filter by host, brand, ESP, account, finding code or health", "filter"),
    ("Clear filter", "Show every host again", "clear_filter"),
    ("Group", "Group by brand, ESP or account", "cycle_group"),
    ("Sort", "Sort by the next column", "cycle_sort"),
    ("Copy fix", "Copy the selected host's most urgent fix", "copy_fix"),
    ("Verify at the ESP", "Ask the ESP to verify the selected host's DNS", "verify"),
    ("Turn HTTPS on", "Preflight, confirm, issue the certificate, switch links to https", "https"),
    (
        "Audit an email",
        "Open a saved message (.eml): every domain in it, its reputation, branded vs shared tracking",
        "audit_email",
    ),
)
