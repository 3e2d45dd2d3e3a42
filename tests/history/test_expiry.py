"""The expiry forecast as pure functions: the 20-day line for ESP-managed renewals, a TLS date and
an ESP date that disagree, the window, the order and the weeks."""

from __future__ import annotations

import datetime as dt

import pytest

from tui.history.expiry import OVERDUE_DAYS, by_week, forecast
from tui.history.model import INVENTORY, Subject

NOW = dt.datetime(2026, 11, 4, 12, 0, tzinfo=dt.UTC)  # a Wednesday
HOST = Subject(INVENTORY, "acme-sg", "links.acme.example")


def at(days: float) -> str:
    return (NOW + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("days", "managed", "left", "overdue"),
    [
        (OVERDUE_DAYS + 0.5, True, 20, False),  # 20 days and a half left: not yet
        (OVERDUE_DAYS, True, 20, False),  # exactly 20 days: the line itself is not overdue
        (OVERDUE_DAYS - 0.01, True, 19, True),  # a few minutes under: 19 full days, overdue
        (5, True, 5, True),
        (5, False, 5, False),  # a certificate the user renews is a date to wait for
        (-2, True, -2, True),
    ],
)
def test_an_esp_managed_certificate_under_20_days_is_overdue(
    days: float, managed: bool, left: int, overdue: bool
) -> None:
    values = {"tls_not_after": at(days)}
    if managed:
        values["certificate_by_esp"] = "yes"
    (item,) = forecast({HOST: values}, NOW, 60)
    assert (item.days_left, item.managed, item.overdue) == (left, managed, overdue)


@pytest.mark.parametrize(
    ("tls", "esp", "source", "ends"),
    [
        (10, 30, "tls", 10),  # the ESP's record is stale, or the wrong certificate is served
        (30, 10, "esp", 10),  # the ESP's certificate ends first, whatever is served now
        (10, 10.5, "tls+esp", 10),  # within a day: the same certificate seen twice
        (10.5, 10, "tls+esp", 10),
        (10, None, "tls", 10),
        (None, 10, "esp", 10),
    ],
)
def test_the_sooner_of_two_dates_that_disagree_is_kept_and_named(
    tls: float | None, esp: float | None, source: str, ends: float
) -> None:
    values = {"tls_issuer": "R11"}
    if tls is not None:
        values["tls_not_after"] = at(tls)
    if esp is not None:
        values["esp_certificate_expires_at"] = at(esp)
    (item,) = forecast({HOST: values}, NOW, 60)
    assert item.source == source and item.not_after == NOW + dt.timedelta(days=ends)
    assert item.issuer == "R11"


def test_the_window_the_order_and_what_is_left_out() -> None:
    hosts = {Subject(INVENTORY, "a", f"h{n}.example") for n in range(6)}
    a, b, c, d, e, f = sorted(hosts)
    observed = {
        a: {"tls_not_after": at(61)},  # past the window
        b: {"tls_not_after": at(60)},  # on its edge
        c: {"tls_not_after": at(-3)},  # ended: always shown
        d: {"tls_not_after": "not a date"},  # unreadable: left out
        e: {"tls_issuer": "R11"},  # no date: left out
        f: {"esp_certificate_expires_at": "2026-11-10T00:00:00"},  # naive: read as UTC
    }
    items = forecast(observed, NOW, 60)
    assert [item.subject for item in items] == [c, f, b]
    assert items[1].not_after == dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    assert forecast(observed, NOW, 0) == items[:1]


def test_weeks_start_on_monday_in_order() -> None:
    observed = {
        Subject(INVENTORY, "a", name): {"tls_not_after": at(days)}
        for name, days in (("sun.example", 4), ("mon.example", 5), ("wed.example", 0))
    }
    weeks = by_week(forecast(observed, NOW, 60))
    assert [(week, [item.subject.host for item in items]) for week, items in weeks] == [
        (dt.date(2026, 11, 2), ["wed.example", "sun.example"]),
        (dt.date(2026, 11, 9), ["mon.example"]),
    ]
