"""SparkPost's click figures against the Time-Series Metrics action of SparkPost's own API Blueprint
(metrics.apib), read as the tracking-domain contract test reads its blueprint: the request must use
the documented path, query parameters, precision and metric names, and the documented answer must
parse into the two days it holds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest
import respx

from esp_clients.base import AccountRef, Capability
from esp_clients.sparkpost import SparkPostClient
from esp_clients.sparkpost_clicks import METRICS, TIME_SERIES_PATH, parse_time_series
from tests.support.blueprint import read_examples
from tests.support.fakes import domain
from tests.support.prism import spec_file

SPEC = spec_file("sparkpost-metrics.apib")
TEXT = SPEC.read_text(encoding="utf-8")
BASE = "https://sparkpost.contract.test/api/v1"
KEY = "contract-test-key"
(REQUEST, RESPONSE) = read_examples(TEXT, only=f"/v1{TIME_SERIES_PATH}")
ACTION = TEXT[TEXT.index("### Time-Series Metrics") :].split("\n### ", 1)[0]


def documented_values(parameter: str) -> set[str]:
    """The `+ Values` of one parameter of the action."""
    section = ACTION.split(f"+ {parameter} ", 1)[1].split("\n    + ", 1)[0]
    return set(re.findall(r"\+ `([^`]+)`", section))


def test_the_action_was_read() -> None:
    assert (REQUEST.kind, RESPONSE.kind, RESPONSE.status) == ("request", "response", 200)
    assert {"from", "to", "precision", "metrics", "timezone", "subaccounts"} <= RESPONSE.query
    assert {"count_delivered", "count_unique_clicked"} <= documented_values("metrics")
    assert "day" in documented_values("precision")


def test_the_documented_answer_parses() -> None:
    assert parse_time_series(RESPONSE.body) == (
        (dt.date(2020, 10, 4), 219916, 9123),
        (dt.date(2020, 10, 5), 145617, 5999),
    )


@pytest.fixture
def wire() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE) as router:
        router.get(TIME_SERIES_PATH).respond(200, json=RESPONSE.body)
        yield router


@pytest.mark.parametrize("subaccount", [None, "17"])
def test_the_request_is_documented(wire: respx.MockRouter, subaccount: str | None) -> None:
    account = AccountRef(
        name="doc", esp="sparkpost", region="us", api_base=BASE, subaccount=subaccount
    )
    client = SparkPostClient(account, KEY, sleep=lambda _: None)
    tracked = domain("click.example.com", "doc", esp="sparkpost")
    series = client.click_series(tracked, dt.date(2020, 10, 4), dt.date(2020, 10, 5))
    client.close()
    request: httpx.Request = wire.calls.last.request
    query = dict(request.url.params)
    assert set(query) <= RESPONSE.query
    assert set(query["metrics"].split(",")) <= documented_values("metrics")
    assert query["metrics"] == METRICS and query["precision"] == "day"
    assert query["from"] == "2020-10-04T00:00" and query["to"] == "2020-10-05T23:59"
    assert request.headers["authorization"] == KEY
    assert query.get("subaccounts") == subaccount
    assert [day.delivered for day in series.days] == [219916, 145617]
    assert series.scope.label == ("the whole account" if subaccount is None else "subaccount 17")
    assert client.explain(Capability.CLICK_TRACKING) is not None
