"""Reading each ESP account's own view: a client per account, one list call, or the reason it is
unknown (no key, refused, unreachable); then, with the same client, the click figures of the hosts
the scan asks about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from esp_clients import EspClient, EspError, EspSecret, make_client
from tui.fleet.click_reads import NO_CLICKS, AccountClicks, read_clicks
from tui.fleet.esp_view import EspAccountView, account_problem
from tui.inventory.model import Account

if TYPE_CHECKING:
    import httpx

ClientFactory = Callable[[Account, EspSecret], EspClient]
"""Makes the client for an account: the real APIs, or simulated ones in the demo and the tests."""


def default_client_factory(http_client: httpx.Client | None = None) -> ClientFactory:
    """Clients talking to the real ESP APIs (or `api_base` overrides)."""

    def factory(account: Account, secret: EspSecret) -> EspClient:
        return make_client(account.ref(), secret, http_client=http_client)

    return factory


def _nothing_listed(view: EspAccountView) -> None:
    """The default `listed` callback: nobody waits for the list."""


def fetch_account_view(
    account: Account,
    label: str,
    secret: EspSecret,
    client_factory: ClientFactory,
    *,
    listed: Callable[[EspAccountView], None] = _nothing_listed,
    click_hosts: Collection[str] = (),
    click_window: tuple[dt.date, dt.date] | None = None,
) -> tuple[EspAccountView, AccountClicks]:
    """One account's tracking domains from its ESP (or the reason they are unknown), handed to
    `listed` as soon as they are read; then the click figures of `click_hosts` over
    `click_window` (the hosts the ESP lists; none without a window)."""
    client = client_factory(account, secret)
    try:
        try:
            domains = client.list_tracking_domains()
        except EspError as error:
            problem = account_problem(account.name, label, error)
            view = EspAccountView(account=account.name, label=label, problem=problem)
            listed(view)
            return view, NO_CLICKS
        view = EspAccountView(
            account=account.name,
            label=label,
            domains=domains,
            capabilities=frozenset(client.capabilities),
        )
        listed(view)
        if click_window is None:
            return view, NO_CLICKS
        wanted = [domain for domain in domains if domain.host in click_hosts]
        return view, read_clicks(client, wanted, click_window, account=account.name)
    finally:
        client.close()
