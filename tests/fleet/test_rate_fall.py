"""The first day of a click-rate fall, from daily figures (what `history HOST` and the details say)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from esp_clients.engagement import ClickScope, ClickSeries, DailyClicks
from tui.fleet.clicks import RateFall, rate_fall

LAST = dt.date(2026, 12, 6)  # a Sunday
SCOPE = ClickScope(key="mg.brand.example", label="sending domain mg.brand.example")

Day = Callable[[int, dt.date], tuple[int, float]]
"""(delivered, rate) of a day, given how many days before LAST it is."""


def series(days: int, figures: Day) -> ClickSeries:
    entries = []
    for back in range(days - 1, -1, -1):
        day = LAST - dt.timedelta(days=back)
        sent, rate = figures(back, day)
        wobble = 1 + 0.04 * ((back * 7) % 5 - 2) / 2  # ±4 %, deterministic
        entries.append(
            DailyClicks(day=day, delivered=sent, unique_clicks=round(sent * rate * wobble))
        )
    return ClickSeries(
        scope=SCOPE, start=entries[0].day, end=LAST, days=tuple(entries), source="test"
    )


def steady(back: int, day: dt.date) -> tuple[int, float]:
    return 4000, 0.034


def fell_5_days_ago(back: int, day: dt.date) -> tuple[int, float]:
    return 4000, 0.0063 if back < 5 else 0.034


def dip_that_recovered(back: int, day: dt.date) -> tuple[int, float]:
    return 4000, 0.006 if 8 <= back <= 10 else 0.034


def weekends(back: int, day: dt.date) -> tuple[int, float]:
    return (1500, 0.012) if day.weekday() >= 5 else (5000, 0.04)


def weekends_then_fell_on_monday(back: int, day: dt.date) -> tuple[int, float]:
    sent, rate = weekends(back, day)
    return sent, rate / 5 if back <= 6 else rate  # LAST is a Sunday: back 6 is a Monday


def tiny(back: int, day: dt.date) -> tuple[int, float]:
    return 40, 0.0 if back < 2 else 0.05


@pytest.mark.parametrize(
    ("days", "figures", "fell_on"),
    [
        pytest.param(60, fell_5_days_ago, LAST - dt.timedelta(days=4), id="a clean fall"),
        pytest.param(60, dip_that_recovered, None, id="a dip that recovered"),
        pytest.param(60, steady, None, id="no fall"),
        pytest.param(60, weekends, None, id="a weekly pattern is no fall"),
        pytest.param(
            60, weekends_then_fell_on_monday, LAST - dt.timedelta(days=6), id="a weekly fall"
        ),
        pytest.param(60, tiny, None, id="too few clicks to tell"),
    ],
)
def test_the_first_day_of_the_fall(days: int, figures: Day, fell_on: dt.date | None) -> None:
    found = rate_fall(series(days, figures))
    assert found is not None
    assert found.fell_on == fell_on
    assert found.last_day == LAST


def test_too_few_days_say_nothing() -> None:
    assert rate_fall(series(6, steady)) is None
    assert rate_fall(ClickSeries(scope=SCOPE, start=LAST, end=LAST, days=(), source="t")) is None


def test_the_fall_is_said_in_one_line() -> None:
    found = rate_fall(series(60, fell_5_days_ago))
    assert found is not None
    assert 0.0060 < found.rate < 0.0066 and 0.033 < found.baseline_rate < 0.035
    assert found.text(SCOPE.label) == (
        "click rate fell from 3.4% to 0.63% on 2026-12-02 (sending domain mg.brand.example)"
    )
    level = RateFall(fell_on=None, last_day=LAST, rate=0.033, baseline_rate=0.034)
    assert level.text("the whole account") == (
        "click rate 3.3% on 2026-12-06, baseline 3.4% (the whole account)"
    )
