"""Mailgun tracking hosts (`web_prefix.domain`) through the Domains v4 and x509 v2 APIs.

The domain list does not carry DNS records, so listing costs one list call (plus pages) and one
GET per domain; certificate status is fetched only for domains whose links already use https.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

import httpx
from cryptography import x509

from esp_clients.base import UNKNOWN_CERTIFICATE, CertificateState, TrackingDomain
from esp_clients.client import ApiKeyClient, ErrorDialect
from esp_clients.errors import (
    EspBadResponse,
    EspError,
    EspNotFound,
    EspRateLimited,
    EspRejected,
    EspUnavailable,
)
from esp_clients.mailgun_clicks import MailgunClicks
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

BASES = {"us": "https://api.mailgun.net", "eu": "https://api.eu.mailgun.net"}
PAGE_SIZE = 100
CERT_STATES = {"processing": "pending", "active": "active", "expired": "expired", "error": "failed"}
NO_PLAN_HINT = "this Mailgun plan does not include HTTPS tracking; upgrade it or keep http links"
NO_CERT_HINT = "request a certificate and wait until its status is active before enabling https"


def parse_domain_page(body: object) -> tuple[list[str], int]:
    """The domain names on one page of GET /v4/domains, and the total count."""
    page = as_mapping(body, "the domain list")
    names = []
    for item in as_list(page.get("items", []), "items"):
        name = opt_str(as_mapping(item, "a domain"), "name")
        if not name:
            raise ShapeError("a domain has no name")
        names.append(name)
    total = page.get("total_count", len(names))
    if not isinstance(total, int) or isinstance(total, bool):
        raise ShapeError("total_count is not a number")
    return names, total


def parse_domain(body: object, account: str) -> TrackingDomain:
    """GET /v4/domains/{name} (or its verify twin) as the TrackingDomain of its tracking host."""
    reply = as_mapping(body, "the domain reply")
    domain = as_mapping(reply.get("domain"), "domain")
    name = opt_str(domain, "name")
    if not name:
        raise ShapeError("the domain has no name")
    prefix = opt_str(domain, "web_prefix") or "email"
    host = normalize_host(opt_str(domain, "tracking_host") or f"{prefix}.{name}")
    record = _tracking_record(reply.get("sending_dns_records", []), f"{prefix}.{name}")
    cname_valid = _validity(record)
    state = opt_str(domain, "state")
    scheme = opt_str(domain, "web_scheme")
    return TrackingDomain(
        host=host,
        esp="mailgun",
        account=account,
        esp_id=name,
        verified=_verified(state, cname_valid),
        cname_valid=cname_valid,
        expected_target=_record_value(record),
        https=None if scheme is None else scheme == "https",
        certificate=UNKNOWN_CERTIFICATE,
        problems=_problems(domain, record, f"{prefix}.{name}"),
        details=_details(domain, record),
    )


def parse_certificate(body: object) -> CertificateState:
    """GET /v2/x509/{host}/status as a CertificateState (Mailgun's words in `detail`)."""
    reply = as_mapping(body, "the certificate status")
    raw = opt_str(reply, "status") or ""
    error = opt_str(reply, "error") or ""
    return CertificateState(
        status=CERT_STATES.get(raw, "unknown"),
        detail=sanitize(error or raw, 300),
        expires_at=_expiry(opt_str(reply, "certificate")),
    )


def _tracking_record(records: object, name: str) -> Mapping[str, object] | None:
    for item in as_list(records, "sending_dns_records"):
        record = as_mapping(item, "a DNS record")
        kind = (opt_str(record, "record_type") or "").upper()
        if kind == "CNAME" and normalize_host(opt_str(record, "name") or "") == normalize_host(
            name
        ):
            return record
    return None


def _validity(record: Mapping[str, object] | None) -> bool | None:
    value = None if record is None else opt_str(record, "valid")
    return {"valid": True, "invalid": False}.get(value or "")


def _verified(state: str | None, cname_valid: bool | None) -> bool | None:
    if state != "active":
        return None if state is None else False
    return cname_valid


def _record_value(record: Mapping[str, object] | None) -> str | None:
    value = None if record is None else opt_str(record, "value")
    return normalize_host(value) if value else None


def _cached(record: Mapping[str, object]) -> str:
    cached = record.get("cached")
    return ", ".join(str(c) for c in cached) if isinstance(cached, list) and cached else "nothing"


def _problems(
    domain: Mapping[str, object], record: Mapping[str, object] | None, name: str
) -> tuple[str, ...]:
    problems = []
    disabled = domain.get("disabled")
    if opt_bool(domain, "is_disabled") or (isinstance(disabled, Mapping) and disabled):
        reason = opt_str(disabled, "reason") if isinstance(disabled, Mapping) else None
        problems.append(f"Mailgun has disabled the domain: {sanitize(reason or 'no reason given')}")
    if record is None:
        problems.append(f"Mailgun lists no tracking CNAME record for {name}")
    elif _validity(record) is False:
        value = opt_str(record, "value")
        problems.append(f"Mailgun sees {sanitize(_cached(record))} for {name}, expected {value}")
    return tuple(problems)


def _details(
    domain: Mapping[str, object], record: Mapping[str, object] | None
) -> tuple[tuple[str, str], ...]:
    keys = ("state", "type", "web_prefix", "web_scheme", "tracking_host")
    facts = [(key, str(domain[key])) for key in keys if domain.get(key) is not None]
    if record is not None:
        facts += [("cname_check", str(record.get("valid"))), ("cname_seen", _cached(record))]
    return tuple(facts)


def _expiry(pem: str | None) -> str | None:
    """The certificate's expiry in ISO 8601, when `pem` is a readable PEM certificate."""
    if not pem or "BEGIN CERTIFICATE" not in pem:
        return None
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        return None
    return certificate.not_valid_after_utc.astimezone(dt.UTC).isoformat()


def error_kind(status: int, body: object) -> type[EspError] | None:
    """A 429 from the x509 API means a job is running, not a rate limit: do not retry it."""
    if status == 429 and isinstance(body, Mapping):
        text = str(body.get("Description") or body.get("message") or "")
        if "in progress" in text:
            return EspRejected
    return None


class MailgunClient(MailgunClicks, ApiKeyClient):
    """The tracking hosts of one Mailgun account in one region (US or EU)."""

    esp = "mailgun"
    name = "Mailgun"
    bases = BASES
    dialect = ErrorDialect(kind=error_kind)

    def auth(self, credential: str) -> httpx.Auth:
        """HTTP basic auth with the user `api` and the key as password."""
        return httpx.BasicAuth("api", credential)

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every domain's tracking host: the paged list, then one GET per domain."""
        names = self._api.paginate(self._domain_page)
        return tuple(self.get(name) for name in names)

    def get(self, name: str) -> TrackingDomain:
        """One sending domain's tracking host, with certificate status when it uses https."""
        body = self._api.request_json("GET", f"/v4/domains/{quote_segment(name)}")
        return self._with_certificate(self._parse(body))

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask Mailgun to re-check the domain's DNS records and return its new view."""
        path = f"/v4/domains/{quote_segment(domain.esp_id)}/verify"
        return self._with_certificate(self._parse(self._api.request_json("PUT", path)))

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Start Let's Encrypt issuance for the tracking host (or renewal when it expired)."""
        path = f"/v2/x509/{quote_segment(domain.host)}"
        try:
            body = self._api.request_json("POST", path, expect=(202,))
        except EspRejected as error:
            return self._after_refusal(domain, error)
        message = opt_str(body, "message") if isinstance(body, Mapping) else None
        return CertificateState(status="pending", detail=sanitize(message or "issuance started"))

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """The tracking host's certificate; `none` when none was ever requested."""
        path = f"/v2/x509/{quote_segment(domain.host)}/status"
        try:
            body = self._api.request_json("GET", path)
        except EspNotFound as error:
            return CertificateState(status="none", detail=error.detail)
        return self._api.convert(parse_certificate, body)

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Switch links to https (only with an active certificate) or back to http."""
        if enabled:
            certificate = self.certificate_status(domain)
            if certificate.status != "active":
                detail = f"the certificate for {domain.host} is {certificate.status}"
                raise self._api.make_error(EspRejected, detail, hint=NO_CERT_HINT)
        scheme = "https" if enabled else "http"
        path = f"/v4/domains/{quote_segment(domain.esp_id)}"
        self._api.request_json("PUT", path, files={"web_scheme": (None, scheme)})
        return self.get(domain.esp_id)

    def _domain_page(self, skip: int | None) -> tuple[list[str], int | None]:
        offset = skip or 0
        params = {"limit": PAGE_SIZE, "skip": offset}
        body = self._api.request_json("GET", "/v4/domains", params=params)
        names, total = self._api.convert(parse_domain_page, body)
        following = offset + len(names)
        return names, following if names and following < total else None

    def _parse(self, body: object) -> TrackingDomain:
        return self._api.convert(lambda value: parse_domain(value, self.account.name), body)

    def _with_certificate(self, domain: TrackingDomain) -> TrackingDomain:
        if not domain.https:
            return domain
        try:
            certificate = self.certificate_status(domain)
        except (EspRejected, EspBadResponse, EspUnavailable, EspRateLimited) as error:
            certificate = CertificateState(status="unknown", detail=error.detail)
        return replace(domain, certificate=certificate)

    def _after_refusal(self, domain: TrackingDomain, error: EspRejected) -> CertificateState:
        """409 (already issued or started) and 429 (job running): report the current state."""
        if error.status == 402:
            raise self._api.make_error(EspRejected, error.detail, status=402, hint=NO_PLAN_HINT)
        if error.status not in (409, 429):
            raise error
        current = self.certificate_status(domain)
        return self._renew(domain) if current.status == "expired" else current

    def _renew(self, domain: TrackingDomain) -> CertificateState:
        """Regenerate an expired certificate; a 429 means a renewal job is already running."""
        try:
            self._api.request_json("PUT", f"/v2/x509/{quote_segment(domain.host)}", expect=(202,))
        except EspRejected as error:
            if error.status != 429:
                raise
            return CertificateState(status="pending", detail=error.detail)
        return CertificateState(
            status="pending", detail="renewal of the expired certificate started"
        )
