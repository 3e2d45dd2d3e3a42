"""What every ESP client shares: its values and Protocol, and small text and JSON helpers."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import ipaddress
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import ssl

    import httpx

    from esp_clients.engagement import ClickScope, ClickSeries, ClickTracking

MESSAGE_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def printable(text: str) -> str:
    """`text` with each control character written as a visible escape (``\\x1b``)."""
    return _CONTROL.sub(lambda found: "".join(f"\\x{ord(c):02x}" for c in found.group()), text)


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


def sanitize(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One printable line of at most `limit` characters (for ESP messages shown to users)."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


MIN_BASE64_CORE = 8
"""Shorter base64 cores are not redacted: they would match ordinary text."""


def base64_cores(secret: str) -> tuple[str, ...]:
    """The base64 characters that encode `secret` wherever it sits in a longer encoded value, one
    per alignment (three): an HTTP Basic value (base64 of `api:KEY` for Mailgun) holds one of them
    whatever the user name. The characters at the edges, which also encode the neighbours, are left
    out."""
    data = secret.encode()
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        first = -(-8 * shift // 6)  # the first character made of the secret's bits only
        last = 8 * (shift + len(data)) // 6  # one past the last such character
        core = encoded[first:last]
        if len(core) >= MIN_BASE64_CORE:
            cores.append(core)
    return tuple(cores)


def secret_forms(secret: str) -> tuple[str, ...]:
    """`secret` as it can appear in text: itself, URL-encoded, and inside base64 (Basic auth)."""
    if not secret:
        return ()
    return (secret, urllib.parse.quote(secret, safe=""), *base64_cores(secret))


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret (also URL-encoded, or inside a base64 value) replaced by `***`."""
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, "***")
    return text


def without_userinfo(url: str) -> str:
    """`url` with any `user:password@` removed: what may be shown of an API address."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def url_secrets(url: str) -> tuple[str, ...]:
    """The user name and password inside `url`, if any (never shown)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ()
    user = parts.username if parts.username and len(parts.username) >= MIN_BASE64_CORE else None
    return tuple(part for part in (user, parts.password) if part)


def is_loopback_url(url: str) -> bool:
    """Whether `url`'s host is this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_api_problem(url: str, *, allowed: bool) -> str | None:
    """Why `url` may not carry an API key, or None: plain http sends the key in clear to every
    network in between, so only loopback (a local proxy or test server) or an explicit opt-in
    (`allow_insecure_api = true`) may use it."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "it is not a URL"
    if parts.scheme.lower() != "http" or allowed or is_loopback_url(url):
        return None
    return (
        "plain http:// would send the API key in clear to every network on the way; use https://, "
        "or set allow_insecure_api = true in this account if the path is private (an internal proxy)"
    )


def normalize_host(name: str) -> str:
    """A host name in lower case without surrounding spaces or a trailing dot."""
    return name.strip().rstrip(".").lower()


def quote_segment(value: str) -> str:
    """`value` escaped for use as one URL path segment."""
    return urllib.parse.quote(value, safe="")


class ShapeError(ValueError):
    """Raised by pure parse helpers when JSON does not have the documented shape."""


def as_mapping(value: object, what: str) -> Mapping[str, object]:
    """`value` as a JSON object, or ShapeError naming `what`."""
    if not isinstance(value, Mapping):
        raise ShapeError(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[object]:
    """`value` as a JSON array, or ShapeError naming `what`."""
    if not isinstance(value, list):
        raise ShapeError(f"{what} is not a JSON array")
    return value


@functools.lru_cache(maxsize=4096)
def iso_day(text: str | None, what: str) -> dt.date:
    """The day an ESP's ISO 8601 date or time (`2026-12-03`, `2026-12-03 07:00:00`) falls on;
    ShapeError naming `what` when it is neither. Cached: a fleet's series share a few dozen days,
    and one date object each keeps 10,000 hosts' figures small."""
    try:
        return dt.datetime.fromisoformat(text or "").date()
    except ValueError:
        raise ShapeError(f"{what} {text!r} is not an ISO 8601 date or time") from None


def opt_str(mapping: Mapping[str, object], key: str) -> str | None:
    """The string (or number, as text) at `key`; None when absent or null."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ShapeError(f"field {key!r} is not a string")
    return str(value)


def opt_count(mapping: Mapping[str, object], key: str) -> int:
    """The count at `key`: a non-negative whole number (an integral float or numeric text is
    accepted, as ESPs write them); 0 when absent or null."""
    value = mapping.get(key)
    if value is None:
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShapeError(f"field {key!r} is not a count")
    return value


def opt_bool(mapping: Mapping[str, object], key: str) -> bool | None:
    """The boolean at `key`; None when absent or null."""
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ShapeError(f"field {key!r} is not a boolean")


def error_message_common(body: object) -> str | None:
    """The message in the common ESP error shapes: errors[].message, message, Reason, ..."""
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    if isinstance(errors, list):
        texts = [str(e["message"]) for e in errors if isinstance(e, Mapping) and e.get("message")]
        if texts:
            return "; ".join(texts)
    for key in ("message", "Reason", "Description", "name"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None
