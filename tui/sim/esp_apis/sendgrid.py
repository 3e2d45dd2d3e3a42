"""Simulated SendGrid Link Branding API: list, get and validate branded links.

HTTPS shows as the two Auto-SSL validation records (`acme_challenge_cname`, `cf_custom_hostname_txt`),
valid when the link serves https, invalid while the certificate is pending.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tui.sim.esp_apis import click_routes
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, bearer, reply, route, split_host

USER_ID = 7
USERNAME = "sim@trackdeck.invalid"


def error(status: int, message: str) -> httpx.Response:
    """SendGrid's error body: `errors[].{field, message}`."""
    return reply({"errors": [{"field": None, "message": message}]}, status)


def _record(valid: bool, kind: str, host: str, data: str) -> dict[str, object]:
    return {"valid": valid, "type": kind, "host": host, "data": data}


def _auto_ssl(domain: SimDomain) -> dict[str, object]:
    """The Auto-SSL records, when the link serves https or its certificate is being issued."""
    if not domain.https and domain.certificate != "pending":
        return {}
    valid = domain.https and domain.certificate in ("none", "active")
    challenge = f"{domain.host}.0a1b2c3d.dcv.cloudflare.com"
    return {
        "acme_challenge_cname": _record(
            valid, "cname", f"_acme-challenge.{domain.host}", challenge
        ),
        "cf_custom_hostname_txt": _record(
            valid, "txt", f"_cf-custom-hostname.{domain.host}", "0a1b2c3d-sim"
        ),
    }


def link(domain: SimDomain) -> dict[str, object]:
    """One branded link (schema LinkBranding200) for `domain`."""
    subdomain, parent = split_host(domain.host)
    owner_valid = domain.verified or not domain.cname_valid
    dns: dict[str, object] = {
        "domain_cname": _record(domain.cname_valid, "cname", domain.host, domain.target),
        "owner_cname": _record(owner_valid, "cname", f"{USER_ID}.{parent}", domain.target),
    }
    dns.update(_auto_ssl(domain))
    link_id: object = int(domain.key) if domain.key.isdigit() else domain.key
    return {
        "id": link_id,
        "domain": parent,
        "subdomain": subdomain,
        "username": USERNAME,
        "user_id": USER_ID,
        "default": False,
        "valid": domain.verified,
        "legacy": False,
        "dns": dns,
    }


def _list(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    limit = request.url.params.get("limit", "")
    links = [link(domain) for domain in state.domains]
    return reply(links[: int(limit)] if limit.isdigit() else links)


def _get(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["id"])
    return error(404, "resource not found") if domain is None else reply(link(domain))


def _validation(domain: SimDomain) -> dict[str, object]:
    default = f'Expected CNAME to match "{domain.target}." but found nothing.'
    words = domain.problems[0] if domain.problems else default
    owner_valid = domain.verified or not domain.cname_valid
    return {
        "domain_cname": {
            "valid": domain.cname_valid,
            "reason": None if domain.cname_valid else words,
        },
        "owner_cname": {"valid": owner_valid, "reason": None if owner_valid else words},
    }


def _validate(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["id"])
    if domain is None:
        return error(404, "resource not found")
    state.verify(domain)
    body = link(domain)
    return reply(
        {"id": body["id"], "valid": domain.verified, "validation_results": _validation(domain)}
    )


SHAPE = EspShape(
    esp="sendgrid",
    prefix="",
    default_region="global",
    routes=(
        route("GET", "/v3/whitelabel/links", _list),
        route("GET", "/v3/whitelabel/links/{id}", _get),
        route("POST", "/v3/whitelabel/links/{id}/validate", _validate),
        *click_routes.SENDGRID,
    ),
    authorized=lambda request, state: bearer(request),
    unauthorized=lambda state: error(401, "authorization required"),
    error=error,
    default_target=lambda region: "sendgrid.net",
    default_id=lambda domain, index, account, taken: str(index + 1),
)
