"""SendGrid branded links: parsing the documented shapes, verify, errors and the HTTPS limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from esp_clients.base import AccountRef, Capability, TrackingDomain
from esp_clients.errors import (
    EspBadResponse,
    EspUnavailable,
    EspUnsupported,
)
from esp_clients.sendgrid import SendGridClient, parse_link

CANARY = "sk-CANARY-7f3a9e"
BASE = "https://api.sendgrid.com"
NOW = 1_700_000_000.0
ACCOUNT = AccountRef(name="acme", esp="sendgrid", region="global")


def link(
    link_id: int = 1, *, valid: bool = True, owner_valid: bool = True, **extra: object
) -> dict[str, object]:
    """A branded link shaped like the spec's LinkBranding200 example."""
    dns: dict[str, object] = {
        "domain_cname": {
            "valid": valid,
            "type": "cname",
            "host": "mail.example.com",
            "data": "sendgrid.net",
        },
        "owner_cname": {
            "valid": owner_valid,
            "type": "cname",
            "host": "7.example.com",
            "data": "sendgrid.net",
        },
    }
    dns.update(extra)
    return {
        "id": link_id,
        "domain": "example.com",
        "subdomain": "mail",
        "username": "john@example.com",
        "user_id": 7,
        "default": False,
        "valid": valid and owner_valid,
        "legacy": False,
        "dns": dns,
    }


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[SendGridClient]:
    sendgrid = SendGridClient(ACCOUNT, CANARY, sleep=sleeps.append, clock=lambda: NOW)
    yield sendgrid
    sendgrid.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_list_parses_the_documented_example(client: SendGridClient, api: respx.MockRouter) -> None:
    second = link(2, owner_valid=False)
    second["dns"]["owner_cname"]["host"] = "8.example2.com"  # type: ignore[index]
    route = api.get("/v3/whitelabel/links").respond(200, json=[link(1), second])
    first, other = client.list_tracking_domains()
    assert first.host == "mail.example.com" and first.esp_id == "1"
    assert first.verified is True and first.cname_valid is True
    assert first.expected_target == "sendgrid.net"
    assert first.https is None and first.certificate.status == "unknown"
    assert ("auto_ssl", "no") in first.details
    assert other.verified is False and other.cname_valid is True
    assert other.problems == (
        "SendGrid reports owner_cname (8.example2.com CNAME sendgrid.net) as not valid",
    )
    request = route.calls.last.request
    assert request.url.params["limit"] == "500"
    assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert "on-behalf-of" not in request.headers


def test_subuser_and_eu_region(sleeps: list[float]) -> None:
    account = AccountRef(name="eu", esp="sendgrid", region="eu", subuser="brand-sub")
    with respx.mock(base_url="https://api.eu.sendgrid.com") as api:
        route = api.get("/v3/whitelabel/links").respond(200, json=[])
        sendgrid = SendGridClient(account, CANARY, sleep=sleeps.append)
        assert sendgrid.list_tracking_domains() == ()
        sendgrid.close()
    assert sendgrid.label == "SendGrid EU"
    assert route.calls.last.request.headers["on-behalf-of"] == "brand-sub"


def test_auto_ssl_records_infer_https(client: SendGridClient, api: respx.MockRouter) -> None:
    ready = link(
        1,
        acme_challenge_cname={"valid": True, "type": "cname", "host": "_acme-challenge.mail"},
        cf_custom_hostname_txt={"valid": True, "type": "txt", "host": "_cf-custom-hostname.mail"},
    )
    waiting = link(
        2,
        acme_challenge_cname={"valid": True, "type": "cname", "host": "_acme-challenge.mail"},
        cf_custom_hostname_txt={"valid": False, "type": "txt", "host": "_cf-custom-hostname.mail"},
    )
    api.get("/v3/whitelabel/links").respond(200, json=[ready, waiting])
    first, second = client.list_tracking_domains()
    assert first.https is True and first.certificate.status == "active"
    assert "inferred" in first.certificate.detail
    assert ("auto_ssl", "yes") in first.details
    assert second.https is False and second.certificate.status == "pending"
    assert "cf_custom_hostname_txt" in second.certificate.detail


def test_verify_collects_reasons_then_rereads(
    client: SendGridClient, api: respx.MockRouter
) -> None:
    reason = 'Expected CNAME to match "sendgrid.net." but found "example.com.".'
    validate = api.post("/v3/whitelabel/links/1/validate").respond(
        200,
        json={
            "id": 1,
            "valid": False,
            "validation_results": {
                "domain_cname": {"valid": False, "reason": reason},
                "owner_cname": {"valid": True, "reason": None},
            },
        },
    )
    api.get("/v3/whitelabel/links/1").respond(200, json=link(1, valid=False))
    before = client.get("1")
    after = client.verify(before)
    assert validate.called
    assert after.cname_valid is False and after.verified is False
    assert after.problems[0] == f"domain_cname: {reason}"
    assert any("domain_cname (mail.example.com CNAME" in p for p in after.problems[1:])


def test_validate_500_becomes_unavailable_with_the_message(
    client: SendGridClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    body = {"errors": [{"message": "internal error getting CNAME"}]}
    api.post("/v3/whitelabel/links/1/validate").respond(500, json=body)
    api.get("/v3/whitelabel/links/1").respond(200, json=link(1))
    with pytest.raises(EspUnavailable, match="internal error getting CNAME"):
        client.verify(client.get("1"))
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "body",
    [{"result": []}, [{"dns": {}}], [{"id": 1, "dns": {"domain_cname": "x"}}], ["nope"]],
)
def test_wrong_shape(client: SendGridClient, api: respx.MockRouter, body: object) -> None:
    api.get("/v3/whitelabel/links").respond(200, json=body)
    with pytest.raises(EspBadResponse, match="unexpected response shape"):
        client.list_tracking_domains()


@pytest.mark.parametrize("enabled", [True, False])
def test_https_is_unsupported_and_explained(client: SendGridClient, enabled: bool) -> None:
    domain = client_domain()
    with pytest.raises(EspUnsupported) as caught:
        client.set_https(domain, enabled)
    assert "support" in str(caught.value)
    reason = client.explain(Capability.HTTPS_ENABLE)
    assert reason is not None
    assert "Auto-SSL" in reason.reason and "CDN" in reason.reason
    assert client.explain(Capability.LIST) is None
    assert client.explain(Capability.VERIFY) is None
    assert Capability.HTTPS_ENABLE not in client.capabilities


def test_certificate_calls_are_unsupported(client: SendGridClient) -> None:
    for call in (client.request_certificate, client.certificate_status):
        with pytest.raises(EspUnsupported, match="Auto-SSL") as caught:
            call(client_domain())
        assert caught.value.capability is Capability.CERTIFICATE


def client_domain() -> TrackingDomain:
    """A parsed branded link, for calls that need one."""
    return parse_link(link(), "acme")
