"""SendGrid link branding (branded links) through the v3 Link Branding API.

HTTPS cannot be switched through the API: an Auto-SSL branded link (created with `auto_ssl`) carries
two extra DNS records for Cloudflare's certificate validation, and this module infers the HTTPS and
certificate state from their validity; SendGrid itself reports no certificate state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from esp_clients.base import UNKNOWN_CERTIFICATE, Capability, CertificateState, TrackingDomain
from esp_clients.client import ApiKeyClient, WithoutHttpsCalls
from esp_clients.sendgrid_clicks import SendGridClicks
from esp_clients.shapes import (
    ShapeError,
    as_list,
    as_mapping,
    normalize_host,
    opt_bool,
    opt_str,
    quote_segment,
    sanitize,
)

BASES = {"global": "https://api.sendgrid.com", "eu": "https://api.eu.sendgrid.com"}
LIST_LIMIT = 500
"""Links asked for in the one list call; the API documents only `limit`, no offset or cursor."""

_VALIDITY: dict[bool | None, str] = {True: "valid", False: "invalid", None: "unknown"}
AUTO_SSL_RECORDS = ("acme_challenge_cname", "cf_custom_hostname_txt")
_NO_HTTPS = (
    "SendGrid's API cannot turn HTTPS on for a branded link: HTTPS needs either Auto-SSL link "
    "branding (a new branded link created with auto_ssl) or SSL click tracking, which SendGrid "
    "support enables after you put a CDN in front of the link CNAME"
)
UNSUPPORTED: Mapping[Capability, str] = {
    Capability.CERTIFICATE: "SendGrid's API has no certificate calls for branded links. "
    + _NO_HTTPS,
    Capability.HTTPS_ENABLE: _NO_HTTPS,
    Capability.HTTPS_DISABLE: "SendGrid's API cannot turn HTTPS off for a branded link; "
    "ask SendGrid support to change SSL click tracking",
}


def parse_link(item: object, account: str) -> TrackingDomain:
    """One branded link (schema LinkBranding200) as a TrackingDomain."""
    link = as_mapping(item, "a branded link")
    dns = as_mapping(link.get("dns", {}), "the link's dns")
    cname = as_mapping(dns.get("domain_cname", {}), "dns.domain_cname")
    esp_id = opt_str(link, "id")
    host = opt_str(cname, "host") or _joined(opt_str(link, "subdomain"), opt_str(link, "domain"))
    if esp_id is None or not host:
        raise ShapeError("a branded link has no id or host")
    https, certificate = _auto_ssl_state(dns)
    return TrackingDomain(
        host=normalize_host(host),
        esp="sendgrid",
        account=account,
        esp_id=esp_id,
        verified=opt_bool(link, "valid"),
        cname_valid=opt_bool(cname, "valid"),
        expected_target=_target(opt_str(cname, "data")),
        https=https,
        certificate=certificate,
        problems=_record_problems(dns),
        details=_details(link, dns),
    )


def parse_validation(body: object) -> tuple[str, ...]:
    """The reasons the validate call gives for each failing record."""
    result = as_mapping(body, "the validation result")
    records = as_mapping(result.get("validation_results", {}), "validation_results")
    reasons: list[str] = []
    for name, value in records.items():
        record = as_mapping(value, f"validation_results.{name}")
        reason = opt_str(record, "reason")
        if reason and opt_bool(record, "valid") is not True:
            reasons.append(f"{name}: {sanitize(reason)}")
    return tuple(reasons)


def _joined(subdomain: str | None, domain: str | None) -> str:
    return ".".join(part for part in (subdomain, domain) if part)


def _target(data: str | None) -> str | None:
    return normalize_host(data) if data else None


def _records(dns: Mapping[str, object]) -> dict[str, Mapping[str, object]]:
    return {name: as_mapping(value, f"dns.{name}") for name, value in dns.items()}


def _auto_ssl_state(dns: Mapping[str, object]) -> tuple[bool | None, CertificateState]:
    """HTTPS and certificate state inferred from the Auto-SSL validation records, when present."""
    records = _records(dns)
    present = [name for name in AUTO_SSL_RECORDS if name in records]
    if not present:
        return None, UNKNOWN_CERTIFICATE
    invalid = [name for name in present if opt_bool(records[name], "valid") is not True]
    if not invalid:
        detail = "inferred: the Auto-SSL validation records are valid"
        return True, CertificateState(status="active", detail=detail)
    detail = "inferred: Auto-SSL validation records not yet valid: " + ", ".join(invalid)
    return False, CertificateState(status="pending", detail=detail)


def _record_problems(dns: Mapping[str, object]) -> tuple[str, ...]:
    problems: list[str] = []
    for name, record in _records(dns).items():
        if opt_bool(record, "valid") is False:
            kind = (opt_str(record, "type") or "record").upper()
            where = f"{opt_str(record, 'host') or '?'} {kind} {opt_str(record, 'data') or '?'}"
            problems.append(f"SendGrid reports {name} ({where}) as not valid")
    return tuple(problems)


def _details(link: Mapping[str, object], dns: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    facts = [(key, str(link[key]).lower()) for key in ("id", "default", "legacy") if key in link]
    facts += [(key, str(link[key])) for key in ("username", "user_id") if link.get(key)]
    for name, record in _records(dns).items():
        state = _VALIDITY[opt_bool(record, "valid")]
        facts.append((name, f"{opt_str(record, 'host')} → {opt_str(record, 'data')} ({state})"))
    facts.append(("auto_ssl", "yes" if any(n in dns for n in AUTO_SSL_RECORDS) else "no"))
    return tuple(facts)


class SendGridClient(SendGridClicks, WithoutHttpsCalls, ApiKeyClient):
    """The branded links of one SendGrid account (or subuser, via on-behalf-of)."""

    esp = "sendgrid"
    name = "SendGrid"
    bases = BASES
    unsupported = UNSUPPORTED

    def headers(self, credential: str) -> dict[str, str]:
        """The key as a bearer token, and the subuser whose links to read, if any."""
        headers = {"Authorization": f"Bearer {credential}"}
        if self.account.subuser:
            headers["on-behalf-of"] = self.account.subuser
        return headers

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every branded link, from one GET /v3/whitelabel/links."""
        body = self._api.request_json("GET", "/v3/whitelabel/links", params={"limit": LIST_LIMIT})
        items = self._api.convert(lambda value: as_list(value, "the branded link list"), body)
        return tuple(
            self._api.convert(lambda item: parse_link(item, self.account.name), item)
            for item in items
        )

    def get(self, esp_id: str) -> TrackingDomain:
        """One branded link by id."""
        body = self._api.request_json("GET", f"/v3/whitelabel/links/{quote_segment(esp_id)}")
        return self._api.convert(lambda value: parse_link(value, self.account.name), body)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask SendGrid to validate the link, then read it again with the reasons it gave."""
        path = f"/v3/whitelabel/links/{quote_segment(domain.esp_id)}/validate"
        body = self._api.request_json("POST", path, idempotent=True)  # a re-check: harmless twice
        reasons = self._api.convert(parse_validation, body)
        fresh = self.get(domain.esp_id)
        extra = tuple(p for p in fresh.problems if p not in reasons)
        return replace(fresh, problems=reasons + extra)
