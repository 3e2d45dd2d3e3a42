"""SendGrid client against Prism serving SendGrid's own Link Branding OpenAPI file.

Prism refuses any request the spec does not allow (401 for the wrong auth scheme, 422 for a bad
parameter), so every call here passing proves the client speaks the documented dialect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from esp_clients.base import AccountRef
from esp_clients.errors import EspRejected, EspUnavailable
from esp_clients.sendgrid import SendGridClient
from tests.support.prism import Wire, spec_file

KEY = "SG.contract-test-key"
SPEC = spec_file("sendgrid-link-branding.openapi.yaml")
REASON = 'Expected CNAME to match "sendgrid.net." but found "example.com.".'


@contextmanager
def sendgrid(prism_url: str, wire: Wire, subuser: str | None = None) -> Iterator[SendGridClient]:
    """A SendGrid client pointed at Prism through the recording wire."""
    account = AccountRef(name="contract", esp="sendgrid", api_base=prism_url, subuser=subuser)
    with wire.client() as http:
        client = SendGridClient(account, KEY, http_client=http, sleep=wire.sleeps.append)
        yield client
        client.close()


@pytest.fixture
def client(prism_url: str, wire: Wire) -> Iterator[SendGridClient]:
    with sendgrid(prism_url, wire) as made:
        yield made


def test_list_matches_the_documented_example(client: SendGridClient, wire: Wire) -> None:
    first, second = client.list_tracking_domains()
    assert wire.exchanges == [("GET", "/v3/whitelabel/links", 200)]
    assert (first.esp_id, first.host, first.verified, first.cname_valid) == (
        "1",
        "mail.example.com",
        True,
        True,
    )
    assert first.expected_target == "sendgrid.net"
    assert first.https is None and first.certificate.status == "unknown"
    assert (second.esp_id, second.host, second.verified) == ("2", "news.example2.com", False)
    assert second.problems == (
        "SendGrid reports owner_cname (8.example2.com CNAME sendgrid.net) as not valid",
    )
    assert wire.sleeps == []


def test_list_on_behalf_of_a_subuser(prism_url: str, wire: Wire) -> None:
    with sendgrid(prism_url, wire, subuser="brand-subuser") as client:
        assert len(client.list_tracking_domains()) == 2
    assert wire.exchanges == [("GET", "/v3/whitelabel/links", 200)]


def test_get_matches_the_documented_example(client: SendGridClient, wire: Wire) -> None:
    link = client.get("1")
    assert wire.exchanges == [("GET", "/v3/whitelabel/links/1", 200)]
    assert (link.host, link.verified, link.expected_target) == (
        "mail.example.com",
        True,
        "sendgrid.net",
    )


def test_verify_validates_then_rereads(client: SendGridClient, wire: Wire) -> None:
    link = client.get("1")
    verified = client.verify(link)
    assert wire.exchanges[1:] == [
        ("POST", "/v3/whitelabel/links/1/validate", 200),
        ("GET", "/v3/whitelabel/links/1", 200),
    ]
    assert verified.problems == (f"domain_cname: {REASON}",)


def test_documented_validate_500_becomes_unavailable(client: SendGridClient, wire: Wire) -> None:
    wire.prefer[("POST", "/v3/whitelabel/links/1/validate")] = "code=500"
    with pytest.raises(EspUnavailable, match="internal error getting CNAME"):
        client.verify(client.get("1"))
    assert wire.sleeps == [0.5, 1.0, 2.0]


def test_prism_really_validates(client: SendGridClient, wire: Wire) -> None:
    with pytest.raises(EspRejected, match="HTTP 422"):
        client.get("not-a-number")
    assert wire.exchanges == [("GET", "/v3/whitelabel/links/not-a-number", 422)]
