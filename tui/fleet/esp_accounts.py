"""Reading each ESP account's own view: a client per account, one list call, or the reason it is
unknown (no key, refused, unreachable); then, with the same client, the click figures of the hosts
the scan asks about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from esp_clients import EspClient, EspError, EspSecret, make_client
from tui.fleet.click_reads import AccountClicks, SwitchWanted, always, read_clicks
from tui.fleet.esp_view import EspAccountView, account_problem
from tui.inventory.model import Account

if TYPE_CHECKING:
    import httpx

ClientFactory = Callable[[Account, EspSecret], EspClient]
"""Makes the client for an account: the real APIs, or simulated ones in the demo and the tests."""


def default_client_factory(
    http_client: httpx.Client | None = None, *, ca_bundle: str | None = None
) -> ClientFactory:
    """Clients talking to the real ESP APIs (or `api_base` overrides), trusting the system's
    store, or `ca_bundle` (--ca-bundle) or SSL_CERT_FILE when set."""

    def factory(account: Account, secret: EspSecret) -> EspClient:
        from esp_clients.tls import api_tls_context  # noqa: PLC0415 - loads ssl and truststore when a client is made

        tls = None if http_client is not None else api_tls_context(ca_bundle)
        return make_client(account.ref(), secret, http_client=http_client, tls=tls)

    return factory


def fetch_account_view(
    account: Account, label: str, secret: EspSecret, client_factory: ClientFactory
) -> tuple[EspAccountView, EspClient | None]:
    """One account's tracking domains from its ESP, or the reason they are unknown; with the
    client, still open for the click figures, when the list was read (closed otherwise)."""
    client = client_factory(account, secret)
    try:
        domains = client.list_tracking_domains()
    except EspError as error:
        client.close()
        problem = account_problem(account.name, label, error)
        return EspAccountView(account=account.name, label=label, problem=problem), None
    except BaseException:
        client.close()
        raise
    view = EspAccountView(
        account=account.name,
        label=label,
        domains=domains,
        capabilities=frozenset(client.capabilities),
    )
    return view, client


def fetch_account_clicks(
    client: EspClient,
    view: EspAccountView,
    hosts: Collection[str],
    window: tuple[dt.date, dt.date],
    wants_switch: SwitchWanted = always,
) -> AccountClicks:
    """The click figures of the account's `hosts` that its ESP lists, over `window` (and the
    click-tracking switch where `wants_switch` says so); then the client is closed."""
    try:
        wanted = [domain for domain in view.domains if domain.host in hosts]
        return read_clicks(client, wanted, window, account=view.account, wants_switch=wants_switch)
    finally:
        client.close()
