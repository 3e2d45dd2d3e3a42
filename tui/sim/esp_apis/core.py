"""Shared pieces of the simulated ESP APIs: the mutable domain state, routes and JSON answers.

Each `esp_apis_<esp>` module describes one ESP as an `EspShape` (its routes, auth check and error
body); `tui.sim.esp_apis.simulated` puts the shapes behind an `httpx.MockTransport`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx

from tui.sim.esp_apis.click_profile import STEADY, ClickProfile

CERTIFICATE_STATES = ("none", "pending", "active", "failed", "expired")


@dataclass(kw_only=True)
class SimDomain:
    """The mutable state of one tracking domain at a simulated ESP.

    `expected_target` and `esp_id` (what the API calls the domain: SendGrid link id, Mailgun sending
    domain, SES configuration set, Resend domain id) get per-ESP defaults when the ESP is built.
    `problems` are the ESP's own words, served where its API has room for them: SendGrid's
    validation reason, Mandrill's `cname.error`, Mailgun's x509 `error`, SparkPost's certificate
    `error_code`.
    """

    host: str
    verified: bool = True
    cname_valid: bool = True
    expected_target: str | None = None
    https: bool = False
    certificate: str = "none"
    polls_until_active: int = 2
    verify_fixes: bool = True
    problems: tuple[str, ...] = ()
    esp_id: str | None = None

    def __post_init__(self) -> None:
        if self.certificate not in CERTIFICATE_STATES:
            raise ValueError(f"certificate must be one of {CERTIFICATE_STATES}")
        self.host = self.host.strip().rstrip(".").lower()

    @property
    def target(self) -> str:
        """The CNAME target the ESP expects (filled in per ESP when the ESP is built)."""
        return self.expected_target or ""

    @property
    def key(self) -> str:
        """What the ESP's API calls this domain (filled in per ESP when the ESP is built)."""
        return self.esp_id or self.host


def utc_today() -> dt.date:
    """Today in UTC (the day Mandrill's history, which takes no dates, ends on)."""
    return dt.datetime.now(dt.UTC).date()


class SimState:
    """The domains of one simulated account, with the countdowns of pending certificates, and what
    the account counts per day (`clicks`; `today` is the day Mandrill's undated history ends on)."""

    def __init__(
        self,
        *,
        esp: str,
        account: str,
        region: str,
        domains: Sequence[SimDomain],
        clicks: ClickProfile = STEADY,
        today: Callable[[], dt.date] = utc_today,
    ):
        self.esp = esp
        self.account = account
        self.region = region
        self.domains = list(domains)
        self.clicks = clicks
        self.today = today
        self._countdowns: dict[str, int] = {}

    def find(self, key: str) -> SimDomain | None:
        """The domain the API calls `key` (case-insensitive), if any."""
        wanted = key.strip().rstrip(".").lower()
        return next((d for d in self.domains if d.key.lower() == wanted), None)

    def by_host(self, host: str) -> SimDomain | None:
        """The domain whose tracking host is `host`, if any."""
        wanted = host.strip().rstrip(".").lower()
        return next((d for d in self.domains if d.host == wanted), None)

    def verify(self, domain: SimDomain) -> None:
        """A verify call: fixes the domain when the simulation says it should."""
        if domain.verify_fixes:
            domain.verified = True
            domain.cname_valid = True

    def start_certificate(self, domain: SimDomain) -> None:
        """A certificate request: pending for `polls_until_active` status reads."""
        domain.certificate = "pending"
        self._countdowns[domain.host] = domain.polls_until_active

    def read_certificate(self, domain: SimDomain) -> str:
        """The certificate status for one status read; pending turns active after its polls."""
        if domain.certificate == "pending":
            left = self._countdowns.get(domain.host, domain.polls_until_active)
            if left <= 0:
                domain.certificate = "active"
                self._countdowns.pop(domain.host, None)
            else:
                self._countdowns[domain.host] = left - 1
        return domain.certificate


Handler = Callable[[SimState, httpx.Request, Mapping[str, str]], httpx.Response]


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One endpoint: a method, a path pattern with named segments, and its handler."""

    method: str
    pattern: re.Pattern[str]
    handle: Handler

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The decoded path parameters when the request is for this route, else None."""
        found = self.pattern.fullmatch(path) if method == self.method else None
        if found is None:
            return None
        return {key: urllib.parse.unquote(value) for key, value in found.groupdict().items()}


def route(method: str, template: str, handle: Handler) -> Route:
    """A route for `template`, where `{name}` stands for one path segment."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(method=method, pattern=re.compile(regex), handle=handle)


@dataclass(frozen=True, slots=True, kw_only=True)
class EspShape:
    """What makes one simulated ESP: its API's path prefix, routes, auth check and error bodies."""

    esp: str
    prefix: str
    default_region: str
    routes: tuple[Route, ...]
    authorized: Callable[[httpx.Request, SimState], bool]
    unauthorized: Callable[[SimState], httpx.Response]
    error: Callable[[int, str], httpx.Response]
    default_target: Callable[[str], str]
    default_id: Callable[[SimDomain, int, str, frozenset[str]], str]


def reply(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """A JSON answer (an empty body when `body` is None)."""
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def json_body(request: httpx.Request) -> Mapping[str, object]:
    """The request's JSON object body; empty when there is none or it is not an object."""
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def bearer(request: httpx.Request) -> bool:
    """Whether the request carries a non-empty `Authorization: Bearer` token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def split_host(host: str) -> tuple[str, str]:
    """`links.brand.example` as (`links`, `brand.example`)."""
    first, _, rest = host.partition(".")
    return first, rest or host


def timestamp(days: float = 0.0) -> str:
    """An ISO 8601 UTC time `days` from now, as the ESPs write it."""
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def reason(status: int) -> str:
    """The HTTP reason phrase for `status` (a generic word when it has none)."""
    return httpx.codes.get_reason_phrase(status) or "error"
