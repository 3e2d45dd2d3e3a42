"""The key reference (`?`): every key of every screen and what it does, read from the bindings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.keys import help_rows
from tui.app.screens.detail import DetailScreen, FindingList
from tui.app.screens.fleet import FleetScreen
from tui.app.widgets.fleet_table import FleetTable

Section = tuple[str, Sequence[BindingType]]


def screen_sections() -> list[Section]:
    """The screens' own keys, each screen with the keys of the widget it is about."""
    return [
        ("Fleet", [*FleetTable.BINDINGS, *FleetScreen.BINDINGS]),
        ("Details", [*FindingList.BINDINGS, *DetailScreen.BINDINGS]),
    ]


def help_table(sections: Sequence[Section]) -> Table:
    """The key reference as a two-column table (descriptions wrap under themselves)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row(Text("trackdeck keys", style="bold"), "")
    for section, bindings in sections:
        table.add_row("", "")
        table.add_row(Text(section, style="bold underline"), "")
        for key, what in help_rows(bindings):
            table.add_row(Text(key, style="bold"), what)
    table.add_row("", "")
    table.add_row("", Text("Health: ✗ fail  ? unknown  ! warn  i info  ✓ ok", style="dim"))
    return table


class HelpScreen(ModalScreen[None]):
    """Every key, in one place: the screens' keys, then `everywhere` (the app's own)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close"),
    ]

    def __init__(self, everywhere: Sequence[BindingType]) -> None:
        super().__init__()
        self.sections = [*screen_sections(), ("Everywhere", everywhere)]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static(help_table(self.sections))
