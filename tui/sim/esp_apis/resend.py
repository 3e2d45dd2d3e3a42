"""Simulated Resend Domains API: cursor-paged list, get with records, and verify.

The tracking host is `tracking_subdomain.name`; the `Tracking` record's status is `verified` only
when the domain is both verified and CNAMEd right. A failed certificate shows as the `TrackingCAA`
record Resend adds when CAA blocks Amazon from issuing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import httpx

from tui.sim.esp_apis import click_routes
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, bearer, reply, route, split_host

TARGET = "tracking.resend.com"
CREATED_AT = "2025-04-26 20:21:26.347412+00"
_NAMES = {
    401: "missing_api_key",
    403: "invalid_api_key",
    404: "not_found",
    422: "validation_error",
    429: "rate_limit_exceeded",
}


def error(status: int, message: str) -> httpx.Response:
    """Resend's error body: `{statusCode, name, message}`."""
    name = _NAMES.get(status, "application_error" if status >= 500 else "invalid_request")
    return reply({"statusCode": status, "name": name, "message": message}, status)


def _tracking_status(domain: SimDomain) -> str:
    if domain.verified and domain.cname_valid:
        return "verified"
    return "failed" if not domain.cname_valid else "pending"


def _summary(domain: SimDomain, click_tracking: bool = True) -> dict[str, object]:
    name = split_host(domain.host)[1]
    status = "verified" if _tracking_status(domain) == "verified" else "partially_verified"
    return {
        "id": domain.key,
        "name": name,
        "status": status,
        "created_at": CREATED_AT,
        "region": "us-east-1",
        "open_tracking": True,
        "click_tracking": click_tracking,
    }


def _record(kind: str, name: str, dns: str, value: str, status: str) -> dict[str, object]:
    return {
        "record": kind,
        "name": name,
        "type": dns,
        "value": value,
        "ttl": "Auto",
        "status": status,
    }


def domain_body(domain: SimDomain, click_tracking: bool = True) -> dict[str, object]:
    """The answer of `GET /domains/{id}`."""
    subdomain, name = split_host(domain.host)
    records = [
        _record("SPF", f"send.{name}", "TXT", "v=spf1 include:amazonses.com ~all", "verified"),
        _record("Tracking", domain.host, "CNAME", domain.target, _tracking_status(domain)),
    ]
    if domain.certificate == "failed":
        records.append(_record("TrackingCAA", name, "CAA", '0 issue "amazon.com"', "pending"))
    return {
        "object": "domain",
        **_summary(domain, click_tracking),
        "tracking_subdomain": subdomain,
        "records": records,
    }


def _list(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    query = request.url.params
    limit = int(query.get("limit", "20") or 20)
    after = query.get("after")
    keys = [domain.key for domain in state.domains]
    start = keys.index(after) + 1 if after in keys else 0
    page = state.domains[start : start + limit]
    more = start + limit < len(state.domains)
    return reply(
        {
            "object": "list",
            "has_more": more,
            "data": [_summary(d, state.clicks.click_tracking) for d in page],
        }
    )


def _get(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["id"])
    return (
        error(404, "Domain not found")
        if domain is None
        else reply(domain_body(domain, state.clicks.click_tracking))
    )


def _verify(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["id"])
    if domain is None:
        return error(404, "Domain not found")
    state.verify(domain)
    return reply({"object": "domain", "id": domain.key})


def _domain_id(domain: SimDomain, index: int, account: str, taken: frozenset[str]) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{account}.{domain.host}.resend.sim.invalid"))


SHAPE = EspShape(
    esp="resend",
    prefix="",
    default_region="",
    routes=(
        route("GET", "/domains", _list),
        route("GET", "/domains/{id}", _get),
        route("POST", "/domains/{id}/verify", _verify),
        *click_routes.RESEND,
    ),
    authorized=lambda request, state: bearer(request),
    unauthorized=lambda state: error(401, "Missing API key in the authorization header"),
    error=error,
    default_target=lambda region: TARGET,
    default_id=_domain_id,
)
