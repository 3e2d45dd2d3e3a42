"""Mailgun client against Prism serving Mailgun's own OpenAPI file: every call the client makes.

Prism refuses what the spec does not allow (401 without Basic auth, 415 for a body that is not
multipart/form-data, 422 for bad parameters), so each passing call matches Mailgun's dialect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from esp_clients.base import AccountRef, TrackingDomain
from esp_clients.errors import EspRejected
from esp_clients.mailgun import MailgunClient
from tests.support.prism import Wire, spec_file

KEY = "key-contract-test"
SPEC = spec_file("mailgun.openapi.yaml")
METRICS = "/v1/analytics/metrics"
STATS_TOTAL = "/v3/example.com/stats/total"
STATUS = "/v2/x509/email.example.com/status"
CERT = "/v2/x509/email.example.com"
DOMAIN = "/v4/domains/example.com"


@pytest.fixture
def client(prism_url: str, wire: Wire) -> Iterator[MailgunClient]:
    account = AccountRef(name="contract", esp="mailgun", region="eu", api_base=prism_url)
    with wire.client() as http:
        mailgun = MailgunClient(account, KEY, http_client=http, sleep=wire.sleeps.append)
        yield mailgun
        mailgun.close()


@pytest.fixture
def domain(client: MailgunClient, wire: Wire) -> TrackingDomain:
    """The documented example domain, read through the client (its exchange is then forgotten)."""
    seen = client.get("example.com")
    wire.exchanges.clear()
    return seen


def test_list_pages_then_reads_each_domain(client: MailgunClient, wire: Wire) -> None:
    (seen,) = client.list_tracking_domains()
    assert wire.exchanges == [("GET", "/v4/domains", 200), ("GET", DOMAIN, 200)]
    assert (seen.host, seen.esp_id, seen.https) == ("email.example.com", "example.com", False)
    # The documented example names its tracking record email.mg.example.com for example.com,
    # so the record for email.example.com is honestly reported as missing.
    assert seen.cname_valid is None and seen.verified is None and seen.expected_target is None
    assert seen.problems == ("Mailgun lists no tracking CNAME record for email.example.com",)
    assert ("state", "active") in seen.details
    assert wire.sleeps == []


def test_verify(client: MailgunClient, domain: TrackingDomain, wire: Wire) -> None:
    seen = client.verify(domain)
    assert wire.exchanges == [("PUT", f"{DOMAIN}/verify", 200)]
    assert seen.verified is False
    assert "Mailgun has disabled the domain: bad customer" in seen.problems


@pytest.mark.parametrize(
    "case",
    [
        (None, "pending", "Waiting for x509 key pair generation"),
        ("example=Active", "active", "active"),
        ("example=Expired", "expired", "x509 certificate has expired"),
        ("example=Error", "failed", "TLS x509 key pair generation failed, please contact support"),
    ],
)
def test_certificate_status(
    client: MailgunClient,
    domain: TrackingDomain,
    wire: Wire,
    case: tuple[str | None, str, str],
) -> None:
    prefer, status, detail = case
    if prefer:
        wire.prefer[("GET", STATUS)] = prefer
    state = client.certificate_status(domain)
    assert (state.status, state.detail) == (status, detail)
    assert wire.exchanges == [("GET", STATUS, 200)]


def test_certificate_status_404_means_none(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    wire.prefer[("GET", STATUS)] = "code=404"
    state = client.certificate_status(domain)
    assert state.status == "none" and "initiate x509 key pair generation" in state.detail


def test_request_certificate(client: MailgunClient, domain: TrackingDomain, wire: Wire) -> None:
    state = client.request_certificate(domain)
    assert wire.exchanges == [("POST", CERT, 202)]
    assert (state.status, state.detail) == ("pending", "Initiated x509 key pair generation")


def test_request_certificate_already_started(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    wire.prefer[("POST", CERT)] = "code=409"
    wire.prefer[("GET", STATUS)] = "example=Active"
    assert client.request_certificate(domain).status == "active"
    assert wire.exchanges == [("POST", CERT, 409), ("GET", STATUS, 200)]


def test_request_certificate_renews_an_expired_one(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    wire.prefer[("POST", CERT)] = "code=409"
    wire.prefer[("GET", STATUS)] = "example=Expired"
    state = client.request_certificate(domain)
    assert wire.exchanges == [("POST", CERT, 409), ("GET", STATUS, 200), ("PUT", CERT, 202)]
    assert state.status == "pending"


def test_renewal_already_running(client: MailgunClient, domain: TrackingDomain, wire: Wire) -> None:
    wire.prefer[("POST", CERT)] = "code=409"
    wire.prefer[("GET", STATUS)] = "example=Expired"
    wire.prefer[("PUT", CERT)] = "code=429"
    state = client.request_certificate(domain)
    assert wire.exchanges == [("POST", CERT, 409), ("GET", STATUS, 200), ("PUT", CERT, 429)]
    assert state.status == "pending" and "already in progress" in state.detail
    assert wire.sleeps == []


def test_request_certificate_plan_without_https(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    wire.prefer[("POST", CERT)] = "code=402"
    with pytest.raises(EspRejected, match="upgrade your account to enable this feature") as caught:
        client.request_certificate(domain)
    assert "plan does not include HTTPS tracking" in caught.value.hint


@pytest.mark.parametrize("enabled", [True, False])
def test_set_https(
    client: MailgunClient, domain: TrackingDomain, wire: Wire, enabled: bool
) -> None:
    wire.prefer[("GET", STATUS)] = "example=Active"
    seen = client.set_https(domain, enabled)
    update = [("PUT", DOMAIN, 200), ("GET", DOMAIN, 200)]
    assert wire.exchanges == ([("GET", STATUS, 200)] if enabled else []) + update
    assert seen.esp_id == "example.com"


def test_set_https_refuses_a_pending_certificate(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    with pytest.raises(EspRejected, match=r"certificate for email\.example\.com is pending"):
        client.set_https(domain, True)
    assert wire.exchanges == [("GET", STATUS, 200)]


def test_click_figures_from_the_metrics_api(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    """The documented answer holds two monthly buckets and says 1,000 rows exist: the client asks
    for the next page, which repeats the same buckets, and stops there."""
    series = client.click_series(domain, dt.date(2023, 11, 1), dt.date(2023, 12, 1))
    assert wire.exchanges == [("POST", METRICS, 200), ("POST", METRICS, 200)]
    assert [(day.day, day.delivered, day.unique_clicks) for day in series.days] == [
        (dt.date(2023, 11, 1), 60, 0),
        (dt.date(2023, 12, 1), 60, 0),
    ]  # the example's metrics hold no unique_clicked_count
    assert series.scope.label == "sending domain example.com" and series.notes == ()


def test_click_figures_fall_back_to_the_deprecated_stats(
    client: MailgunClient, domain: TrackingDomain, wire: Wire
) -> None:
    wire.prefer[("POST", METRICS)] = "code=400"
    series = client.click_series(domain, dt.date(2012, 4, 1), dt.date(2012, 4, 1))
    assert wire.exchanges == [
        ("POST", METRICS, 400),
        ("GET", STATS_TOTAL, 200),
        ("GET", STATS_TOTAL, 200),
    ]
    assert [(day.day, day.delivered, day.unique_clicks) for day in series.days] == [
        (dt.date(2012, 4, 1), 20, 1)
    ]
    assert series.source == "GET /v3/example.com/stats/total"
    assert "deprecated" in series.notes[0] and "reason for bad request" in series.notes[0]
    assert wire.sleeps == []


def test_click_tracking_setting(client: MailgunClient, domain: TrackingDomain, wire: Wire) -> None:
    tracking = client.click_tracking(domain)
    assert wire.exchanges == [("GET", "/v3/domains/example.com/tracking", 200)]
    assert tracking.enabled is True and "tracking/click active=true" in tracking.setting


def test_prism_really_validates(prism_url: str) -> None:
    """The control: a form-urlencoded update, a Bearer key and a repeated `event` (the spec types
    it as one string) are refused by Prism."""
    with httpx.Client(base_url=prism_url) as raw:
        urlencoded = raw.put(DOMAIN, data={"web_scheme": "https"}, auth=("api", KEY))
        bearer = raw.get("/v4/domains", headers={"Authorization": f"Bearer {KEY}"})
        repeated = raw.get(
            STATS_TOTAL, params=[("event", "delivered"), ("event", "clicked")], auth=("api", KEY)
        )
    assert urlencoded.status_code == 415
    assert bearer.status_code == 401
    assert "must be string" in repeated.headers["sl-violations"]
