"""Reading each ESP account's own view: a client per account, one list call, or the reason it is
unknown (no key, refused, unreachable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from esp_clients import EspClient, EspError, EspSecret, make_client
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
) -> EspAccountView:
    """One account's tracking domains from its ESP, or the reason they are unknown."""
    client = client_factory(account, secret)
    try:
        domains = client.list_tracking_domains()
    except EspError as error:
        return EspAccountView(
            account=account.name, label=label, problem=account_problem(account.name, label, error)
        )
    finally:
        client.close()
    return EspAccountView(
        account=account.name,
        label=label,
        domains=domains,
        capabilities=frozenset(client.capabilities),
    )
