"""SendGrid's click figures against Prism serving SendGrid's own Stats OpenAPI file.

Prism refuses a request the spec does not allow (a missing `start_date`, an `aggregated_by` outside
day/week/month, another auth scheme), so each passing call speaks the documented dialect; its
answers are the documented example (seven days of November 2015, every count zero).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from esp_clients.base import AccountRef, Capability
from esp_clients.sendgrid import SendGridClient
from tests.support.fakes import domain
from tests.support.prism import Wire, spec_file

KEY = "SG.contract-test-key"
SPEC = spec_file("sendgrid-stats.openapi.yaml")
FIRST, LAST = dt.date(2015, 11, 3), dt.date(2015, 11, 9)


@pytest.fixture
def client(prism_url: str, wire: Wire) -> Iterator[SendGridClient]:
    account = AccountRef(name="contract", esp="sendgrid", api_base=prism_url, subuser="brand-sub")
    with wire.client() as http:
        sendgrid = SendGridClient(account, KEY, http_client=http, sleep=wire.sleeps.append)
        yield sendgrid
        sendgrid.close()


def test_the_documented_days_are_read(client: SendGridClient, wire: Wire) -> None:
    tracked = domain("links.brand.example", "contract", esp="sendgrid")
    series = client.click_series(tracked, FIRST, LAST)
    assert wire.exchanges == [("GET", "/v3/stats", 200)]
    assert [day.day for day in series.days] == [FIRST + dt.timedelta(days=n) for n in range(7)]
    assert all(day.delivered == day.unique_clicks == 0 for day in series.days)
    assert series.scope.label == "subuser brand-sub" and series.source == "GET /v3/stats"
    assert Capability.CLICK_STATS in client.capabilities


def test_days_outside_the_window_are_left_out(client: SendGridClient, wire: Wire) -> None:
    tracked = domain("links.brand.example", "contract", esp="sendgrid")
    series = client.click_series(tracked, dt.date(2026, 10, 25), dt.date(2026, 11, 24))
    assert series.days == () and wire.exchanges == [("GET", "/v3/stats", 200)]


def test_prism_really_validates(prism_url: str) -> None:
    bearer = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=prism_url) as raw:
        no_start = raw.get("/v3/stats", params={"aggregated_by": "day"}, headers=bearer)
        basic = raw.get("/v3/stats", params={"start_date": "2015-11-03"}, auth=("api", KEY))
    assert no_start.status_code == 422 and "start_date" in no_start.text
    assert basic.status_code == 401
