"""Resend client against Prism serving Resend's own OpenAPI file.

Prism refuses any request the spec does not allow (401 without the bearer scheme, 422 for a bad
parameter, 404 for an unknown path), so every call here passing proves the client speaks the
documented dialect. Prism answers with the schema's examples: the Domain example has a tracking
subdomain (`string`, generated from the schema) and only an SPF record.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from esp_clients.base import AccountRef, Capability
from esp_clients.resend import ResendClient
from tests.support.prism import Wire, spec_file

KEY = "re_contract_test_key"
SPEC = spec_file("resend.openapi.yaml")
DOMAIN_ID = "d91cd9bd-1176-453e-8fc1-35364d380206"


@pytest.fixture
def client(prism_url: str, wire: Wire) -> Iterator[ResendClient]:
    account = AccountRef(name="contract", esp="resend", api_base=prism_url)
    with wire.client() as http:
        resend = ResendClient(account, KEY, http_client=http, sleep=wire.sleeps.append)
        yield resend
        resend.close()


def test_list_then_get_match_the_documented_examples(client: ResendClient, wire: Wire) -> None:
    (tracked,) = client.list_tracking_domains()
    assert wire.exchanges == [("GET", "/domains", 200), ("GET", f"/domains/{DOMAIN_ID}", 200)]
    assert (tracked.host, tracked.esp_id, tracked.esp) == (
        "string.example.com",
        DOMAIN_ID,
        "resend",
    )
    assert tracked.verified is None and tracked.cname_valid is None
    assert tracked.expected_target is None and tracked.https is True
    assert tracked.problems == ("Resend lists no Tracking record for string.example.com",)
    assert ("domain_status", "pending") in tracked.details
    assert ("region", "us-east-1") in tracked.details
    assert wire.sleeps == []


def test_verify_matches_the_documented_calls(client: ResendClient, wire: Wire) -> None:
    (tracked,) = client.list_tracking_domains()
    wire.exchanges.clear()
    after = client.verify(tracked)
    assert wire.exchanges == [
        ("POST", f"/domains/{DOMAIN_ID}/verify", 200),
        ("GET", f"/domains/{DOMAIN_ID}", 200),
    ]
    assert after == tracked


def test_every_supported_capability_was_exercised(client: ResendClient) -> None:
    assert client.capabilities == frozenset({Capability.LIST, Capability.VERIFY})


def test_prism_really_validates(prism_url: str) -> None:
    with httpx.Client(base_url=prism_url) as raw:
        too_many = raw.get("/domains", params={"limit": 500}, headers={"Authorization": "Bearer x"})
        anonymous = raw.get("/domains")
        basic = raw.get("/domains", auth=("api", KEY))
    assert too_many.status_code == 422 and "limit" in too_many.text
    assert anonymous.status_code == 401 and basic.status_code == 401
