"""Simulated SparkPost Tracking Domains API: list, get, update, verify and managed certificates.

As documented, enabling the managed certificate also sets `secure` (https) and port 443, and is
refused unless the domain is verified and CNAMEd to a V2 endpoint. Every answer that reports a
pending certificate counts as one status read.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tui.sim.esp_apis import click_routes
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, json_body, reply, route, timestamp

V2_TARGETS = ("v2.spgo.io", "eu.v2.spgo.io")
TLS_WORDS = {
    "none": "unavailable",
    "pending": "pending",
    "active": "valid",
    "failed": "failed",
    "expired": "expired",
}
DEFAULT_ERROR_CODE = "acme:unauthorized"


def error(status: int, message: str) -> httpx.Response:
    """SparkPost's error body: `errors[].message`."""
    return reply({"errors": [{"message": message}]}, status)


def _certificate(domain: SimDomain, status: str) -> dict[str, object]:
    if status == "active":
        return {"issued_at": timestamp(-1), "expires_at": timestamp(89), "error_code": None}
    if status == "expired":
        return {"issued_at": timestamp(-91), "expires_at": timestamp(-1), "error_code": None}
    code = (
        (domain.problems[0] if domain.problems else DEFAULT_ERROR_CODE)
        if status == "failed"
        else None
    )
    return {"issued_at": None, "expires_at": None, "error_code": code}


def status_body(domain: SimDomain) -> dict[str, object]:
    """The `status` object (also the verify answer), without the certificate."""
    return {
        "verified": domain.verified,
        "cname_status": "valid" if domain.cname_valid else "invalid",
        "compliance_status": "valid",
    }


def tracking_domain(state: SimState, domain: SimDomain) -> dict[str, object]:
    """One tracking domain object, as list and get return it (one certificate status read)."""
    status = state.read_certificate(domain)
    body: dict[str, object] = {
        "domain": domain.host,
        "port": 443 if domain.https else 80,
        "secure": domain.https,
        "default": False,
        "uses_managed_certificate": status != "none",
        "status": {**status_body(domain), "tls_status": TLS_WORDS[status]},
    }
    if status != "none":
        body["tls_certificate"] = _certificate(domain, status)
    return body


def eligible(domain: SimDomain) -> bool:
    """Whether SparkPost would issue a managed certificate: verified and CNAMEd to a V2 endpoint."""
    return domain.verified and domain.cname_valid and domain.target in V2_TARGETS


def _missing() -> httpx.Response:
    return error(404, "resource not found")


def _list(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    return reply({"results": [tracking_domain(state, d) for d in state.domains]})


def _get(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["domain"])
    return _missing() if domain is None else reply({"results": tracking_domain(state, domain)})


def _update(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["domain"])
    if domain is None:
        return _missing()
    secure = json_body(request).get("secure")
    if secure is not None and not isinstance(secure, bool):
        return error(400, "secure must be a boolean")
    if isinstance(secure, bool):
        domain.https = secure
    return reply({"results": tracking_domain(state, domain)})


def _verify(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["domain"])
    if domain is None:
        return _missing()
    state.verify(domain)
    return reply({"results": status_body(domain)})


def _check(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["domain"])
    if domain is None:
        return _missing()
    return reply(
        {"results": {"domain": domain.host, "supportsManagedCertificate": eligible(domain)}}
    )


def _enable(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["domain"])
    if domain is None:
        return _missing()
    if not eligible(domain):
        return error(422, f"Tracking domain '{domain.host}' does not support a managed certificate")
    if domain.certificate in ("none", "failed", "expired"):
        state.start_certificate(domain)
    domain.https = True
    return reply({"results": {"message": f"Certificate issuance initiated for {domain.host}"}})


SHAPE = EspShape(
    esp="sparkpost",
    prefix="/api/v1",
    default_region="us",
    routes=(
        route("GET", "/tracking-domains", _list),
        route("GET", "/tracking-domains/{domain}", _get),
        route("PUT", "/tracking-domains/{domain}", _update),
        route("POST", "/tracking-domains/{domain}/verify", _verify),
        route("POST", "/tracking-domains/{domain}/certificate/check", _check),
        route("POST", "/tracking-domains/{domain}/certificate/enable", _enable),
        *click_routes.SPARKPOST,
    ),
    authorized=lambda request, state: bool(request.headers.get("authorization", "").strip()),
    unauthorized=lambda state: error(401, "Unauthorized."),
    error=error,
    default_target=lambda region: "eu.v2.spgo.io" if region == "eu" else "v2.spgo.io",
    default_id=lambda domain, index, account, taken: domain.host,
)
