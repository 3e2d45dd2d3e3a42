"""Simulated Mandrill URLs API: list tracking domains and re-check one (the key is in the body).

Like the real API, named errors (a missing key, an unknown domain) come back as HTTP 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import httpx

from tui.sim.esp_apis import click_routes
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, json_body, reply, route

TARGET = "mandrillapp.com"
CREATED_AT = "2025-08-15 17:01:12.34214"
_NAMES = {
    401: ("Invalid_Key", -1),
    404: ("Unknown_TrackingDomain", 21),
    422: ("ValidationError", -2),
    429: ("RequestLimitExceeded", 429),
}


def named_error(status: int, name: str, code: int, message: str) -> httpx.Response:
    """Mandrill's error body: `{status: "error", code, name, message}`."""
    return reply({"status": "error", "code": code, "name": name, "message": message}, status)


def error(status: int, message: str) -> httpx.Response:
    """The Mandrill error a plain HTTP status stands for (GeneralError when it names none)."""
    name, code = _NAMES.get(status, ("GeneralError", -1))
    return named_error(status, name, code, message)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def entry(domain: SimDomain, tested_at: str) -> dict[str, object]:
    """One TrackingDomain object of the URLs API."""
    words = " ".join(domain.problems) or f" is not a CNAME for {domain.target} yet"
    return {
        "domain": domain.host,
        "created_at": CREATED_AT,
        "last_tested_at": tested_at,
        "cname": {
            "valid": domain.cname_valid,
            "valid_after": None,
            "error": None if domain.cname_valid else words,
        },
        "valid_tracking": domain.verified,
    }


def _has_key(request: httpx.Request, state: SimState) -> bool:
    key = json_body(request).get("key")
    return isinstance(key, str) and bool(key.strip())


def _list(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    return reply([entry(domain, CREATED_AT) for domain in state.domains])


def _check(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    name = json_body(request).get("domain")
    if not isinstance(name, str) or not name:
        return named_error(500, "ValidationError", -2, "You must specify a domain value")
    domain = state.find(name)
    if domain is None:
        return named_error(500, "Unknown_TrackingDomain", 21, f"No such tracking domain: {name}")
    state.verify(domain)
    return reply(entry(domain, _now()))


SHAPE = EspShape(
    esp="mandrill",
    prefix="/api/1.4",
    default_region="",
    routes=(
        route("POST", "/urls/tracking-domains", _list),
        route("POST", "/urls/check-tracking-domain", _check),
        *click_routes.MANDRILL,
    ),
    authorized=_has_key,
    unauthorized=lambda state: named_error(500, "Invalid_Key", -1, "Invalid API key"),
    error=error,
    default_target=lambda region: TARGET,
    default_id=lambda domain, index, account, taken: domain.host,
)
