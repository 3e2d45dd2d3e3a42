"""Each ESP client's click calls over respx: what they ask (paths, queries, bodies, headers), how
they page, their fallbacks, and the errors they raise (never a silent empty series)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import httpx
import pytest
import respx
from botocore.loaders import Loader

from esp_clients.base import AccountRef, AwsCredentials, Capability, EspClient
from esp_clients.engagement import ACCOUNT_SCOPE, ClickSeries, DailyClicks, daily_series
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspUnavailable,
    EspUnsupported,
)
from esp_clients.mailgun import MailgunClient
from esp_clients.mandrill import MandrillClient
from esp_clients.mandrill_clicks import MAX_SENDERS, senders_at
from esp_clients.resend import ResendClient
from esp_clients.sendgrid import SendGridClient
from esp_clients.ses import SesClient
from esp_clients.ses_auth import SesAuthError
from esp_clients.shapes import ShapeError, opt_count
from tests.support.fakes import domain

KEY = "sk-CANARY-7f3a9e"
START, END = dt.date(2026, 10, 25), dt.date(2026, 11, 24)
NOW = 1_700_000_000.0


def no_sleep(_seconds: float) -> None:
    """Retries do not wait in these tests."""


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


# -- the values ----------------------------------------------------------------------------------


def test_daily_series_adds_up_rows_of_a_day_and_keeps_the_window() -> None:
    rows = [
        (dt.date(2026, 11, 1), 10, 1),
        (dt.date(2026, 11, 1), 5, 2),
        (dt.date(2026, 10, 1), 99, 9),
        (dt.date(2026, 11, 24), 7, 0),
    ]
    series = daily_series(rows, scope=ACCOUNT_SCOPE, start=START, end=END, source="test")
    assert series.days == (
        DailyClicks(day=dt.date(2026, 11, 1), delivered=15, unique_clicks=3),
        DailyClicks(day=END, delivered=7, unique_clicks=0),
    )
    assert series.on(dt.date(2026, 11, 2)) == DailyClicks(
        day=dt.date(2026, 11, 2), delivered=0, unique_clicks=0
    )
    assert series.covers(START) and not series.covers(END + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("days", "words"),
    [
        ((DailyClicks(day=dt.date(2026, 9, 1), delivered=1, unique_clicks=0),), "outside"),
        (
            (
                DailyClicks(day=END, delivered=1, unique_clicks=0),
                DailyClicks(day=START, delivered=1, unique_clicks=0),
            ),
            "in order",
        ),
    ],
)
def test_a_series_refuses_days_it_does_not_cover_or_in_disorder(
    days: tuple[DailyClicks, ...], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        ClickSeries(scope=ACCOUNT_SCOPE, start=START, end=END, days=days, source="test")


@pytest.mark.parametrize(("value", "count"), [(None, 0), (3, 3), (4.0, 4), (" 12 ", 12), (0, 0)])
def test_counts_as_esps_write_them(value: object, count: int) -> None:
    assert opt_count({"n": value}, "n") == count


@pytest.mark.parametrize("value", [-1, 2.5, True, "many", [1]])
def test_what_is_not_a_count(value: object) -> None:
    with pytest.raises(ShapeError, match="not a count"):
        opt_count({"n": value}, "n")


# -- SendGrid ------------------------------------------------------------------------------------


def sendgrid(subuser: str | None = None) -> SendGridClient:
    account = AccountRef(name="acme", esp="sendgrid", subuser=subuser)
    return SendGridClient(account, KEY, sleep=no_sleep)


def stats_day(day: dt.date, delivered: int, clicks: int) -> dict[str, object]:
    metrics = {"delivered": delivered, "unique_clicks": clicks, "clicks": clicks * 3}
    return {"date": day.isoformat(), "stats": [{"metrics": metrics}, {"metrics": metrics}]}


def test_sendgrid_pages_with_limit_and_offset(api: respx.MockRouter) -> None:
    first = dt.date(2026, 5, 1)
    days = [first + dt.timedelta(days=n) for n in range(150)]

    def answer(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return httpx.Response(
            200, json=[stats_day(d, 100, 3) for d in days[offset : offset + limit]]
        )

    route = api.get("https://api.sendgrid.com/v3/stats").mock(side_effect=answer)
    client = sendgrid("brand-sub")
    series = client.click_series(domain("l.b.example", "acme"), first, days[-1])
    assert [call.request.url.params["offset"] for call in route.calls] == ["0", "100"]
    request = route.calls.last.request
    assert request.headers["on-behalf-of"] == "brand-sub"
    assert request.url.params["aggregated_by"] == "day"
    assert (request.url.params["start_date"], request.url.params["end_date"]) == (
        "2026-05-01",
        days[-1].isoformat(),
    )
    assert len(series.days) == 150 and series.days[0].delivered == 200  # two stats entries add up
    assert series.scope.label == "subuser brand-sub"


def test_sendgrid_stops_paging_when_a_page_repeats_itself(api: respx.MockRouter) -> None:
    page = [stats_day(START + dt.timedelta(days=n % 31), 1, 0) for n in range(100)]
    route = api.get("https://api.sendgrid.com/v3/stats").respond(200, json=page)
    sendgrid().click_series(domain("l.b.example", "acme"), START, END)
    assert len(route.calls) == 2


def test_sendgrid_tracking_carries_the_subuser(api: respx.MockRouter) -> None:
    route = api.get("https://api.sendgrid.com/v3/tracking_settings/click").respond(
        200, json={"enabled": False, "enable_text": False}
    )
    tracking = sendgrid("brand-sub").click_tracking(domain("l.b.example", "acme"))
    assert route.calls.last.request.headers["on-behalf-of"] == "brand-sub"
    assert tracking.enabled is False and tracking.detail == "off"


def test_sendgrid_garbage_is_a_bad_response(api: respx.MockRouter) -> None:
    api.get("https://api.sendgrid.com/v3/stats").respond(200, json=[{"date": "yesterday"}])
    with pytest.raises(EspBadResponse, match=r"date .yesterday. is not an ISO 8601 date"):
        sendgrid().click_series(domain("l.b.example", "acme"), START, END)


# -- Mailgun -------------------------------------------------------------------------------------

MAILGUN = "https://api.mailgun.net"


def mailgun() -> MailgunClient:
    return MailgunClient(AccountRef(name="acme", esp="mailgun"), KEY, sleep=no_sleep)


def metrics_item(day: dt.date, delivered: int, clicks: int | None) -> dict[str, object]:
    stamp = day.strftime("%a, %d %b %Y 00:00:00 +0000")
    return {
        "dimensions": [{"dimension": "time", "value": stamp, "display_value": stamp}],
        "metrics": {"delivered_count": delivered, "unique_clicked_count": clicks},
    }


def test_mailgun_asks_the_metrics_api_for_the_sending_domain(api: respx.MockRouter) -> None:
    items = [metrics_item(START + dt.timedelta(days=n), 500, 12) for n in range(31)]
    route = api.post(f"{MAILGUN}/v1/analytics/metrics").mock(
        side_effect=[
            httpx.Response(200, json={"items": items[:20], "pagination": {"skip": 0, "total": 31}}),
            httpx.Response(
                200, json={"items": items[20:], "pagination": {"skip": 20, "total": 31}}
            ),
        ]
    )
    tracked = domain("email.mg.brand.example", "acme", esp_id="mg.brand.example")
    series = mailgun().click_series(tracked, START, END)
    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first["filter"] == {
        "AND": [
            {
                "attribute": "domain",
                "comparator": "=",
                "values": [{"label": "mg.brand.example", "value": "mg.brand.example"}],
            }
        ]
    }
    assert (first["resolution"], first["dimensions"]) == ("day", ["time"])
    assert first["metrics"] == ["delivered_count", "unique_clicked_count"]
    assert (first["start"], first["end"]) == (
        "Sun, 25 Oct 2026 00:00:00 +0000",
        "Wed, 25 Nov 2026 00:00:00 +0000",
    )
    assert (first["pagination"]["skip"], second["pagination"]["skip"]) == (0, 20)
    assert len(series.days) == 31 and series.scope.label == "sending domain mg.brand.example"


def test_mailgun_falls_back_only_when_the_metrics_api_is_refused(api: respx.MockRouter) -> None:
    api.post(f"{MAILGUN}/v1/analytics/metrics").respond(404, json={"message": "not found"})
    stats = api.get(f"{MAILGUN}/v3/mg.brand.example/stats/total").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "stats": [{"time": "Mon, 02 Nov 2026 00:00:00 UTC", "delivered": {"total": 40}}]
                },
            ),
            httpx.Response(
                200,
                json={
                    "stats": [{"time": "Mon, 02 Nov 2026 00:00:00 UTC", "clicked": {"unique": 3}}]
                },
            ),
        ]
    )
    tracked = domain("email.mg.brand.example", "acme", esp_id="mg.brand.example")
    series = mailgun().click_series(tracked, START, END)
    assert [call.request.url.params["event"] for call in stats.calls] == ["delivered", "clicked"]
    assert series.days == (DailyClicks(day=dt.date(2026, 11, 2), delivered=40, unique_clicks=3),)
    assert "deprecated" in series.notes[0]


def test_mailgun_does_not_fall_back_from_a_refused_key(api: respx.MockRouter) -> None:
    api.post(f"{MAILGUN}/v1/analytics/metrics").respond(
        401, json={"message": "Invalid private key"}
    )
    stats = api.get(f"{MAILGUN}/v3/brand.example/stats/total")
    with pytest.raises(EspAuthError):
        mailgun().click_series(
            domain("email.brand.example", "acme", esp_id="brand.example"), START, END
        )
    assert not stats.called


@pytest.mark.parametrize(
    ("active", "enabled", "detail"),
    [(True, True, "on"), (False, False, "off"), ("htmlonly", True, "on for HTML parts only"),
     ("false", False, "off"), (None, None, "not reported")],
)  # fmt: skip
def test_mailgun_click_tracking_words(
    api: respx.MockRouter, active: object, enabled: bool | None, detail: str
) -> None:
    api.get(f"{MAILGUN}/v3/domains/brand.example/tracking").respond(
        200, json={"tracking": {"click": {"active": active}}}
    )
    tracking = mailgun().click_tracking(
        domain("email.brand.example", "acme", esp_id="brand.example")
    )
    assert (tracking.enabled, tracking.detail) == (enabled, detail)


# -- Resend --------------------------------------------------------------------------------------


def test_resend_asks_for_the_domains_daily_figures(api: respx.MockRouter) -> None:
    route = api.get("https://api.resend.com/emails/metrics").respond(
        200,
        json={
            "object": "metrics",
            "data": [
                {"period": "2026-11-23T00:00:00.000Z", "delivered": 900, "unique_clicked": 31},
                {"period": "2026-11-24", "delivered": 800, "unique_clicked": 29},
                {"period": "2026-11-25T00:00:00.000Z", "delivered": 80, "unique_clicked": 1},
            ],
        },
    )
    client = ResendClient(AccountRef(name="acme", esp="resend"), KEY, sleep=no_sleep)
    tracked = domain(
        "links.brand.example", "acme", esp_id="d91cd9bd", details=(("domain", "brand.example"),)
    )
    series = client.click_series(tracked, START, END)
    query = dict(route.calls.last.request.url.params)
    assert query == {
        "start_date": "2026-10-25T00:00:00Z",
        "end_date": "2026-11-25T00:00:00Z",
        "timezone": "UTC",
        "granularity": "daily",
        "metrics": "delivered,unique_clicked",
        "dimensions": "period",
        "domain_id": "d91cd9bd",
    }
    assert [day.delivered for day in series.days] == [900, 800]  # today's partial day left out
    assert series.scope.label == "sending domain brand.example"


# -- Mandrill ------------------------------------------------------------------------------------

MANDRILL = "https://mandrillapp.com/api/1.4"


def test_mandrill_reads_the_busiest_senders_of_the_domain(api: respx.MockRouter) -> None:
    senders = [
        {"address": "news@brand.example", "sent": 500},
        {"address": "orders@mail.brand.example", "sent": 9000},
        {"address": "hello@other.example", "sent": 99999},
        {"address": "x@notbrand.example", "sent": 99999},
    ]
    listed = api.post(f"{MANDRILL}/senders/list").respond(200, json=senders)
    hours = [
        {"time": "2026-11-24 09:00:00", "sent": 110, "hard_bounces": 5, "soft_bounces": 5,
         "rejects": 2, "unique_clicks": 4},
        {"time": "2026-11-24 15:00:00", "sent": 50, "hard_bounces": 0, "soft_bounces": 0,
         "unique_clicks": 1},
        {"time": "2026-11-25 08:00:00", "sent": 50, "unique_clicks": 1},
    ]  # fmt: skip
    history = api.post(f"{MANDRILL}/senders/time-series").respond(200, json=hours)
    client = MandrillClient(AccountRef(name="acme", esp="mandrill"), KEY, sleep=no_sleep)
    tracked = domain("t.brand.example", "acme")
    series = client.click_series(tracked, START, END)
    client.click_series(domain("links.brand.example", "acme"), START, END)
    assert listed.call_count == 1  # the senders list is read once per client
    asked = [json.loads(call.request.content) for call in history.calls]
    assert asked[:2] == [
        {"key": KEY, "address": "orders@mail.brand.example"},
        {"key": KEY, "address": "news@brand.example"},
    ]
    assert series.days == (DailyClicks(day=END, delivered=300, unique_clicks=10),)
    assert series.start == dt.date(2026, 10, 27)  # 29 whole days of Mandrill's 30
    assert series.scope.label == "senders at brand.example"
    assert any("orders@mail.brand.example" in note for note in series.notes)
    assert client.explain(Capability.CLICK_TRACKING) is not None


def test_mandrill_caps_the_senders() -> None:
    senders = tuple((f"s{n}@brand.example", n) for n in range(MAX_SENDERS + 5))
    chosen = senders_at(senders, "brand.example")
    assert len(chosen) == MAX_SENDERS and chosen[0] == f"s{MAX_SENDERS + 4}@brand.example"


def test_mandrill_senders_in_unicode_match_a_tracking_host_in_a_labels() -> None:
    senders = (("news@straße.de", 5), ("info@mail.xn--strae-oqa.de", 3), ("x@strasse.de", 9))
    chosen = senders_at(senders, "xn--strae-oqa.de")
    assert chosen == ("news@straße.de", "info@mail.xn--strae-oqa.de")


def test_mandrill_without_senders_says_so(api: respx.MockRouter) -> None:
    api.post(f"{MANDRILL}/senders/list").respond(200, json=[])
    client = MandrillClient(AccountRef(name="acme", esp="mandrill"), KEY, sleep=no_sleep)
    series = client.click_series(domain("t.brand.example", "acme"), START, END)
    assert (
        series.days == () and "no sender of this account sends from brand.example" in series.notes
    )


# -- Amazon SES ----------------------------------------------------------------------------------

SES = "https://email.eu-west-1.amazonaws.com"
CREDENTIALS = AwsCredentials(access_key_id="AKIDCANARY", secret_access_key=f"aws-{KEY}")
FIXED = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.UTC)


def ses() -> SesClient:
    account = AccountRef(name="acme", esp="ses", region="eu-west-1")
    return SesClient(account, CREDENTIALS, sleep=no_sleep, clock=lambda: NOW, now=lambda: FIXED)


def vdm(status: str = "ENABLED", engagement: str = "ENABLED") -> dict[str, object]:
    return {
        "VdmAttributes": {
            "VdmEnabled": status,
            "DashboardAttributes": {"EngagementMetrics": engagement},
        }
    }


def epoch(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


def test_ses_asks_vdm_once_and_follows_the_botocore_model(api: respx.MockRouter) -> None:
    account = api.get(f"{SES}/v2/email/account").respond(200, json=vdm())
    day = dt.date(2026, 11, 20)
    batch = api.post(f"{SES}/v2/email/metrics/batch").respond(
        200,
        json={
            "Results": [
                {"Id": "delivered", "Timestamps": [epoch(day)], "Values": [1200]},
                {"Id": "clicked", "Timestamps": [epoch(day)], "Values": [44]},
            ],
            "Errors": [],
        },
    )
    client = ses()
    tracked = domain("click.brand.example", "acme", esp_id="brand-a")
    series = client.click_series(tracked, START, END)
    client.click_series(tracked, START, END)
    assert account.call_count == 1 and batch.call_count == 2
    assert series.days == (DailyClicks(day=day, delivered=1200, unique_clicks=44),)
    model = Loader().load_service_model("sesv2", "service-2")
    operation = model["operations"]["BatchGetMetricData"]
    assert (operation["http"]["method"], operation["http"]["requestUri"]) == (
        "POST",
        "/v2/email/metrics/batch",
    )
    shapes = model["shapes"]
    body = json.loads(batch.calls.last.request.content)
    assert set(body) <= set(shapes["BatchGetMetricDataRequest"]["members"])
    assert len(body["Queries"]) <= shapes["BatchGetMetricDataQueries"]["max"]
    for query in body["Queries"]:
        assert set(shapes["BatchGetMetricDataQuery"]["required"]) <= set(query)
        assert set(query) <= set(shapes["BatchGetMetricDataQuery"]["members"])
        assert query["Namespace"] in shapes["MetricNamespace"]["enum"]
        assert query["Metric"] in shapes["Metric"]["enum"]
        assert set(query["Dimensions"]) <= set(shapes["MetricDimensionName"]["enum"])
        assert (query["StartDate"], query["EndDate"]) == (epoch(START), epoch(END) + 86400)
    assert {q["Metric"] for q in body["Queries"]} == {"DELIVERY", "CLICK"}
    members = shapes["GetAccountResponse"]["members"]
    http = model["operations"]["GetAccount"]["http"]
    assert (http["method"], http["requestUri"]) == ("GET", "/v2/email/account")
    assert "VdmAttributes" in members
    attributes = shapes["VdmAttributes"]["members"]
    assert {"VdmEnabled", "DashboardAttributes"} <= set(attributes)
    assert "EngagementMetrics" in shapes["DashboardAttributes"]["members"]
    assert set(shapes["FeatureStatus"]["enum"]) == {"ENABLED", "DISABLED"}
    result = shapes["MetricDataResult"]["members"]
    assert {"Id", "Timestamps", "Values"} <= set(result)
    assert {"Code", "Message"} <= set(shapes["MetricDataError"]["members"])
    assert "ses:BatchGetMetricData" in SesAuthError("x", esp="SES", account="acme").hint


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({}, "Virtual Deliverability Manager, which is off"),
        (vdm("DISABLED"), "Virtual Deliverability Manager, which is off"),
        (vdm(engagement="DISABLED"), "engagement metrics are off"),
    ],
)
def test_ses_without_vdm_says_so_and_asks_nothing_more(
    api: respx.MockRouter, answer: dict[str, object], words: str
) -> None:
    api.get(f"{SES}/v2/email/account").respond(200, json=answer)
    batch = api.post(f"{SES}/v2/email/metrics/batch")
    with pytest.raises(EspUnsupported) as caught:
        ses().click_series(domain("click.brand.example", "acme", esp_id="brand-a"), START, END)
    assert words in caught.value.hint and "eu-west-1" in caught.value.hint
    assert caught.value.capability is Capability.CLICK_STATS and not batch.called


@pytest.mark.parametrize(
    ("code", "error"), [("ACCESS_DENIED", SesAuthError), ("INTERNAL_FAILURE", EspUnavailable)]
)
def test_ses_query_errors(api: respx.MockRouter, code: str, error: type[Exception]) -> None:
    api.get(f"{SES}/v2/email/account").respond(200, json=vdm())
    api.post(f"{SES}/v2/email/metrics/batch").respond(
        200, json={"Results": [], "Errors": [{"Id": "clicked", "Code": code, "Message": "no"}]}
    )
    with pytest.raises(error, match=code):
        ses().click_series(domain("click.brand.example", "acme", esp_id="brand-a"), START, END)


# -- every client: failures are errors, never an empty series ------------------------------------


@dataclass(frozen=True, slots=True)
class Failing:
    """An ESP whose first stats call fails: its client, that call, and the secret it holds."""

    name: str
    make: Callable[[], EspClient]
    url: str
    method: str
    secret: str = KEY


FAILING = [
    Failing("sendgrid", sendgrid, "https://api.sendgrid.com/v3/stats", "GET"),
    Failing("mailgun", mailgun, f"{MAILGUN}/v1/analytics/metrics", "POST"),
    Failing(
        "resend",
        partial(ResendClient, AccountRef(name="acme", esp="resend"), KEY, sleep=no_sleep),
        "https://api.resend.com/emails/metrics",
        "GET",
    ),
    Failing(
        "mandrill",
        partial(MandrillClient, AccountRef(name="acme", esp="mandrill"), KEY, sleep=no_sleep),
        f"{MANDRILL}/senders/list",
        "POST",
    ),
    Failing("ses", ses, f"{SES}/v2/email/account", "GET", secret=CREDENTIALS.secret_access_key),
]


@pytest.mark.parametrize("esp", FAILING, ids=[failing.name for failing in FAILING])
@pytest.mark.parametrize(("status", "error"), [(401, EspAuthError), (503, EspUnavailable)])
def test_a_failing_stats_call_raises(
    api: respx.MockRouter, esp: Failing, status: int, error: type[Exception]
) -> None:
    api.route(method=esp.method, url=esp.url).respond(status, json={"message": f"{esp.secret} no"})
    client = esp.make()
    with pytest.raises(error) as caught:
        client.click_series(domain("t.brand.example", "acme", esp_id="brand.example"), START, END)
    assert esp.secret not in str(caught.value)


# -- queries sent by POST ------------------------------------------------------------------------


def _mandrill() -> EspClient:
    return MandrillClient(AccountRef(name="acme", esp="mandrill"), KEY, sleep=no_sleep)


@pytest.mark.parametrize(
    ("make", "url", "answer"),
    [
        (mailgun, f"{MAILGUN}/v1/analytics/metrics", {"items": [], "pagination": {"total": 0}}),
        (_mandrill, f"{MANDRILL}/senders/list", []),
        (ses, f"{SES}/v2/email/metrics/batch", {"Results": [], "Errors": []}),
    ],
    ids=["mailgun metrics", "mandrill senders", "ses batch"],
)
def test_a_click_query_sent_by_post_is_sent_again_after_a_dropped_connection(
    api: respx.MockRouter, make: Callable[[], EspClient], url: str, answer: object
) -> None:
    """These POSTs only read: a connection dropped under them is asked again, not reported as
    'the change may have been made' (as a write's would be)."""
    api.get(f"{SES}/v2/email/account").respond(200, json=vdm())
    route = api.post(url).mock(
        side_effect=[
            httpx.RemoteProtocolError("the server hung up"),
            httpx.Response(200, json=answer),
        ]
    )
    make().click_series(domain("t.brand.example", "acme", esp_id="brand.example"), START, END)
    assert route.call_count == 2
