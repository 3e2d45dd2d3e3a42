"""Resend client against Prism serving Resend's own OpenAPI file.

Prism refuses any request the spec does not allow (401 without the bearer scheme, 422 for a bad
parameter, 404 for an unknown path), so every call here passing proves the client speaks the
documented dialect. Prism answers with the schema's examples: the Domain example has a tracking
subdomain (`string`, generated from the schema) and only an SPF record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from esp_clients.base import AccountRef, Capability
from esp_clients.errors import EspBadResponse
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


def test_click_tracking_comes_with_the_domain(client: ResendClient, wire: Wire) -> None:
    """The documented Domain example has `click_tracking` on; reading it costs no extra call."""
    (tracked,) = client.list_tracking_domains()
    wire.exchanges.clear()
    tracking = client.click_tracking(tracked)
    assert wire.exchanges == [] and tracking.enabled is True
    assert f"PATCH /domains/{DOMAIN_ID}" in tracking.setting


def test_email_metrics_is_in_the_spec_and_its_query_passes(
    client: ResendClient, wire: Wire
) -> None:
    """`GET /emails/metrics` exists in Resend's OpenAPI file (v1.5.0): Prism accepts the query
    (dates, `granularity=daily`, the two metrics, `dimensions=period`, a domain id). Its answer
    is generated from the schema, where `period` is any string: "string" is no date, so the
    figures are refused as a bad answer (unknown), never taken for an empty series."""
    (tracked,) = client.list_tracking_domains()
    wire.exchanges.clear()
    with pytest.raises(EspBadResponse, match="period 'string'"):
        client.click_series(tracked, dt.date(2026, 10, 25), dt.date(2026, 11, 24))
    assert wire.exchanges == [("GET", "/emails/metrics", 200)]


def test_every_supported_capability_was_exercised(client: ResendClient) -> None:
    assert client.capabilities == frozenset(
        {Capability.LIST, Capability.VERIFY, Capability.CLICK_STATS, Capability.CLICK_TRACKING}
    )


def test_prism_really_validates(prism_url: str) -> None:
    bearer = {"Authorization": "Bearer x"}
    with httpx.Client(base_url=prism_url) as raw:
        too_many = raw.get("/domains", params={"limit": 500}, headers=bearer)
        anonymous = raw.get("/domains")
        basic = raw.get("/domains", auth=("api", KEY))
        hourly_ish = raw.get("/emails/metrics", params={"granularity": "daily-ish"}, headers=bearer)
        not_a_uuid = raw.get("/emails/metrics", params={"domain_id": "links"}, headers=bearer)
    assert too_many.status_code == 422 and "limit" in too_many.text
    assert anonymous.status_code == 401 and basic.status_code == 401
    assert hourly_ish.status_code == 422 and "granularity" in hourly_ish.text
    assert not_a_uuid.status_code == 422 and "domain_id" in not_a_uuid.text
