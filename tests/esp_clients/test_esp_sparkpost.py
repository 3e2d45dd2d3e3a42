"""SparkPost tracking domains: documented shapes, verify, managed certificates, HTTPS and errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from esp_clients.base import AccountRef, Capability
from esp_clients.errors import (
    EspBadResponse,
    EspRejected,
)
from esp_clients.sparkpost import SparkPostClient, parse_domain

CANARY = "sk-CANARY-7f3a9e"
BASE = "https://api.sparkpost.com/api/v1"
NOW = 1_700_000_000.0
ACCOUNT = AccountRef(name="acme", esp="sparkpost", region="us")
HOST = "example.domain.com"
PATH = f"/tracking-domains/{HOST}"

# The documented list example (tracking-domains.apib, "List All Tracking Domains").
LISTED = {
    "results": [
        {
            "port": 443,
            "domain": "example.domain.com",
            "secure": True,
            "default": True,
            "status": {
                "verified": False,
                "cname_status": "pending",
                "compliance_status": "pending",
            },
        },
        {
            "port": 80,
            "domain": "example2.domain.com",
            "secure": False,
            "default": False,
            "status": {"verified": True, "cname_status": "valid", "compliance_status": "valid"},
            "subaccount_id": 215,
        },
    ]
}


def managed(
    tls_status: str | None = "valid", *, error_code: str | None = None, managed: bool = True
) -> dict[str, object]:
    """The documented tracking domain object sample, with the TLS fields the docs describe."""
    status: dict[str, object] = {
        "verified": True,
        "cname_status": "valid",
        "compliance_status": "valid",
    }
    if tls_status is not None:
        status["tls_status"] = tls_status
    return {
        "domain": HOST,
        "port": 443,
        "secure": True,
        "default": False,
        "uses_managed_certificate": managed,
        "status": status,
        "tls_certificate": {
            "issued_at": "2026-01-27T19:09:17.000Z",
            "expires_at": "2026-04-27T19:09:16.000Z",
            "error_code": error_code,
        },
    }


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[SparkPostClient]:
    sparkpost = SparkPostClient(ACCOUNT, CANARY, sleep=sleeps.append, clock=lambda: NOW)
    yield sparkpost
    sparkpost.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_list_parses_the_documented_example(client: SparkPostClient, api: respx.MockRouter) -> None:
    route = api.get("/tracking-domains").respond(200, json=LISTED)
    pending, valid = client.list_tracking_domains()
    assert pending.host == HOST and pending.esp_id == HOST and pending.esp == "sparkpost"
    assert pending.verified is False and pending.cname_valid is False
    assert pending.https is True and pending.expected_target is None
    assert pending.certificate.status == "none"
    assert pending.problems == (
        "SparkPost has not verified the domain (CNAME status: pending)",
        "SparkPost's compliance review of this tracking domain is pending",
    )
    assert valid.verified is True and valid.cname_valid is True and valid.https is False
    assert valid.problems == () and ("subaccount_id", "215") in valid.details
    request = route.calls.last.request
    assert request.headers["authorization"] == CANARY
    assert "x-msys-subaccount" not in request.headers


def test_managed_certificate_fields() -> None:
    tracked = parse_domain(managed("valid"), account="acme")
    assert tracked.certificate.status == "active"
    assert tracked.certificate.expires_at == "2026-04-27T19:09:16.000Z"
    assert "SparkPost-managed certificate" in tracked.certificate.detail
    assert ("managed_certificate", "yes") in tracked.details
    assert ("certificate_expires_at", "2026-04-27T19:09:16.000Z") in tracked.details


@pytest.mark.parametrize(
    ("tls_status", "is_managed", "expected"),
    [
        ("pending", True, "pending"),
        ("failed", True, "failed"),
        ("expired", True, "expired"),
        ("unknown", True, "unknown"),
        (None, True, "unknown"),
        ("unavailable", False, "none"),
        (None, False, "none"),
    ],
)
def test_tls_status_maps_to_certificate_state(
    tls_status: str | None, is_managed: bool, expected: str
) -> None:
    tracked = parse_domain(managed(tls_status, managed=is_managed), account="acme")
    assert tracked.certificate.status == expected


def test_certificate_error_codes_are_explained() -> None:
    tracked = parse_domain(managed("failed", error_code="acme:unauthorized"), account="acme")
    assert tracked.certificate.status == "failed"
    assert "HTTP-01" in tracked.certificate.detail
    assert any("acme:unauthorized" in p and "no proxy" in p for p in tracked.problems)


def test_verify_example_with_empty_cname_status_parses() -> None:
    body = managed(None)
    body["status"] = {"verified": True, "cname_status": "", "compliance_status": "valid"}
    tracked = parse_domain(body, account="acme")
    assert tracked.verified is True and tracked.cname_valid is True


def test_blocked_compliance_is_a_problem() -> None:
    body = managed()
    body["status"] = {"verified": True, "cname_status": "valid", "compliance_status": "blocked"}
    assert parse_domain(body, account="acme").problems == (
        "SparkPost's compliance review blocked this tracking domain",
    )


def test_eu_region_and_subaccount(sleeps: list[float]) -> None:
    account = AccountRef(name="eu", esp="sparkpost", region="eu", subaccount="215")
    with respx.mock(base_url="https://api.eu.sparkpost.com/api/v1") as router:
        route = router.get("/tracking-domains").respond(200, json={"results": []})
        sparkpost = SparkPostClient(account, CANARY, sleep=sleeps.append)
        assert sparkpost.list_tracking_domains() == ()
        sparkpost.close()
    assert sparkpost.label == "SparkPost EU"
    assert route.calls.last.request.headers["x-msys-subaccount"] == "215"


def test_verify_posts_then_reads_back(client: SparkPostClient, api: respx.MockRouter) -> None:
    trigger = api.post(f"{PATH}/verify").respond(
        200, json={"results": {"verified": True, "cname_status": "", "compliance_status": "valid"}}
    )
    api.get(PATH).respond(200, json={"results": managed()})
    before = parse_domain(LISTED["results"][0], account="acme")
    after = client.verify(before)
    assert trigger.called and after.verified is True and after.certificate.status == "active"


def test_request_certificate_checks_then_enables(
    client: SparkPostClient, api: respx.MockRouter
) -> None:
    check = api.post(f"{PATH}/certificate/check").respond(
        200, json={"results": {"domain": HOST, "supportsManagedCertificate": True}}
    )
    enable = api.post(f"{PATH}/certificate/enable").respond(
        200, json={"results": {"message": f"Certificate issuance initiated for {HOST}"}}
    )
    state = client.request_certificate(parse_domain(managed(None, managed=False), account="acme"))
    assert check.called and enable.called
    assert state.status == "pending" and "issuance initiated" in state.detail


def test_ineligible_domain_is_rejected_with_the_v2_hint(
    client: SparkPostClient, api: respx.MockRouter
) -> None:
    api.post(f"{PATH}/certificate/check").respond(
        200, json={"results": {"domain": HOST, "supportsManagedCertificate": False}}
    )
    enable = api.post(f"{PATH}/certificate/enable").respond(200, json={"results": {}})
    with pytest.raises(EspRejected) as caught:
        client.request_certificate(parse_domain(managed(), account="acme"))
    assert not enable.called
    assert "verified" in caught.value.hint and "v2.spgo.io" in caught.value.hint


def test_lets_encrypt_policy_403_is_a_rejection_not_a_key_problem(
    client: SparkPostClient, api: respx.MockRouter
) -> None:
    message = "Domain is not eligible for managed certificates due to Let's Encrypt policies"
    api.post(f"{PATH}/certificate/check").respond(403, json={"errors": [{"message": message}]})
    with pytest.raises(EspRejected, match="Let's Encrypt policies"):
        client.request_certificate(parse_domain(managed(), account="acme"))


def test_certificate_status_reads_tls_status(
    client: SparkPostClient, api: respx.MockRouter
) -> None:
    api.get(PATH).respond(200, json={"results": managed("pending")})
    state = client.certificate_status(parse_domain(managed(), account="acme"))
    assert state.status == "pending"


def test_https_on_without_managed_certificate_enables_it(
    client: SparkPostClient, api: respx.MockRouter
) -> None:
    api.get(PATH).mock(
        side_effect=[
            httpx.Response(200, json={"results": managed(None, managed=False)}),
            httpx.Response(200, json={"results": managed("pending")}),
        ]
    )
    api.post(f"{PATH}/certificate/check").respond(
        200, json={"results": {"domain": HOST, "supportsManagedCertificate": True}}
    )
    enable = api.post(f"{PATH}/certificate/enable").respond(
        200, json={"results": {"message": "ok"}}
    )
    put = api.put(PATH).respond(200, json={"results": {"domain": HOST}})
    after = client.set_https(parse_domain(managed(None, managed=False), account="acme"), True)
    assert enable.called and not put.called
    assert after.https is True and after.certificate.status == "pending"


@pytest.mark.parametrize("enabled", [True, False])
def test_https_toggle_with_managed_certificate_puts_secure(
    client: SparkPostClient, api: respx.MockRouter, enabled: bool
) -> None:
    after_body = managed()
    after_body["secure"] = enabled
    api.get(PATH).mock(
        side_effect=[
            httpx.Response(200, json={"results": managed()}),
            httpx.Response(200, json={"results": after_body}),
        ]
    )
    put = api.put(PATH).respond(200, json={"results": {"domain": HOST}})
    enable = api.post(f"{PATH}/certificate/enable").respond(200, json={"results": {}})
    after = client.set_https(parse_domain(managed(), account="acme"), enabled)
    assert json.loads(put.calls.last.request.content) == {"secure": enabled}
    assert not enable.called and after.https is enabled


def test_every_capability_but_the_click_tracking_switch_is_supported(
    client: SparkPostClient,
) -> None:
    supported = frozenset(Capability) - {Capability.CLICK_TRACKING}
    assert all(client.explain(capability) is None for capability in supported)
    assert client.capabilities == supported
    reason = client.explain(Capability.CLICK_TRACKING)
    assert reason is not None and "per transmission" in reason.reason


def test_error_description_is_kept(client: SparkPostClient, api: respx.MockRouter) -> None:
    body = {"errors": [{"message": "invalid params", "description": "domain must be valid"}]}
    api.get("/tracking-domains").respond(400, json=body)
    with pytest.raises(EspRejected, match=r"invalid params \(domain must be valid\)"):
        client.list_tracking_domains()


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (httpx.Response(200, json={"results": {"domain": HOST}}), "results is not a JSON array"),
        (httpx.Response(200, json={"results": [{"port": 80}]}), "has no 'domain'"),
        (
            httpx.Response(200, json={"results": [{"domain": HOST, "status": "valid"}]}),
            "status is not a JSON object",
        ),
    ],
)
def test_wrong_list_shapes_are_bad_responses(
    client: SparkPostClient, api: respx.MockRouter, reply: httpx.Response, words: str
) -> None:
    api.get("/tracking-domains").mock(return_value=reply)
    with pytest.raises(EspBadResponse, match=words):
        client.list_tracking_domains()
