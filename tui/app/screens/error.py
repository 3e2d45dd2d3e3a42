"""The dialog for an unexpected error in a worker: what happened, and that the app keeps running."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.worker import Worker

from checks.printable import printable_lines
from tui.inventory.credentials import redact_secret_shapes


class ErrorDialog(ModalScreen[None]):
    """An unexpected error, shown once; dismissing it returns to the dashboard."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "app.pop_screen", "Close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.error_title = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog"):
            yield Static(f"[b $error]{escape(self.error_title)}[/]", id="error-title")
            yield Static(
                f"{escape(self.message)}\n\n[dim]trackdeck keeps running; this task stopped. "
                "Please report it with the steps that led here.[/dim]",
                id="error-message",
            )
            yield Button("Close", id="close", variant="primary")

    def on_button_pressed(self) -> None:
        self.dismiss()


def report_worker_error(node: DOMNode, worker: Worker[object]) -> None:
    """Show an unexpected worker error (secrets scrubbed) in a dialog over the current screen."""
    error = worker.error
    message = printable_lines(redact_secret_shapes(f"{type(error).__name__}: {error}"))
    node.app.push_screen(ErrorDialog(f"Unexpected error in {worker.name or 'a task'}", message))
