"""Clients for the ESP APIs that expose tracking domains, behind one `EspClient` interface.

Each ESP with an API has one module holding its client class (an `esp_clients.client.ApiClient`);
the registry (`esp_clients.registry`) names that class, and `make_client` imports its module only
when a client for it is made, so a fleet without SES never loads botocore. Raw JSON never leaves an
ESP's module.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from esp_clients.base import (
    AccountRef,
    AwsCredentials,
    Capability,
    CertificateState,
    ClientFactory,
    EspClient,
    EspSecret,
    TrackingDomain,
    Unsupported,
)
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspError,
    EspNotFound,
    EspOutcomeUnknown,
    EspRateLimited,
    EspRejected,
    EspTlsUntrusted,
    EspUnavailable,
    EspUnsupported,
)
from esp_clients.registry import API_ESPS, ENTRIES

if TYPE_CHECKING:
    import ssl

    import httpx  # the clients import it when one is made: the dashboard starts without it

__all__ = [
    "API_ESPS",
    "AccountRef",
    "AwsCredentials",
    "Capability",
    "CertificateState",
    "EspAuthError",
    "EspBadResponse",
    "EspClient",
    "EspError",
    "EspNotFound",
    "EspOutcomeUnknown",
    "EspRateLimited",
    "EspRejected",
    "EspSecret",
    "EspTlsUntrusted",
    "EspUnavailable",
    "EspUnsupported",
    "TrackingDomain",
    "Unsupported",
    "make_client",
]


def make_client(
    account: AccountRef,
    secret: EspSecret,
    *,
    http_client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    tls: ssl.SSLContext | None = None,
) -> EspClient:
    """A client for `account`'s ESP; ValueError when that ESP has no API trackdeck knows. `tls`
    is the trust of a client made here (default: esp_clients.tls.api_tls_context())."""
    entry = ENTRIES.get(account.esp)
    if entry is None or not entry.has_api:
        raise ValueError(f"no API client for ESP {account.esp!r}")
    factory: ClientFactory = getattr(importlib.import_module(entry.module), entry.class_name)
    return factory(account, secret, http_client=http_client, sleep=sleep, tls=tls)
