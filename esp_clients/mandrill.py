"""Mandrill (Mailchimp Transactional) custom tracking domains through the URLs API.

Every call is a POST whose JSON body carries the API key, so bodies are never logged and the key is
redacted from every error. Mandrill reports no HTTPS or certificate state for tracking domains.
"""

from __future__ import annotations

from collections.abc import Mapping

from esp_clients.base import UNKNOWN_CERTIFICATE, Capability, TrackingDomain
from esp_clients.client import ApiKeyClient, ErrorDialect, WithoutHttpsCalls
from esp_clients.errors import EspAuthError, EspError, EspNotFound, EspRejected
from esp_clients.mandrill_clicks import UNSUPPORTED_CLICKS, MandrillClicks
from esp_clients.shapes import (
    ShapeError,
    as_list,
    as_mapping,
    normalize_host,
    opt_bool,
    opt_str,
    sanitize,
)

BASES: Mapping[str, str] = {"": "https://mandrillapp.com/api/1.4"}
TARGET = "mandrillapp.com"
_NO_HTTPS = (
    "Mandrill's API has no HTTPS setting or certificate information for tracking domains; "
    "whether tracked links use https is decided by Mandrill, not through the API"
)
UNSUPPORTED: Mapping[Capability, str] = {
    **dict.fromkeys(
        (Capability.CERTIFICATE, Capability.HTTPS_ENABLE, Capability.HTTPS_DISABLE), _NO_HTTPS
    ),
    **UNSUPPORTED_CLICKS,
}
_ERROR_CLASSES: dict[str, type[EspError]] = {
    "Invalid_Key": EspAuthError,
    "Unknown_TrackingDomain": EspNotFound,
    "ValidationError": EspRejected,
    "MC_Exception_InvalidTrackingDomain": EspRejected,
    "Invalid_Verified_TrackingDomain": EspRejected,
}


def error_kind(status: int, body: object) -> type[EspError] | None:
    """Mandrill names its errors (often on HTTP 500): map the names that are not worth a retry."""
    if isinstance(body, Mapping) and body.get("status") == "error":
        return _ERROR_CLASSES.get(str(body.get("name")))
    return None


def error_message(body: object) -> str | None:
    """`Name: message` from Mandrill's error body."""
    if not isinstance(body, Mapping):
        return None
    name, message = body.get("name"), body.get("message")
    parts = [str(part) for part in (name, message) if isinstance(part, str) and part]
    return ": ".join(parts) or None


def parse_tracking_domain(item: object, account: str) -> TrackingDomain:
    """One entry of /urls/tracking-domains (schema TrackingDomain) as a TrackingDomain."""
    entry = as_mapping(item, "a tracking domain")
    domain = opt_str(entry, "domain")
    if not domain:
        raise ShapeError("a tracking domain has no name")
    raw_cname = entry.get("cname")
    cname = as_mapping({} if raw_cname is None else raw_cname, "cname")
    host = normalize_host(domain)
    return TrackingDomain(
        host=host,
        esp="mandrill",
        account=account,
        esp_id=domain,
        verified=opt_bool(entry, "valid_tracking"),
        cname_valid=opt_bool(cname, "valid"),
        expected_target=TARGET,
        https=None,
        certificate=UNKNOWN_CERTIFICATE,
        problems=_problems(host, opt_str(cname, "error")),
        details=_details(entry, cname),
    )


def _problems(host: str, error: str | None) -> tuple[str, ...]:
    """Mandrill's cname.error, which starts after the (omitted) domain name."""
    text = sanitize(error or "")
    if not text:
        return ()
    return (f"{host} {text}" if text[0].islower() else text,)


def _details(
    entry: Mapping[str, object], cname: Mapping[str, object]
) -> tuple[tuple[str, str], ...]:
    facts = [(key, opt_str(entry, key)) for key in ("created_at", "last_tested_at")]
    facts.append(("valid_after", opt_str(cname, "valid_after")))
    return tuple((key, value) for key, value in facts if value)


class MandrillClient(MandrillClicks, WithoutHttpsCalls, ApiKeyClient):
    """The custom tracking domains of one Mandrill account (the key travels in each JSON body)."""

    esp = "mandrill"
    name = "Mandrill"
    bases = BASES
    unsupported = UNSUPPORTED
    dialect = ErrorDialect(message=error_message, kind=error_kind)

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every tracking domain, from one POST /urls/tracking-domains."""
        body = self._call("/urls/tracking-domains", {}, idempotent=True)
        items = self._api.convert(lambda value: as_list(value, "the tracking domain list"), body)
        return tuple(self._parse(item) for item in items)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask Mandrill to re-check the domain's CNAME and return its new view."""
        fields = {"domain": domain.esp_id}
        return self._parse(self._call("/urls/check-tracking-domain", fields, idempotent=True))

    def _call(self, path: str, fields: Mapping[str, str], *, idempotent: bool = False) -> object:
        """A POST (Mandrill's API posts everything); `idempotent` for the ones that only read."""
        body = {"key": self._credential, **fields}
        return self._api.request_json("POST", path, json=body, idempotent=idempotent)

    def _parse(self, item: object) -> TrackingDomain:
        return self._api.convert(
            lambda value: parse_tracking_domain(value, self.account.name), item
        )
