"""SparkPost (US and EU) tracking domains: list, verify, managed certificates and HTTPS."""

from __future__ import annotations

from collections.abc import Mapping

from esp_clients.base import AccountRef, CertificateState, TrackingDomain
from esp_clients.client import ApiKeyClient, ErrorDialect
from esp_clients.errors import EspError, EspRejected
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
from esp_clients.sparkpost_clicks import UNSUPPORTED_CLICKS, SparkPostClicks

BASES: Mapping[str, str] = {
    "us": "https://api.sparkpost.com/api/v1",
    "eu": "https://api.eu.sparkpost.com/api/v1",
}

_TLS_TO_CERTIFICATE: Mapping[str, str] = {
    "valid": "active",
    "pending": "pending",
    "failed": "failed",
    "expired": "expired",
}

CERTIFICATE_ERRORS: Mapping[str, str] = {
    "acme:rejected_identifier": "Let's Encrypt will not issue a certificate for this name (its policy)",
    "acme:dns": "Let's Encrypt's DNS lookups for the host failed: check its CNAME and CAA records",
    "acme:unauthorized": "Let's Encrypt's HTTP-01 challenge failed: the host must CNAME straight to "
    "SparkPost's V2 endpoint, with no proxy in front",
    "acme:temporary": "a temporary Let's Encrypt error; SparkPost retries on its own",
    "service:internal": "an internal SparkPost error; retry later or ask SparkPost support",
}
"""What each `tls_certificate.error_code` SparkPost documents means for the user."""

NOT_ELIGIBLE_HINT = (
    "SparkPost's managed HTTPS needs the domain verified and CNAMEd to a V2 endpoint "
    "(v2.spgo.io, or eu.v2.spgo.io for EU accounts): fix the CNAME, verify, then retry"
)


def error_message(body: object) -> str | None:
    """SparkPost's `errors[].message` (with `description` when given), joined."""
    if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
        return None
    texts: list[str] = []
    for entry in body["errors"]:
        if isinstance(entry, Mapping) and entry.get("message"):
            description = entry.get("description")
            suffix = f" ({description})" if isinstance(description, str) and description else ""
            texts.append(f"{entry['message']}{suffix}")
    return "; ".join(texts) or None


def error_kind(status: int, body: object) -> type[EspError] | None:
    """A 403 citing Let's Encrypt policy is a refusal for this domain, not a bad API key."""
    message = error_message(body) or ""
    return EspRejected if status == 403 and "Let's Encrypt" in message else None


def _results(body: object) -> object:
    return as_mapping(body, "response").get("results")


def _section(obj: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = obj.get(key)
    return {} if value is None else as_mapping(value, key)


def parse_certificate(obj: Mapping[str, object]) -> CertificateState:
    """The managed certificate from `uses_managed_certificate`, `status.tls_status`, `tls_certificate`."""
    tls_status = opt_str(_section(obj, "status"), "tls_status") or ""
    managed = opt_bool(obj, "uses_managed_certificate") is True
    certificate = _section(obj, "tls_certificate")
    error_code = opt_str(certificate, "error_code")
    status = _TLS_TO_CERTIFICATE.get(tls_status) or ("unknown" if managed else "none")
    parts = [f"tls_status {tls_status}" if tls_status else "tls_status not reported"]
    parts.append("SparkPost-managed certificate" if managed else "no SparkPost-managed certificate")
    if error_code:
        parts.append(f"{error_code}: {CERTIFICATE_ERRORS.get(error_code, 'undocumented error')}")
    return CertificateState(
        status=status,
        detail=sanitize("; ".join(parts), 300),
        expires_at=opt_str(certificate, "expires_at"),
    )


def _cname_valid(cname_status: str, verified: bool | None) -> bool | None:
    if cname_status == "valid":
        return True
    if cname_status in ("invalid", "unverified", "pending"):
        return False
    return verified


def _problems(
    verified: bool | None, status: Mapping[str, object], certificate: Mapping[str, object]
) -> tuple[str, ...]:
    problems: list[str] = []
    cname_status = opt_str(status, "cname_status") or "not reported"
    if verified is False:
        problems.append(f"SparkPost has not verified the domain (CNAME status: {cname_status})")
    compliance = opt_str(status, "compliance_status")
    if compliance == "blocked":
        problems.append("SparkPost's compliance review blocked this tracking domain")
    elif compliance == "pending":
        problems.append("SparkPost's compliance review of this tracking domain is pending")
    error_code = opt_str(certificate, "error_code")
    if error_code:
        explanation = CERTIFICATE_ERRORS.get(error_code, "undocumented error")
        problems.append(f"certificate error {error_code}: {explanation}")
    return tuple(problems)


def _details(obj: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    status = _section(obj, "status")
    certificate = _section(obj, "tls_certificate")
    candidates = (
        ("cname_status", opt_str(status, "cname_status")),
        ("compliance_status", opt_str(status, "compliance_status")),
        ("tls_status", opt_str(status, "tls_status")),
        ("port", opt_str(obj, "port")),
        ("default", _yes_no(opt_bool(obj, "default"))),
        ("managed_certificate", _yes_no(opt_bool(obj, "uses_managed_certificate"))),
        ("subaccount_id", opt_str(obj, "subaccount_id")),
        ("certificate_issued_at", opt_str(certificate, "issued_at")),
        ("certificate_expires_at", opt_str(certificate, "expires_at")),
        ("certificate_error", opt_str(certificate, "error_code")),
    )
    return tuple((key, value) for key, value in candidates if value)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def parse_domain(raw: object, *, account: str) -> TrackingDomain:
    """One documented tracking domain object as a TrackingDomain (ShapeError when malformed)."""
    obj = as_mapping(raw, "tracking domain")
    host = opt_str(obj, "domain")
    if not host:
        raise ShapeError("tracking domain has no 'domain'")
    status = _section(obj, "status")
    verified = opt_bool(status, "verified")
    secure = opt_bool(obj, "secure")
    return TrackingDomain(
        host=normalize_host(host),
        esp="sparkpost",
        account=account,
        esp_id=host,
        verified=verified,
        cname_valid=_cname_valid(opt_str(status, "cname_status") or "", verified),
        expected_target=None,
        https=False if secure is None else secure,
        certificate=parse_certificate(obj),
        problems=_problems(verified, status, _section(obj, "tls_certificate")),
        details=_details(obj),
    )


def parse_list(body: object, *, account: str) -> tuple[TrackingDomain, ...]:
    """The `results` array of `GET /tracking-domains`."""
    items = as_list(_results(body), "results")
    return tuple(parse_domain(item, account=account) for item in items)


def parse_single(body: object, *, account: str) -> TrackingDomain:
    """The `results` object of `GET /tracking-domains/{domain}`."""
    return parse_domain(_results(body), account=account)


def parse_verify(body: object) -> Mapping[str, object]:
    """The status object `POST …/verify` returns (checked for shape only)."""
    return as_mapping(_results(body), "results")


def parse_eligible(body: object) -> bool:
    """`results.supportsManagedCertificate` of `POST …/certificate/check`."""
    eligible = opt_bool(as_mapping(_results(body), "results"), "supportsManagedCertificate")
    if eligible is None:
        raise ShapeError("no 'supportsManagedCertificate' in the eligibility answer")
    return eligible


def parse_enable(body: object) -> str:
    """The message of `POST …/certificate/enable`."""
    if body is None:
        return ""
    return opt_str(as_mapping(_results(body), "results"), "message") or ""


def uses_managed_certificate(body: object) -> bool:
    """Whether a single-domain answer says the managed certificate path is in use."""
    return opt_bool(as_mapping(_results(body), "results"), "uses_managed_certificate") is True


class SparkPostClient(SparkPostClicks, ApiKeyClient):
    """One SparkPost account (US or EU region, optionally a subaccount)."""

    esp = "sparkpost"
    name = "SparkPost"
    bases = BASES
    unsupported = UNSUPPORTED_CLICKS
    dialect = ErrorDialect(message=error_message, kind=error_kind)
    region_error = "SparkPost region must be 'us' or 'eu', not {given!r}"

    def region_of(self, account: AccountRef) -> str:
        """SparkPost's region names are matched in any case ("EU" is "eu")."""
        return account.region.lower() or super().region_of(account)

    def headers(self, credential: str) -> dict[str, str]:
        """The bare key as Authorization, and the subaccount to act for, if any."""
        headers = {"Authorization": credential}
        if self.account.subaccount:
            headers["X-MSYS-SUBACCOUNT"] = self.account.subaccount
        return headers

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every tracking domain of the account (the API does not page this list)."""
        body = self._api.request_json("GET", "/tracking-domains")
        return self._api.convert(lambda b: parse_list(b, account=self.account.name), body)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask SparkPost to re-check the CNAME, then read the domain back."""
        body = self._api.request_json(
            "POST", f"{self._path(domain)}/verify", idempotent=True
        )  # a re-check: harmless twice
        self._api.convert(parse_verify, body)
        return self._get(domain)

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Check managed-certificate eligibility, then start issuance (Let's Encrypt)."""
        check = self._api.request_json("POST", f"{self._path(domain)}/certificate/check")
        if not self._api.convert(parse_eligible, check):
            raise self._api.make_error(
                EspRejected,
                f"SparkPost says {domain.host} cannot use a managed certificate",
                hint=NOT_ELIGIBLE_HINT,
            )
        enabled = self._api.request_json("POST", f"{self._path(domain)}/certificate/enable")
        message = self._api.convert(parse_enable, enabled)
        return CertificateState(status="pending", detail=sanitize(message or "issuance started"))

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """The managed certificate as SparkPost reports it now (`status.tls_status`)."""
        return self._get(domain).certificate

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """HTTPS on: the managed certificate path (or `secure` if already managed); off: `secure`."""
        current = self._api.request_json("GET", self._path(domain))
        if enabled and not self._api.convert(uses_managed_certificate, current):
            self.request_certificate(domain)
        else:
            self._api.request_json("PUT", self._path(domain), json={"secure": enabled})
        return self._get(domain)

    def _path(self, domain: TrackingDomain) -> str:
        return f"/tracking-domains/{quote_segment(domain.esp_id)}"

    def _get(self, domain: TrackingDomain) -> TrackingDomain:
        body = self._api.request_json("GET", self._path(domain))
        return self._api.convert(lambda b: parse_single(b, account=self.account.name), body)
