"""The key reference (`?`): every key of every screen, and what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Fleet",
        (
            ("↑ ↓ PgUp PgDn", "move between hosts"),
            ("Enter", "details: every finding, its evidence and its fix"),
            ("/", "filter by host, brand, ESP, account, finding code, or fail / unknown / warn"),
            ("Esc", "clear the filter and grouping"),
            ("g", "group by brand → ESP → account → none"),
            ("s", "sort by the next column (health sorts worst first); or click a header"),
            ("r / R", "re-check the selected host / the whole fleet"),
            ("c", "copy the selected host's most urgent fix"),
            ("v", "trigger verification at the ESP (asks first)"),
            ("h", "turn HTTPS on at the ESP: preflight, confirm, progress, re-check"),
            (
                "e",
                "audit a saved email (.eml): every domain in it, and whether tracking is branded",
            ),
        ),
    ),
    (
        "Details",
        (
            ("↑ ↓", "move between findings"),
            ("c", "copy the highlighted finding's fix (works over SSH via OSC 52)"),
            ("Esc / q", "back to the fleet"),
        ),
    ),
    (
        "Everywhere",
        (
            ("?", "this help"),
            ("Ctrl+P", "command palette: every action by name"),
            ("q", "quit"),
        ),
    ),
)


def help_table() -> Table:
    """The key reference as a two-column table (descriptions wrap under themselves)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row(Text("trackdeck keys", style="bold"), "")
    for section, keys in KEYS:
        table.add_row("", "")
        table.add_row(Text(section, style="bold underline"), "")
        for key, what in keys:
            table.add_row(Text(key, style="bold"), what)
    table.add_row("", "")
    table.add_row("", Text("Health: ✗ fail  ? unknown  ! warn  i info  ✓ ok", style="dim"))
    return table


class HelpScreen(ModalScreen[None]):
    """Every key, in one place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(help_table())
