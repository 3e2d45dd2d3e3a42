"""Resend domains with a tracking subdomain: list, verify; HTTPS is Resend's own business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from esp_clients.base import Capability, CertificateState, TrackingDomain
from esp_clients.client import ApiKeyClient, WithoutHttpsCalls, require
from esp_clients.errors import EspBadResponse
from esp_clients.resend_clicks import ResendClicks
from esp_clients.shapes import (
    ShapeError,
    as_list,
    as_mapping,
    normalize_host,
    opt_bool,
    opt_str,
    quote_segment,
)

BASES: Mapping[str, str] = {"": "https://api.resend.com"}
PAGE_LIMIT = 100

_NO_HTTPS = (
    "Resend's API has no HTTPS setting: Resend issues the tracking certificate itself once the "
    "tracking CNAME verifies; if a CAA record blocks Amazon, add the TrackingCAA record Resend lists"
)
UNSUPPORTED: Mapping[Capability, str] = {
    Capability.CERTIFICATE: _NO_HTTPS,
    Capability.HTTPS_ENABLE: _NO_HTTPS,
    Capability.HTTPS_DISABLE: "Resend's API cannot turn HTTPS off: tracked links always use "
    "the certificate Resend issues for the tracking subdomain",
}

CERTIFICATE = CertificateState(
    status="unknown",
    detail="Resend issues the tracking certificate itself once the tracking CNAME verifies "
    "(inferred from Resend's docs; the API reports no certificate state)",
)


def parse_page(body: object) -> tuple[tuple[str, ...], str | None]:
    """Ids worth fetching from one `GET /domains` page, and the cursor (last id) when `has_more`."""
    obj = as_mapping(body, "response")
    items = tuple(as_mapping(item, "domain") for item in as_list(obj.get("data"), "data"))
    ids = tuple(opt_str(item, "id") or "" for item in items)
    if not all(ids):
        raise ShapeError("a listed domain has no 'id'")
    wanted = tuple(i for i, item in zip(ids, items, strict=True) if may_track(item))
    more = opt_bool(obj, "has_more") is True and bool(ids)
    return wanted, ids[-1] if more else None


def may_track(item: Mapping[str, object]) -> bool:
    """False only when a list item says outright that it has no tracking subdomain."""
    return "tracking_subdomain" not in item or bool(item.get("tracking_subdomain"))


def _records(domain: Mapping[str, object]) -> tuple[Mapping[str, object], ...]:
    raw = domain.get("records")
    return () if raw is None else tuple(as_mapping(r, "record") for r in as_list(raw, "records"))


def _record(records: Sequence[Mapping[str, object]], kind: str) -> Mapping[str, object] | None:
    return next((r for r in records if r.get("record") == kind), None)


def _caa_facts(
    caa: Mapping[str, object] | None, domain_name: str
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    if caa is None:
        return (), ()
    name = opt_str(caa, "name") or domain_name
    value = opt_str(caa, "value") or "?"
    status = opt_str(caa, "status") or "not reported"
    problem = f"Resend asks for CAA {value} on {name} so it can issue the tracking certificate"
    return (problem,), (("TrackingCAA", f"{name} CAA {value} ({status})"),)


def _tracking_problems(tracking: Mapping[str, object] | None, host: str) -> tuple[str, ...]:
    if tracking is None:
        return (f"Resend lists no Tracking record for {host}",)
    status = opt_str(tracking, "status") or "not reported"
    if status == "verified":
        return ()
    target = opt_str(tracking, "value") or "?"
    return (f"Resend reports the tracking CNAME {host} → {target} as {status}",)


def parse_domain(raw: object, *, account: str) -> TrackingDomain | None:
    """A `GET /domains/{id}` answer as a TrackingDomain; None without a tracking subdomain."""
    domain = as_mapping(raw, "domain")
    subdomain = opt_str(domain, "tracking_subdomain")
    name = opt_str(domain, "name")
    domain_id = opt_str(domain, "id")
    if not subdomain:
        return None
    if not name or not domain_id:
        raise ShapeError("a domain without 'name' or 'id'")
    host = normalize_host(f"{subdomain}.{name}")
    records = _records(domain)
    tracking = _record(records, "Tracking")
    tracking_ok = None if tracking is None else opt_str(tracking, "status") == "verified"
    caa_problems, caa_details = _caa_facts(_record(records, "TrackingCAA"), name)
    return TrackingDomain(
        host=host,
        esp="resend",
        account=account,
        esp_id=domain_id,
        verified=tracking_ok,
        cname_valid=tracking_ok,
        expected_target=None if tracking is None else opt_str(tracking, "value"),
        https=True,
        certificate=CERTIFICATE,
        problems=_tracking_problems(tracking, host) + caa_problems,
        details=_details(domain, tracking) + caa_details,
        click_tracking=opt_bool(domain, "click_tracking"),
    )


def _details(
    domain: Mapping[str, object], tracking: Mapping[str, object] | None
) -> tuple[tuple[str, str], ...]:
    candidates = (
        ("domain", opt_str(domain, "name")),
        ("domain_status", opt_str(domain, "status")),
        ("region", opt_str(domain, "region")),
        ("click_tracking", _yes_no(opt_bool(domain, "click_tracking"))),
        ("open_tracking", _yes_no(opt_bool(domain, "open_tracking"))),
        ("tracking_record", None if tracking is None else opt_str(tracking, "status")),
        ("https", "automatic (inferred: Resend issues the certificate)"),
    )
    return tuple((key, value) for key, value in candidates if value)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def parse_verify(body: object) -> str:
    """The domain id `POST /domains/{id}/verify` echoes (checked for shape only)."""
    return opt_str(as_mapping(body, "response"), "id") or ""


class ResendClient(ResendClicks, WithoutHttpsCalls, ApiKeyClient):
    """One Resend team (API key); Resend has a single API host for every sending region."""

    esp = "resend"
    name = "Resend"
    bases = BASES
    unsupported = UNSUPPORTED

    def headers(self, credential: str) -> dict[str, str]:
        """The key as a bearer token."""
        return {"Authorization": f"Bearer {credential}"}

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every domain with a tracking subdomain (records come only from the single-domain GET)."""
        domains = (self._get(domain_id) for domain_id in self._api.paginate(self._page))
        return tuple(domain for domain in domains if domain is not None)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask Resend to re-check the domain's records (async), then read the domain back."""
        require(self, Capability.VERIFY)
        path = f"/domains/{quote_segment(domain.esp_id)}/verify"
        body = self._api.request_json("POST", path, idempotent=True)  # a re-check: harmless twice
        self._api.convert(parse_verify, body)
        fresh = self._get(domain.esp_id)
        if fresh is None:
            raise self._api.make_error(
                EspBadResponse, f"domain {domain.esp_id} no longer has a tracking subdomain"
            )
        return fresh

    def _page(self, cursor: str | None) -> tuple[tuple[str, ...], str | None]:
        params: dict[str, str | int] = {"limit": PAGE_LIMIT}
        if cursor is not None:
            params["after"] = cursor
        body = self._api.request_json("GET", "/domains", params=params)
        return self._api.convert(parse_page, body)

    def _get(self, domain_id: str) -> TrackingDomain | None:
        body = self._api.request_json("GET", f"/domains/{quote_segment(domain_id)}")
        return self._api.convert(lambda b: parse_domain(b, account=self.account.name), body)
