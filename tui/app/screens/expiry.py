"""The certificate-expiry forecast (`x`): every tracking host's certificate end date from the
scan history, soonest first, by week; ESP-managed certificates whose renewal is overdue flagged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.history.expiry import OVERDUE_DAYS, Expiry, by_week, forecast
from tui.history.model import INVENTORY
from tui.history.observe import CERTIFICATE_NAMES
from tui.history.store import HistoryStore, HistoryUnavailable

HORIZON_DAYS = 60


class ForecastRead(Message):
    """The forecast (or why there is none) arrived from the worker."""

    def __init__(self, items: list[Expiry], problem: str = "") -> None:
        super().__init__()
        self.items = items
        self.problem = problem


class ExpiryScreen(ModalScreen[None]):
    """The expiry calendar over the next `HORIZON_DAYS` days."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,x", "app.pop_screen", "Close"),
    ]

    def __init__(
        self, history: Path | None, now: dt.datetime, hosts: frozenset[tuple[str, str]]
    ) -> None:
        super().__init__()
        self.history = history
        self.now = now
        self.hosts = hosts
        """The inventory's (account, host) pairs: a host removed from it is not forecast."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="expiry-dialog"):
            yield Static("reading the history…", id="expiry-text")

    def on_mount(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="expiry", exit_on_error=False)
    def _read(self) -> None:
        if self.history is None or not self.history.exists():
            self.post_message(ForecastRead([], "No history yet: it starts with the first scan."))
            return
        try:
            with HistoryStore.open(self.history, read_only=True) as store:
                observed = store.observed_now(INVENTORY, CERTIFICATE_NAMES, self.hosts)
        except HistoryUnavailable as problem:
            self.post_message(ForecastRead([], str(problem)))
            return
        self.post_message(ForecastRead(forecast(observed, self.now, HORIZON_DAYS)))

    def on_forecast_read(self, message: ForecastRead) -> None:
        text = self.query_one("#expiry-text", Static)
        if message.problem:
            text.update(Text(message.problem))
            return
        text.update(calendar(message.items, HORIZON_DAYS))


def calendar(items: list[Expiry], days: int) -> Group:
    """The forecast under a title, one section per week."""
    title = Text(f"Certificates ending within {days} days\n", style="bold")
    if not items:
        return Group(title, Text("none"))
    table = Table.grid(padding=(0, 2))
    for _ in range(5):
        table.add_column(no_wrap=True)
    for week, entries in by_week(items):
        table.add_row(Text(f"week of {week:%d %b}", style="bold underline"), "", "", "", "")
        for item in entries:
            table.add_row(
                f"{item.not_after:%a %d %b}",
                Text(item.subject.host, style="bold"),
                Text(item.subject.account, style="dim"),
                _left(item),
                _verdict(item),
            )
        table.add_row("", "", "", "", "")
    note = Text(
        f"ESP-managed certificates renew about 30 days ahead: under {OVERDUE_DAYS} days left is a "
        "failing renewal, not a date to wait for.",
        style="dim",
    )
    return Group(title, table, note)


def _left(item: Expiry) -> Text:
    if item.days_left < 0:
        return Text(f"ended {-item.days_left}d ago", style="bold red")
    style = "bold red" if item.overdue else ("yellow" if item.days_left < 30 else "")
    return Text(f"{item.days_left}d left", style=style)


def _verdict(item: Expiry) -> Text:
    if item.days_left < 0:
        return Text("✗ expired", style="bold red")
    if item.overdue:
        return Text("✗ renewal overdue", style="bold red")
    if item.managed:
        return Text("the ESP renews it", style="dim")
    return Text(item.issuer or "issuer unknown", style="dim")
