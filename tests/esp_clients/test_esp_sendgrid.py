"""SendGrid branded links: parsing the documented shapes, verify, errors and the HTTPS limits."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
import respx

from esp_clients import AwsCredentials, make_client
from esp_clients.base import AccountRef, Capability, TrackingDomain
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspNotFound,
    EspRateLimited,
    EspRejected,
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


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        SendGridClient(AccountRef(name="x", esp="sendgrid", region="mars"), CANARY)


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


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors(client: SendGridClient, api: respx.MockRouter, status: int) -> None:
    body = {"errors": [{"field": None, "message": "authorization required"}]}
    api.get("/v3/whitelabel/links").respond(status, json=body)
    with pytest.raises(EspAuthError) as caught:
        client.list_tracking_domains()
    assert "trackdeck creds set acme" in str(caught.value)
    assert "authorization required" in str(caught.value)


def test_not_found(client: SendGridClient, api: respx.MockRouter) -> None:
    api.get("/v3/whitelabel/links/9").respond(404, json={"errors": [{"message": "not found"}]})
    with pytest.raises(EspNotFound, match="not found"):
        client.get("9")


def test_429_with_retry_after_then_success(
    client: SendGridClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    too_many = {"errors": [{"field": None, "message": "too many requests"}]}
    api.get("/v3/whitelabel/links").mock(
        side_effect=[
            httpx.Response(429, json=too_many, headers={"Retry-After": "3"}),
            httpx.Response(200, json=[link()]),
        ]
    )
    assert len(client.list_tracking_domains()) == 1
    assert sleeps == [3.0]


def test_429_with_ratelimit_reset_then_success(
    client: SendGridClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    reset = {"X-RateLimit-Reset": str(int(NOW) + 5), "X-RateLimit-Remaining": "0"}
    api.get("/v3/whitelabel/links").mock(
        side_effect=[httpx.Response(429, headers=reset), httpx.Response(200, json=[])]
    )
    assert client.list_tracking_domains() == ()
    assert sleeps == [5.0]


def test_429_forever_is_rate_limited(
    client: SendGridClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    api.get("/v3/whitelabel/links").respond(429, headers={"Retry-After": "1"})
    with pytest.raises(EspRateLimited) as caught:
        client.list_tracking_domains()
    assert caught.value.retry_after == 1.0
    assert len(sleeps) == 3


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"errors": [{"message": "boom"}]}),
        httpx.Response(502, html="<html><h1>502 Bad Gateway</h1></html>"),
        httpx.Response(503, text="unavailable"),
    ],
)
def test_server_errors_end_unavailable(
    client: SendGridClient, api: respx.MockRouter, sleeps: list[float], response: httpx.Response
) -> None:
    api.get("/v3/whitelabel/links").mock(return_value=response)
    with pytest.raises(EspUnavailable) as caught:
        client.list_tracking_domains()
    assert caught.value.status == response.status_code
    assert sleeps == [0.5, 1.0, 2.0]


def test_connect_timeout(client: SendGridClient, api: respx.MockRouter) -> None:
    api.get("/v3/whitelabel/links").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(EspUnavailable, match="timed out"):
        client.list_tracking_domains()


def test_malformed_json(client: SendGridClient, api: respx.MockRouter) -> None:
    api.get("/v3/whitelabel/links").respond(200, text="[{oops")
    with pytest.raises(EspBadResponse, match="not valid JSON"):
        client.list_tracking_domains()


@pytest.mark.parametrize(
    "body",
    [{"result": []}, [{"dns": {}}], [{"id": 1, "dns": {"domain_cname": "x"}}], ["nope"]],
)
def test_wrong_shape(client: SendGridClient, api: respx.MockRouter, body: object) -> None:
    api.get("/v3/whitelabel/links").respond(200, json=body)
    with pytest.raises(EspBadResponse, match="unexpected response shape"):
        client.list_tracking_domains()


def test_oversized_response(client: SendGridClient, api: respx.MockRouter) -> None:
    api.get("/v3/whitelabel/links").respond(200, json=[link(1, pad="x" * 5_100_000)])
    with pytest.raises(EspBadResponse, match="larger than"):
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


def test_canary_never_leaks(
    client: SendGridClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trackdeck.esp")
    api.get("/v3/whitelabel/links").respond(
        400, json={"errors": [{"message": f"key {CANARY} refused"}]}
    )
    with pytest.raises(EspRejected) as caught:
        client.list_tracking_domains()
    texts = [str(caught.value), repr(caught.value), repr(client), repr(client._api)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records
    assert all(CANARY not in text for text in texts)


def test_registry_builds_sendgrid_and_refuses_aws_credentials() -> None:
    made = make_client(ACCOUNT, CANARY)
    assert isinstance(made, SendGridClient)
    made.close()
    creds = AwsCredentials(access_key_id="AKIA", secret_access_key=CANARY)
    assert CANARY not in repr(creds)
    with pytest.raises(EspAuthError, match="needs an API key"):
        make_client(ACCOUNT, creds)


def client_domain() -> TrackingDomain:
    """A parsed branded link, for calls that need one."""
    return parse_link(link(), "acme")
