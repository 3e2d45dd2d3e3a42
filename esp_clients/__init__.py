"""Clients for the ESP APIs that expose tracking domains, behind one `EspClient` interface.

Each ESP has one module exposing `create(account, secret, *, http_client, sleep)`; the registry
below maps an ESP name to that module and imports it only when a client for it is made, so a fleet
without SES never loads botocore. Raw JSON never leaves an ESP's module.
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
    EspRateLimited,
    EspRejected,
    EspUnavailable,
    EspUnsupported,
)

if TYPE_CHECKING:
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
    "EspRateLimited",
    "EspRejected",
    "EspSecret",
    "EspUnavailable",
    "EspUnsupported",
    "TrackingDomain",
    "Unsupported",
    "make_client",
]

_MODULES: dict[str, str] = {
    "sendgrid": "esp_clients.sendgrid",
    "mailgun": "esp_clients.mailgun",
    "mandrill": "esp_clients.mandrill",
    "sparkpost": "esp_clients.sparkpost",
    "ses": "esp_clients.ses",
    "resend": "esp_clients.resend",
}

API_ESPS = frozenset(_MODULES)
"""The ESPs whose API trackdeck can ask about tracking domains."""


def make_client(
    account: AccountRef,
    secret: EspSecret,
    *,
    http_client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> EspClient:
    """A client for `account`'s ESP; ValueError when that ESP has no API trackdeck knows."""
    module_name = _MODULES.get(account.esp)
    if module_name is None:
        raise ValueError(f"no API client for ESP {account.esp!r}")
    factory: ClientFactory = importlib.import_module(module_name).create
    return factory(account, secret, http_client=http_client, sleep=sleep)
