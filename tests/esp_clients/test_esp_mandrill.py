"""Mandrill tracking domains: the URLs API, its named errors, and the key kept out of every text."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest
import respx

from esp_clients import make_client
from esp_clients.base import AccountRef, Capability
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspNotFound,
    EspRateLimited,
    EspRejected,
    EspUnavailable,
    EspUnsupported,
)
from esp_clients.mandrill import MandrillClient, parse_tracking_domain

CANARY = "sk-CANARY-7f3a9e"
BASE = "https://mandrillapp.com/api/1.4"
NOW = 1_700_000_000.0
ACCOUNT = AccountRef(name="acme", esp="mandrill")
CNAME_ERROR = (
    " does not match the required CNAME target of mandrillapp.com. Please verify that you have"
    " entered the CNAME correctly."
)


def entry(domain: str = "track.example.com", *, valid: bool = False) -> dict[str, object]:
    """One tracking domain shaped like the documented TrackingDomain example."""
    return {
        "domain": domain,
        "created_at": "2025-08-15 17:01:12.34214",
        "last_tested_at": "2025-08-15 17:01:12.39638",
        "cname": {"valid": valid, "valid_after": None, "error": None if valid else CNAME_ERROR},
        "valid_tracking": valid,
    }


def mandrill_error(name: str, message: str, code: int = -1) -> dict[str, object]:
    return {"status": "error", "code": code, "name": name, "message": message}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[MandrillClient]:
    mandrill = MandrillClient(ACCOUNT, CANARY, sleep=sleeps.append, clock=lambda: NOW)
    yield mandrill
    mandrill.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_list_parses_the_documented_example(client: MandrillClient, api: respx.MockRouter) -> None:
    route = api.post("/urls/tracking-domains").respond(
        200, json=[entry(), entry("click.example.org", valid=True)]
    )
    broken, fine = client.list_tracking_domains()
    assert json.loads(route.calls.last.request.content) == {"key": CANARY}
    assert broken.host == "track.example.com" and broken.esp_id == "track.example.com"
    assert broken.verified is False and broken.cname_valid is False
    assert broken.expected_target == "mandrillapp.com"
    assert broken.https is None and broken.certificate.status == "unknown"
    assert broken.problems[0].startswith(
        "track.example.com does not match the required CNAME target of mandrillapp.com."
    )
    assert ("last_tested_at", "2025-08-15 17:01:12.39638") in broken.details
    assert fine.verified is True and fine.cname_valid is True and fine.problems == ()


def test_verify_posts_the_domain(client: MandrillClient, api: respx.MockRouter) -> None:
    route = api.post("/urls/check-tracking-domain").respond(200, json=entry(valid=True))
    before = parse_tracking_domain(entry(), "acme")
    after = client.verify(before)
    sent = json.loads(route.calls.last.request.content)
    assert sent == {"key": CANARY, "domain": "track.example.com"}
    assert after.verified is True and after.problems == ()


def test_invalid_key_on_http_500_is_auth_without_retry(
    client: MandrillClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    body = mandrill_error("Invalid_Key", "Invalid API key")
    api.post("/urls/tracking-domains").respond(500, json=body)
    with pytest.raises(EspAuthError) as caught:
        client.list_tracking_domains()
    assert "Invalid_Key: Invalid API key" in str(caught.value)
    assert "trackdeck creds set acme" in str(caught.value)
    assert sleeps == []


def test_unknown_tracking_domain_is_not_found(
    client: MandrillClient, api: respx.MockRouter
) -> None:
    body = mandrill_error("Unknown_TrackingDomain", "No such tracking domain", code=21)
    api.post("/urls/check-tracking-domain").respond(500, json=body)
    with pytest.raises(EspNotFound, match="Unknown_TrackingDomain"):
        client.verify(parse_tracking_domain(entry(), "acme"))


def test_validation_error_is_rejected(client: MandrillClient, api: respx.MockRouter) -> None:
    body = mandrill_error("ValidationError", "You must specify a domain value", code=-2)
    api.post("/urls/check-tracking-domain").respond(422, json=body)
    with pytest.raises(EspRejected, match="You must specify a domain value"):
        client.verify(parse_tracking_domain(entry(), "acme"))


@pytest.mark.parametrize("status", [401, 403])
def test_plain_auth_statuses(client: MandrillClient, api: respx.MockRouter, status: int) -> None:
    api.post("/urls/tracking-domains").respond(status, text="Forbidden")
    with pytest.raises(EspAuthError, match=f"HTTP {status}"):
        client.list_tracking_domains()


def test_general_error_retries_then_unavailable(
    client: MandrillClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    api.post("/urls/tracking-domains").respond(500, json=mandrill_error("GeneralError", "oops"))
    with pytest.raises(EspUnavailable, match="GeneralError: oops"):
        client.list_tracking_domains()
    assert sleeps == [0.5, 1.0, 2.0]


def test_429_retry_after_then_success(
    client: MandrillClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    limited = mandrill_error("RequestLimitExceeded", "Too Many Requests attempted recently", 429)
    api.post("/urls/tracking-domains").mock(
        side_effect=[
            httpx.Response(429, json=limited, headers={"Retry-After": "6"}),
            httpx.Response(200, json=[]),
        ]
    )
    assert client.list_tracking_domains() == ()
    assert sleeps == [6.0]


def test_429_ratelimit_reset_then_success(
    client: MandrillClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    api.post("/urls/tracking-domains").mock(
        side_effect=[
            httpx.Response(429, headers={"X-RateLimit-Reset": str(int(NOW) + 2)}),
            httpx.Response(200, json=[entry()]),
        ]
    )
    assert len(client.list_tracking_domains()) == 1
    assert sleeps == [2.0]


def test_429_forever(client: MandrillClient, api: respx.MockRouter) -> None:
    limited = mandrill_error("RequestLimitExceeded", "Too Many Requests attempted recently", 429)
    api.post("/urls/tracking-domains").respond(429, json=limited)
    with pytest.raises(EspRateLimited, match="Too Many Requests"):
        client.list_tracking_domains()


@pytest.mark.parametrize(
    "response", [httpx.Response(502, html="<html>Bad Gateway</html>"), httpx.Response(503)]
)
def test_gateway_errors(
    client: MandrillClient, api: respx.MockRouter, sleeps: list[float], response: httpx.Response
) -> None:
    api.post("/urls/tracking-domains").mock(return_value=response)
    with pytest.raises(EspUnavailable) as caught:
        client.list_tracking_domains()
    assert caught.value.status == response.status_code
    assert len(sleeps) == 3


def test_connect_timeout(client: MandrillClient, api: respx.MockRouter) -> None:
    api.post("/urls/tracking-domains").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(EspUnavailable, match="timed out"):
        client.list_tracking_domains()


def test_malformed_json(client: MandrillClient, api: respx.MockRouter) -> None:
    api.post("/urls/tracking-domains").respond(200, text="[{")
    with pytest.raises(EspBadResponse, match="not valid JSON"):
        client.list_tracking_domains()


@pytest.mark.parametrize(
    "body", [{"domains": []}, [{"cname": {}}], [{"domain": "a.example", "cname": []}], [3]]
)
def test_wrong_shape(client: MandrillClient, api: respx.MockRouter, body: object) -> None:
    api.post("/urls/tracking-domains").respond(200, json=body)
    with pytest.raises(EspBadResponse, match="unexpected response shape"):
        client.list_tracking_domains()


def test_oversized_response(client: MandrillClient, api: respx.MockRouter) -> None:
    api.post("/urls/tracking-domains").respond(200, json=[{"pad": "x" * 5_100_000}])
    with pytest.raises(EspBadResponse, match="larger than"):
        client.list_tracking_domains()


def test_https_and_certificates_are_unsupported(client: MandrillClient) -> None:
    domain = parse_tracking_domain(entry(), "acme")
    calls: list[Callable[[], object]] = [
        lambda: client.set_https(domain, True),
        lambda: client.set_https(domain, False),
        lambda: client.request_certificate(domain),
        lambda: client.certificate_status(domain),
    ]
    for call in calls:
        with pytest.raises(EspUnsupported, match="no HTTPS setting"):
            call()
    reason = client.explain(Capability.HTTPS_ENABLE)
    assert reason is not None and "Mandrill's API has no HTTPS setting" in reason.reason
    assert client.explain(Capability.VERIFY) is None


def test_canary_never_leaks(
    client: MandrillClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trackdeck.esp")
    body = mandrill_error("Invalid_Key", f"Invalid API key {CANARY}")
    api.post("/urls/tracking-domains").respond(500, json=body)
    with pytest.raises(EspAuthError) as caught:
        client.list_tracking_domains()
    texts = [str(caught.value), repr(caught.value), repr(client), repr(client._api)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records
    assert all(CANARY not in text for text in texts)
    assert "Invalid API key ***" in str(caught.value)


def test_registry_builds_mandrill() -> None:
    made = make_client(ACCOUNT, CANARY)
    assert isinstance(made, MandrillClient)
    made.close()
