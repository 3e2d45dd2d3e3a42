"""The fault matrix's ESP API cases: each fault of an ESP's API, for every ESP it applies to,
answered through an httpx MockTransport in the ESP's own error shapes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from checks.model import Severity
from esp_clients.http import DEFAULT_TIMEOUT, backoff
from tests.support.faults import FAULTY, WEB, FaultCase, Responder
from tui.sim.esp_apis.core import reason
from tui.sim.esp_apis.simulated import SHAPES, SimDomain, SimulatedEsp

RETRIES = 3
"""Retries of every ESP API call after the first attempt (HttpApi's default)."""
MAX_PAGES = 200
"""Pages of one list before the client gives up (`paginate`'s default)."""


ESPS = ("sendgrid", "mailgun", "sparkpost", "mandrill", "ses", "resend")
PAGED = ("mailgun", "ses", "resend")
"""The ESPs whose tracking-domain list is paged (the others answer in one call)."""
HUGE = 6_000_000
"""Bytes of a huge answer (HttpApi refuses more than 5 MB)."""
PROXY_502 = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx</center></body></html>"
)


def _status(esp: str, status: int, headers: Callable[[], dict[str, str]] = dict) -> Responder:
    """The ESP's own error body for `status` (as its simulated API shapes it), with `headers`."""

    def respond(_request: httpx.Request) -> httpx.Response:
        response = SHAPES[esp].error(status, reason(status))
        response.headers.update(headers())
        return response

    return respond


def _raise(kind: type[httpx.TransportError]) -> Responder:
    def respond(request: httpx.Request) -> httpx.Response:
        raise kind("simulated", request=request)

    return respond


def _fixed(response: Callable[[], httpx.Response]) -> Responder:
    return lambda _request: response()


def _streamed_huge() -> Iterator[bytes]:
    chunk = b" " * 65536
    for _ in range(HUGE // len(chunk) + 1):
        yield chunk


def endless_pages(esp: str) -> Responder:
    """A list whose every page names one item and a next page, in the ESP's documented shape."""
    counter = itertools.count()

    def respond(_request: httpx.Request) -> httpx.Response:
        page = next(counter)
        body: object = {
            "mailgun": {"items": [{"name": f"d{page}.example"}], "total_count": 10**9},
            "ses": {"ConfigurationSets": [f"cs-{page}"], "NextToken": f"t{page}"},
            "resend": {"data": [{"id": f"id-{page}", "name": "x.example"}], "has_more": True},
        }[esp]
        return httpx.Response(200, json=body)

    return respond


NOT_A_NAME = "x" * 70 + ".example"
"""A sending domain whose first label is longer than DNS allows (63 octets)."""


def odd_domain(esp: str) -> Responder:
    """Mailgun listing one domain whose tracking host is not a DNS name."""
    domain = {"name": NOT_A_NAME, "state": "active", "web_prefix": "email", "web_scheme": "http"}

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v4/domains":
            return httpx.Response(200, json={"items": [{"name": NOT_A_NAME}], "total_count": 1})
        return httpx.Response(200, json={"domain": domain, "sending_dns_records": []})

    return respond


def _reset_in(seconds: int) -> dict[str, str]:
    return {"X-RateLimit-Reset": str(int(time.time()) + seconds)}


_BACKOFF = sum(backoff(attempt) for attempt in range(RETRIES))


@dataclass(frozen=True, slots=True, kw_only=True)
class EspFault:
    """One ESP API fault, applied to every ESP it makes sense for."""

    name: str
    code: str
    respond: Callable[[str], Responder]
    waits: float = 0.0
    per_attempt: float = 0.0
    esps: tuple[str, ...] = ESPS
    real: str = ""
    """What the fault costs against a real API, when the attempts and waits do not say it."""
    host: str = ""
    """The row that shows the fault, when it is not the faulty account's own host."""
    absent: tuple[str, ...] = ("esp.ok",)
    """The codes that would call the faulty concern clean."""


ESP_FAULTS = (
    EspFault(name="401", code="esp.auth_failed", respond=lambda esp: _status(esp, 401)),
    EspFault(name="403", code="esp.auth_failed", respond=lambda esp: _status(esp, 403)),
    EspFault(name="404", code="esp.error", respond=lambda esp: _status(esp, 404)),
    EspFault(name="429 with Retry-After", code="esp.rate_limited", waits=RETRIES * 2.0,
             respond=lambda esp: _status(esp, 429, lambda: {"Retry-After": "2"})),
    EspFault(name="429 with X-RateLimit-Reset", code="esp.rate_limited", waits=RETRIES * 3.0,
             respond=lambda esp: _status(esp, 429, lambda: _reset_in(3))),
    EspFault(name="500", code="esp.unreachable", waits=_BACKOFF,
             respond=lambda esp: _fixed(lambda: httpx.Response(500, json={"message": "oops"}))),
    EspFault(name="502 HTML from a proxy", code="esp.unreachable", waits=_BACKOFF,
             respond=lambda esp: _fixed(lambda: httpx.Response(502, html=PROXY_502))),
    EspFault(name="503", code="esp.unreachable", waits=_BACKOFF,
             respond=lambda esp: _status(esp, 503)),
    EspFault(name="connect timeout", code="esp.unreachable", waits=_BACKOFF,
             per_attempt=DEFAULT_TIMEOUT.connect or 0.0,
             respond=lambda esp: _raise(httpx.ConnectTimeout)),
    EspFault(name="read timeout", code="esp.unreachable", waits=_BACKOFF,
             per_attempt=DEFAULT_TIMEOUT.read or 0.0, respond=lambda esp: _raise(httpx.ReadTimeout)),
    EspFault(name="malformed JSON", code="esp.bad_response",
             respond=lambda esp: _fixed(lambda: httpx.Response(200, content=b'{"items": [{"na'))),
    EspFault(name="valid JSON of the wrong shape", code="esp.bad_response",
             respond=lambda esp: _fixed(lambda: httpx.Response(200, json={
                 "items": 42, "results": 42, "data": 42, "ConfigurationSets": 42}))),
    EspFault(name="a paginated list that never ends", code="esp.bad_response", esps=PAGED,
             respond=endless_pages, real=f"{MAX_PAGES} pages, then it stops"),
    EspFault(name="a listed host that is not a DNS name", code="dns.lookup_failed",
             esps=("mailgun",), respond=odd_domain, host=f"email.{NOT_A_NAME}",
             real="one answer; the host is checked and reported as not askable"),
    EspFault(name="huge response (Content-Length)", code="esp.bad_response",
             respond=lambda esp: _fixed(lambda: httpx.Response(200, content=b" " * HUGE))),
    EspFault(name="huge response (streamed)", code="esp.bad_response",
             respond=lambda esp: _fixed(lambda: httpx.Response(200, content=_streamed_huge()))),
)  # fmt: skip

STATS_PATHS = {
    "sendgrid": "/v3/stats",
    "mailgun": "/v1/analytics/metrics",
    "sparkpost": "/metrics/",
    "resend": "/emails/metrics",
    "mandrill": "/senders/",
    "ses": "/v2/email/metrics/batch",
}
"""What each ESP's first statistics call asks for (after its domain list)."""


def stats_failing(fail: Callable[[str], Responder]) -> Callable[[str], Responder]:
    """The ESP's simulated API answering the domain list (FAULTY, verified), and `fail` answering
    its statistics call: the list is fine, the click figures are not."""

    def build(esp: str) -> Responder:
        region = {"ses": "us-east-1"}.get(esp, "")
        domain = SimDomain(host=FAULTY, https=True, certificate="active")
        simulated = SimulatedEsp(esp, "bad", [domain], region=region)
        failing = fail(esp)

        def respond(request: httpx.Request) -> httpx.Response:
            stats = STATS_PATHS[esp] in request.url.path
            return failing(request) if stats else simulated.handler(request)

        return respond

    return build


CLICK_FAULTS = (
    EspFault(name="500 on the statistics call", code="esp.clicks_unknown", waits=_BACKOFF,
             respond=stats_failing(lambda esp: _fixed(lambda: httpx.Response(500))),
             absent=("esp.clicks_ok",)),
    EspFault(name="429 with Retry-After on the statistics call", code="esp.clicks_unknown",
             waits=RETRIES * 2.0, absent=("esp.clicks_ok",),
             respond=stats_failing(lambda esp: _status(esp, 429, lambda: {"Retry-After": "2"}))),
    EspFault(name="malformed JSON from the statistics call", code="esp.clicks_unknown",
             respond=stats_failing(lambda esp: _fixed(lambda: httpx.Response(200, content=b"[{"))),
             absent=("esp.clicks_ok",)),
    EspFault(name="valid JSON of the wrong shape from the statistics call", code="esp.clicks_unknown",
             respond=stats_failing(lambda esp: _fixed(lambda: httpx.Response(200, json=[{"date": 7}]))),
             absent=("esp.clicks_ok",)),
)  # fmt: skip
"""Faults of the click figures' calls: the domain list answers, the statistics do not."""

ESP_WALL = WEB
"""What ends an ESP case: the fleet scan's own checks (the ESP client's waits are recorded, not
slept, and the transport answers at once)."""


def _esp_case(fault: EspFault, esp: str) -> FaultCase:
    return FaultCase(
        klass="ESP API",
        name=fault.name,
        code=fault.code,
        severity=Severity.UNKNOWN,
        mechanism=ESP_WALL,
        esp=esp,
        host=fault.host or FAULTY,
        responder=lambda: fault.respond(esp),
        waits=fault.waits,
        absent=fault.absent,
    )


ESP_CASES = tuple(
    _esp_case(fault, esp) for fault in ESP_FAULTS + CLICK_FAULTS for esp in fault.esps
)
