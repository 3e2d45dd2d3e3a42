"""Mandrill tracking domains: the URLs API, its named errors, and the key kept out of every text."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import respx

from esp_clients.base import AccountRef, Capability
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspNotFound,
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


def test_general_error_retries_then_unavailable(
    client: MandrillClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    api.post("/urls/tracking-domains").respond(500, json=mandrill_error("GeneralError", "oops"))
    with pytest.raises(EspUnavailable, match="GeneralError: oops"):
        client.list_tracking_domains()
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "body", [{"domains": []}, [{"cname": {}}], [{"domain": "a.example", "cname": []}], [3]]
)
def test_wrong_shape(client: MandrillClient, api: respx.MockRouter, body: object) -> None:
    api.post("/urls/tracking-domains").respond(200, json=body)
    with pytest.raises(EspBadResponse, match="unexpected response shape"):
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
