"""The simulated ESPs' statistics and click-tracking endpoints, driven by the real clients: every ESP
gives the profile's figures for the window asked, deterministically, and the switches show."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from esp_clients.base import AwsCredentials, EspClient
from esp_clients.errors import EspUnsupported
from tui.inventory.model import Account
from tui.sim.esp_apis.click_profile import STEADY, ClickProfile
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps

TODAY = dt.date(2026, 11, 25)
START, END = dt.date(2026, 10, 25), dt.date(2026, 11, 24)
REGIONS = {"sendgrid": "global", "mailgun": "us", "sparkpost": "us", "ses": "us-east-1"}
ESPS = ("sendgrid", "mailgun", "sparkpost", "mandrill", "ses", "resend")
AWS = AwsCredentials(access_key_id="AKIDSIM", secret_access_key="sim-secret")
HOST = "links.brand.example"


@pytest.fixture
def connect() -> Iterator[object]:
    made: list[SimulatedEsps] = []

    def build(esp: str, profile: ClickProfile = STEADY) -> EspClient:
        simulated = SimulatedEsp(
            esp, "acct", [SimDomain(host=HOST)], clicks=profile, today=lambda: TODAY
        )
        esps = SimulatedEsps([simulated])
        made.append(esps)
        account = Account(name="acct", esp=esp, region=REGIONS.get(esp, ""))
        return esps.client_factory()(account, AWS if esp == "ses" else "sim-key")

    yield build
    for esps in made:
        esps.close()


def figures(
    client: EspClient, start: dt.date = START, end: dt.date = END
) -> list[tuple[dt.date, int, int]]:
    (tracked,) = client.list_tracking_domains()
    series = client.click_series(tracked, start, end)
    return [(day.day, day.delivered, day.unique_clicks) for day in series.days]


@pytest.mark.parametrize("esp", ESPS)
def test_every_esp_serves_the_profile(connect: object, esp: str) -> None:
    assert callable(connect)
    profile = dataclasses.replace(STEADY, seed="acct")
    read = figures(connect(esp, profile))
    expected = profile.days(START, END, TODAY)
    if esp == "mandrill":  # 30 days of hourly history: the 29 whole days before today
        expected = [row for row in expected if row[0] >= dt.date(2026, 10, 27)]
        assert [row[0] for row in read] == [row[0] for row in expected]
        assert all(abs(got[1] - want[1]) <= 2 for got, want in zip(read, expected, strict=True))
    else:
        assert read == expected
    assert len(read) >= 29 and all(clicks < delivered for _, delivered, clicks in read)


@pytest.mark.parametrize("esp", ESPS)
def test_the_recent_window_can_drop(connect: object, esp: str) -> None:
    assert callable(connect)
    dropped = ClickProfile(delivered=5000, rate=0.03, recent_rate=0.005, seed="acct", noise=0.0)
    read = figures(connect(esp, dropped))
    recent = [
        clicks / delivered for day, delivered, clicks in read if day > END - dt.timedelta(days=3)
    ]
    before = [
        clicks / delivered for day, delivered, clicks in read if day <= END - dt.timedelta(days=3)
    ]
    assert len(recent) == 3 and max(recent) < 0.01 and min(before) > 0.025


def test_figures_follow_the_callers_clock(connect: object) -> None:
    """A day's figures depend on how many days before the caller's today it is."""
    assert callable(connect)
    client = connect("sendgrid")
    earlier = figures(client, START - dt.timedelta(days=7), END - dt.timedelta(days=7))
    later = figures(client)
    assert [row[1:] for row in earlier] == [row[1:] for row in later]
    assert figures(client) == later


@pytest.mark.parametrize(
    ("esp", "enabled"), [("sendgrid", False), ("mailgun", False), ("resend", False)]
)
def test_click_tracking_off_shows(connect: object, esp: str, enabled: bool) -> None:
    assert callable(connect)
    client = connect(esp, ClickProfile(click_tracking=False))
    (tracked,) = client.list_tracking_domains()
    assert client.click_tracking(tracked).enabled is enabled


def test_ses_without_vdm_gives_no_figures(connect: object) -> None:
    assert callable(connect)
    client = connect("ses", ClickProfile(vdm=False))
    (tracked,) = client.list_tracking_domains()
    with pytest.raises(EspUnsupported) as caught:
        client.click_series(tracked, START, END)
    assert "Virtual Deliverability Manager" in caught.value.hint


def test_mailgun_without_the_metrics_api_answers_through_the_old_stats(connect: object) -> None:
    assert callable(connect)
    profile = ClickProfile(mailgun_metrics=False, seed="acct")
    client = connect("mailgun", profile)
    (tracked,) = client.list_tracking_domains()
    series = client.click_series(tracked, START, END)
    assert [(d.day, d.delivered, d.unique_clicks) for d in series.days] == profile.days(
        START, END, TODAY
    )
    assert "deprecated" in series.notes[0]
