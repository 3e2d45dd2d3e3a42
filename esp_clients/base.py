"""What every ESP client shares: the values it reads an ESP's answers into (accounts, tracking
domains, certificates, capabilities) and the client Protocol. Reading the JSON is in `shapes`,
keeping keys out of text in `redaction`, the errors in `errors`."""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from esp_clients.shapes import printable

if TYPE_CHECKING:
    import ssl

    import httpx

    from esp_clients.engagement import ClickScope, ClickSeries, ClickTracking


class Capability(enum.Enum):
    """What an ESP's API may be able to do with a tracking domain."""

    LIST = "list"
    VERIFY = "verify"
    CERTIFICATE = "certificate"
    HTTPS_ENABLE = "https_enable"
    HTTPS_DISABLE = "https_disable"
    CLICK_STATS = "click_stats"
    """Daily deliveries and unique clicks (the click signal)."""
    CLICK_TRACKING = "click_tracking"
    """Whether the ESP rewrites links for click tracking at all."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountRef:
    """The inventory account a client works for; the secret is kept elsewhere (the keyring)."""

    name: str
    esp: str
    region: str = ""
    api_base: str | None = None
    subuser: str | None = None
    subaccount: str | None = None
    allow_insecure_api: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsCredentials:
    """An AWS key pair (and optional session token) for SES; repr shows only the key id."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


EspSecret = str | AwsCredentials
"""What the keyring holds for an account: an API key, or AWS credentials for SES."""


class ClientFactory(Protocol):
    """How `make_client` calls an ESP's client class (the one the registry names)."""

    def __call__(
        self,
        account: AccountRef,
        secret: EspSecret,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tls: ssl.SSLContext | None = None,
    ) -> EspClient:
        """A client for `account` using `secret`, over `http_client` when one is injected (else
        over its own, trusting `tls`)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateState:
    """What the ESP says about the managed TLS certificate of a tracking host."""

    status: str
    detail: str = ""
    expires_at: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", printable(self.detail))
        if self.expires_at is not None:
            object.__setattr__(self, "expires_at", printable(self.expires_at))


UNKNOWN_CERTIFICATE = CertificateState(status="unknown")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingDomain:
    """The ESP's view of one tracking host."""

    host: str
    esp: str
    account: str
    esp_id: str
    verified: bool | None
    cname_valid: bool | None
    expected_target: str | None
    https: bool | None
    certificate: CertificateState
    problems: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    click_tracking: bool | None = None
    """Whether the ESP rewrites links for this domain, where its domain record says so (Resend)."""

    def __post_init__(self) -> None:
        """Escape control characters in every text shown to users (`esp_id` goes back to the API
        as it came): an API answer must not drive the terminal (escape sequences, OSC 52)."""
        object.__setattr__(self, "host", printable(self.host))
        if self.expected_target is not None:
            object.__setattr__(self, "expected_target", printable(self.expected_target))
        object.__setattr__(self, "problems", tuple(printable(text) for text in self.problems))
        details = tuple((printable(key), printable(value)) for key, value in self.details)
        object.__setattr__(self, "details", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsupported:
    """Why an ESP's API cannot do something, so the UI can say so instead of failing."""

    capability: Capability
    reason: str


class EspClient(Protocol):
    """One ESP account's API, reduced to what trackdeck needs about tracking domains."""

    account: AccountRef
    label: str
    capabilities: frozenset[Capability]

    def explain(self, capability: Capability) -> Unsupported | None:
        """Why `capability` is unsupported, or None when the client supports it."""
        ...

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every tracking domain of the account."""
        ...

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask the ESP to re-check the domain's DNS and return its new view."""
        ...

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Ask the ESP to issue a managed certificate for the tracking host."""
        ...

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """The state of the managed certificate of the tracking host."""
        ...

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Switch tracked links to https (or back to http) and return the new view."""
        ...

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """What the ESP's click figures for `domain` cover (the account, or its sending domain)."""
        ...

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """Daily deliveries and unique clicks of `domain`'s scope from `start` to `end` (UTC days,
        read-only); EspUnsupported when the ESP cannot give them."""
        ...

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        """Whether the ESP rewrites links for click tracking in `domain`'s scope (read-only)."""
        ...

    def close(self) -> None:
        """Release the client's connections."""
        ...
