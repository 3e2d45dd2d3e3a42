"""The guarded write actions in the dashboard: verification and the HTTPS flow, each in a modal
that says why an action is unavailable, asks before writing, shows progress and can be cancelled."""

from __future__ import annotations

import threading
from typing import ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from checks.model import Severity
from tui.actions.writes import HTTPS_ENABLE, VERIFY, ActionRefused, ActionResult, Actions, Preflight
from tui.app.messages import ActionProgressed
from tui.app.screens.error import report_worker_error
from tui.fleet.rows import FleetRow
from tui.report.summary import SYMBOLS


class ActionChecked(Message):
    """The worker found out whether the action may run (`refusal` None) and, for HTTPS, the
    preflight."""

    def __init__(self, refusal: str | None, preflight: Preflight | None = None) -> None:
        super().__init__()
        self.refusal = refusal
        self.preflight = preflight


class ActionDone(Message):
    """The write finished (or was refused while running)."""

    def __init__(self, result: ActionResult | None, refusal: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.refusal = refusal


class ActionScreen(ModalScreen[bool]):
    """Check → confirm → run → result, for `verify` or `https`; dismisses True if it wrote."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "confirm", "Yes", show=False),
    ]

    def __init__(self, actions: Actions, row: FleetRow, kind: str) -> None:
        super().__init__()
        self.actions = actions
        self.row = row
        self.kind = kind
        self.preflight: Preflight | None = None
        self.state = "checking"
        self.cancel_event = threading.Event()
        self.wrote = False
        self.stopping = ""
        """The signal the dashboard was asked to end by while this write ran ("" until then)."""

    @property
    def verb(self) -> str:
        """What the action does, in words."""
        return "trigger verification of" if self.kind == "verify" else "turn HTTPS on for"

    def compose(self) -> ComposeResult:
        with Vertical(id="action-dialog"):
            yield Static(
                f"[b]{escape(self.verb[0].upper() + self.verb[1:])} {escape(self.row.host)}[/b]\n"
                f"{escape(self.row.esp_label)} account {escape(self.row.account)}",
                id="action-title",
            )
            with VerticalScroll(id="action-body"):
                yield Static("checking what the ESP allows…", id="action-text")
            with Horizontal(id="action-buttons"):
                yield Button("Yes, do it", id="confirm", variant="warning", disabled=True)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._check()

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def _check(self) -> None:
        """Ask whether the action may run and, for HTTPS, run the preflight (network: a worker)."""
        refusal = self.actions.can(self.row.host, self._action_name(), self.row.account)
        if refusal is not None or self.kind == "verify":
            self.post_message(ActionChecked(refusal))
            return
        try:
            preflight = self.actions.preflight_https(self.row.host, self.row.account)
        except ActionRefused as refused:
            self.post_message(ActionChecked(str(refused)))
            return
        self.post_message(ActionChecked(None, preflight))

    def _action_name(self) -> str:
        return VERIFY if self.kind == "verify" else HTTPS_ENABLE

    def on_action_checked(self, message: ActionChecked) -> None:
        text = self.query_one("#action-text", Static)
        if message.refusal is not None:
            self.state = "refused"
            text.update(f"[b $warning]Not available:[/] {escape(message.refusal)}")
            self.query_one("#cancel", Button).label = "Close"
            self.query_one("#confirm", Button).display = False
            return
        self.preflight = message.preflight
        self.state = "confirm"
        text.update(self._confirm_text())
        confirm = self.query_one("#confirm", Button)
        confirm.disabled = self.preflight is not None and not self.preflight.passed
        if not confirm.disabled:
            confirm.focus()

    def _confirm_text(self) -> str:
        if self.preflight is None:
            return (
                f"Ask {escape(self.row.esp_label)} to check the DNS of {escape(self.row.host)} "
                "again now?\n\n[dim]y or Enter to confirm, Escape to cancel.[/dim]"
            )
        lines = ["[b]Preflight[/b] (nothing is written until you confirm)"]
        lines += [
            f"[$success]✓[/] {escape(finding.title)}"
            for finding in self.preflight.report.findings
            if finding.severity is Severity.OK and finding.code.startswith(("dns.", "caa.", "esp."))
        ]
        for finding in self.preflight.blocking:
            lines.append(f"[b $error]✗[/] {escape(finding.title)}")
            lines.append(f"    fix: {escape(finding.fix)}")
        if self.preflight.passed:
            lines.append(
                "[b $success]Preflight passed[/]: nothing stops the ESP from issuing the certificate."
            )
            lines.append(
                "\nThe ESP will issue a certificate (this can take minutes), then links switch "
                "to https://.\n[dim]y or Enter to confirm, Escape to cancel.[/dim]"
            )
        else:
            lines.append("\n[b]HTTPS stays off[/b]: fix the problems above first, then re-check.")
        return "\n".join(lines)

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        """Run the write."""
        if self.state != "confirm" or self.query_one("#confirm", Button).disabled:
            return
        self.state = "running"
        self.query_one("#confirm", Button).disabled = True
        self.query_one("#action-text", Static).update("working…")
        self._run()

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def _run(self) -> None:
        """The write itself, on a worker; progress arrives as messages."""
        try:
            if self.kind == "verify":
                result = self.actions.verify(self.row.host, self.row.account)
            else:
                result = self.actions.enable_https(
                    self.row.host,
                    self.row.account,
                    progress=self._progress,
                    cancelled=self.cancel_event,
                    preflight=self.preflight,
                )
        except ActionRefused as refused:
            self.post_message(ActionDone(None, str(refused)))
            return
        self.post_message(ActionDone(result))

    def _progress(self, text: str) -> None:
        """Called on the worker thread: forward progress as a message."""
        self.post_message(ActionProgressed(text))

    def on_action_progressed(self, message: ActionProgressed) -> None:
        self.query_one("#action-text", Static).update(
            f"{escape(message.text)}\n\n[dim]Escape stops waiting (HTTPS then stays off).[/dim]"
        )

    def stop_for(self, signal_name: str) -> None:
        """The dashboard is asked to end (SIGTERM, SIGHUP) while this write runs: stop at the next
        step, as Escape does, and end the dashboard once the outcome is in the audit log."""
        self.stopping = signal_name
        self.cancel_event.set()
        self.query_one("#action-text", Static).update(
            f"{signal_name}: stopping after the current step, once its outcome is recorded…"
        )

    def _ended(self) -> None:
        """The write's worker is over (its outcome recorded): end the dashboard if asked to."""
        self.state = "done"
        if self.stopping:
            self.app.exit()

    def on_action_done(self, message: ActionDone) -> None:
        self._ended()
        if self.stopping:
            return
        self.query_one("#confirm", Button).display = False
        self.query_one("#cancel", Button).label = "Close"
        self.query_one("#cancel", Button).focus()
        text = self.query_one("#action-text", Static)
        if message.result is None:
            text.update(f"[b $warning]Refused:[/] {escape(message.refusal or '')}")
            return
        self.wrote = True
        result = message.result
        mark = "[b $success]✓ done[/]" if result.ok else "[b $error]✗ not done[/]"
        lines = [f"{mark} {escape(result.message)}"]
        if result.recheck is not None:
            worst = result.recheck.health
            lines.append(f"TLS re-check: {SYMBOLS[worst]} {worst.value}")
            lines += [
                f"  {SYMBOLS[f.severity]} {escape(f.title)}"
                for f in result.recheck.findings
                if f.code.startswith(("tls.", "http.")) and f.severity is not Severity.INFO
            ]
        text.update("\n".join(lines))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A bug in the action's worker: close this dialog and show the error dialog."""
        if event.state is WorkerState.ERROR:
            self._ended()
            report_worker_error(self, event.worker)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Escape: cancel a running flow (it stops at the next poll), or close the dialog."""
        if self.state == "running":
            self.cancel_event.set()
            self.query_one("#action-text", Static).update("cancelling after the current step…")
            return
        self.dismiss(self.wrote)
