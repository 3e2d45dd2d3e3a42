"""The click signal's statistics: a table of the situations the issue names, and properties (the
test never fires when both windows come from the same rate; the binomial tail is exact)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esp_clients.engagement import ACCOUNT_SCOPE, ClickSeries, DailyClicks
from tests.support.fuzzing import fuzz
from tui.fleet.binomial import binomial_cdf
from tui.fleet.clicks import ClickRules, ClickSummary, Verdict, summarize_clicks

TODAY = dt.date(2026, 11, 25)  # a Wednesday
RULES = ClickRules()
Day = Callable[[int], tuple[int, int]]
"""(delivered, unique clicks) of the day `n` days before TODAY (1 = yesterday)."""


def series(
    day: Day, *, today: dt.date = TODAY, covered: int = 31, skip_zero: bool = True
) -> ClickSeries:
    """A series of the `covered` days before `today`; days without deliveries left out, as ESPs
    leave them out."""
    days = []
    for back in range(covered, 0, -1):
        delivered, clicks = day(back)
        if delivered or clicks or not skip_zero:
            days.append(
                DailyClicks(
                    day=today - dt.timedelta(days=back), delivered=delivered, unique_clicks=clicks
                )
            )
    return ClickSeries(
        scope=ACCOUNT_SCOPE,
        start=today - dt.timedelta(days=covered),
        end=today - dt.timedelta(days=1),
        days=tuple(days),
        source="test",
    )


def steady(delivered: int, rate: float) -> Day:
    return lambda back: (delivered, round(delivered * rate))


def recent_then(recent: tuple[int, float], baseline: tuple[int, float]) -> Day:
    """`recent` (delivered, rate) on the last three days, `baseline` before them."""

    def day(back: int) -> tuple[int, int]:
        delivered, rate = recent if back <= 3 else baseline
        return delivered, round(delivered * rate)

    return day


def weekly(today: dt.date) -> Day:
    """Weekdays 5,000 at 4 %, weekends 800 at 2.5 %."""

    def day(back: int) -> tuple[int, int]:
        weekend = (today - dt.timedelta(days=back)).weekday() >= 5
        return (800, 20) if weekend else (5000, 200)

    return day


def huge_baseline_day(back: int) -> tuple[int, int]:
    return (200_000, 6000) if back == 10 else (1000, 30)


def huge_recent_day(back: int) -> tuple[int, int]:
    return (200_000, 6000) if back == 2 else (1000, 30)


def every_other_day(back: int) -> tuple[int, int]:
    return (4000, 120) if back % 2 else (0, 0)


def nothing_recent(back: int) -> tuple[int, int]:
    return (0, 0) if back <= 3 else (2000, 60)


CASES: tuple[tuple[str, ClickSeries, Verdict], ...] = (
    ("a real drop", series(recent_then((2000, 0.01), (2000, 0.03))), Verdict.DROP),
    ("a drop while volume grew", series(recent_then((5000, 0.01), (2000, 0.03))), Verdict.DROP),
    ("a volume dip, rate falling too", series(recent_then((300, 0.01), (2000, 0.03))), Verdict.VOLUME_DIP),
    ("a volume dip, rate steady", series(recent_then((300, 0.03), (2000, 0.03))), Verdict.STEADY),
    ("a 40 % fall is not enough", series(recent_then((2000, 0.018), (2000, 0.03))), Verdict.STEADY),
    ("a rising rate", series(recent_then((2000, 0.05), (2000, 0.03))), Verdict.STEADY),
    ("steady", series(steady(2000, 0.03)), Verdict.STEADY),
    ("zero deliveries", series(steady(0, 0.0)), Verdict.TOO_LITTLE),
    ("zero deliveries, zero days listed", series(steady(0, 0.0), skip_zero=False), Verdict.TOO_LITTLE),
    ("missing days, steady", series(every_other_day), Verdict.STEADY),
    ("nothing sent lately", series(nothing_recent), Verdict.TOO_LITTLE),
    ("a single huge baseline day", series(huge_baseline_day), Verdict.STEADY),
    ("a single huge recent day", series(huge_recent_day), Verdict.STEADY),
    ("tiny volumes: 40 a day", series(recent_then((40, 0.0), (40, 0.10))), Verdict.TOO_LITTLE),
    ("a small account, clicks gone", series(recent_then((150, 0.0), (150, 0.10))), Verdict.DROP),
    ("a 60 % fall, not significant (p = 0.0101)", series(recent_then((105, 0.02), (105, 0.05))), Verdict.STEADY),
    ("no clicks ever", series(steady(5000, 0.0)), Verdict.TOO_LITTLE),
    ("a short history (Mandrill's 29 days), a drop", series(recent_then((2000, 0.01), (2000, 0.03)), covered=29), Verdict.DROP),
    ("figures stop before the recent window", series(steady(2000, 0.03), covered=31, today=TODAY - dt.timedelta(days=2)), Verdict.TOO_LITTLE),
)  # fmt: skip


@pytest.mark.parametrize(("name", "data", "verdict"), CASES, ids=[case[0] for case in CASES])
def test_verdicts(name: str, data: ClickSeries, verdict: Verdict) -> None:
    summary = summarize_clicks(data, TODAY, RULES)
    assert summary.verdict is verdict, summary
    if verdict is Verdict.TOO_LITTLE:
        assert summary.reason
    else:
        assert summary.reason == ""


@pytest.mark.parametrize("shift", range(7))
def test_a_weekly_pattern_is_steady_whatever_the_weekday(shift: int) -> None:
    today = TODAY + dt.timedelta(days=shift)
    summary = summarize_clicks(series(weekly(today), today=today), today, RULES)
    assert summary.verdict is Verdict.STEADY
    assert summary.expected_rate is not None and summary.recent_rate is not None
    assert summary.recent_rate == pytest.approx(summary.expected_rate, rel=0.02)
    assert summary.volume_share == pytest.approx(1.0)


def test_a_weekend_window_is_compared_with_the_baselines_weekends() -> None:
    """Sat, Sun, Mon: low volume over the weekend is not a volume dip, and the lower weekend rate
    is not a drop (a window of pooled rates would see deliveries at 47 % of the daily average)."""
    today = dt.date(2026, 11, 24)  # a Tuesday: the window is Saturday to Monday

    def weekdays_only(back: int) -> tuple[int, int]:
        weekend = (today - dt.timedelta(days=back)).weekday() >= 5
        return (0, 0) if weekend else (1000, 40)

    def filtered_monday(back: int) -> tuple[int, int]:
        return (1000, 8) if back == 1 else weekdays_only(back)

    assert (
        summarize_clicks(series(weekdays_only, today=today), today, RULES).verdict is Verdict.STEADY
    )
    dropped = summarize_clicks(series(filtered_monday, today=today), today, RULES)
    assert dropped.verdict is Verdict.DROP and dropped.volume_share == pytest.approx(1.0)


def test_the_summary_of_a_drop() -> None:
    summary = summarize_clicks(series(recent_then((2000, 0.01), (2000, 0.03))), TODAY, RULES)
    assert (summary.delivered_recent, summary.clicks_recent) == (6000, 60)
    assert (summary.delivered_baseline, summary.clicks_baseline) == (56000, 1680)
    assert summary.recent_rate == pytest.approx(0.01)
    assert summary.baseline_rate == summary.expected_rate == pytest.approx(0.03)
    assert summary.rate_change == pytest.approx(-2 / 3)
    assert summary.p_value is not None and summary.p_value < 1e-20
    assert summary.recent_days == (
        dt.date(2026, 11, 22),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 24),
    )
    assert summary.baseline_days[0] == dt.date(2026, 10, 25) and len(summary.baseline_days) == 28
    assert summary.as_json() == {
        "recent_rate": 0.01,
        "baseline_rate": 0.03,
        "delivered_recent": 6000,
        "delivered_baseline": 56000,
        "p_value": summary.as_json()["p_value"],
    }
    p_value = summary.as_json()["p_value"]
    assert isinstance(p_value, float) and 0 < p_value < 1e-20


def test_a_stricter_rule_flags_a_smaller_fall() -> None:
    data = series(recent_then((2000, 0.018), (2000, 0.03)))
    assert summarize_clicks(data, TODAY, ClickRules(drop=0.3)).verdict is Verdict.DROP


def test_the_window_to_read() -> None:
    assert RULES.window(TODAY) == (dt.date(2026, 10, 25), dt.date(2026, 11, 24))
    assert ClickRules(recent_days=7).window(TODAY) == (dt.date(2026, 10, 21), dt.date(2026, 11, 24))


@pytest.mark.parametrize(
    "changes", [{"recent_days": 0}, {"baseline_days": 3}, {"drop": 1.0}, {"alpha": 0.0}]
)
def test_rules_refuse_nonsense(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        ClickRules(**changes)  # type: ignore[arg-type]  # the parametrised fields are ints or floats


@pytest.mark.parametrize(
    ("successes", "trials", "probability", "expected"),
    [
        (0, 10, 0.5, 1 / 1024),
        (10, 10, 0.3, 1.0),
        (-1, 10, 0.3, 0.0),
        (3, 10, 0.0, 1.0),
        (3, 10, 1.0, 0.0),
        (5, 10, 0.5, 638 / 1024),
    ],
)
def test_binomial_cdf_table(
    successes: int, trials: int, probability: float, expected: float
) -> None:
    assert binomial_cdf(successes, trials, probability) == pytest.approx(expected, rel=1e-12)


def test_binomial_cdf_far_in_the_tail_of_a_huge_count() -> None:
    """60 clicks of 1,740 where 6,000 of 62,000 deliveries should have a tenth: astronomically
    unlikely, and computed without summing a million terms."""
    value = binomial_cdf(60, 1740, 6000 / 62000)
    assert 0 < value < 1e-20
    assert binomial_cdf(500_000, 1_000_000, 0.5) == pytest.approx(0.5, abs=1e-3)


@fuzz(0.5)
@given(
    trials=st.integers(min_value=0, max_value=60),
    successes=st.integers(min_value=-2, max_value=62),
    probability=st.fractions(min_value=0, max_value=1, max_denominator=50),
)
def test_binomial_cdf_is_exact(trials: int, successes: int, probability: Fraction) -> None:
    exact = sum(
        (
            math.comb(trials, k) * probability**k * (1 - probability) ** (trials - k)
            for k in range(max(0, successes + 1))
            if k <= trials
        ),
        Fraction(0),
    )
    assert binomial_cdf(successes, trials, float(probability)) == pytest.approx(
        float(exact), abs=1e-12
    )


DAYS = st.lists(st.integers(min_value=0, max_value=400), min_size=31, max_size=31)


@fuzz()
@given(
    multiples=DAYS,
    clicks=st.integers(min_value=0, max_value=50),
    per=st.integers(min_value=50, max_value=1000),
    omitted=st.booleans(),
)
def test_never_fires_when_both_windows_share_one_exact_rate(
    multiples: list[int], clicks: int, per: int, omitted: bool
) -> None:
    """Every day `clicks` of every `per` deliveries clicked, whatever the volumes: weekly shapes,
    dips, bursts, empty days (listed or left out)."""
    data = series(
        lambda back: (per * multiples[back - 1], clicks * multiples[back - 1]), skip_zero=omitted
    )
    assert_quiet(summarize_clicks(data, TODAY, RULES))


@fuzz()
@given(
    volumes=st.lists(st.integers(min_value=0, max_value=50_000), min_size=31, max_size=31),
    rate=st.floats(min_value=0.0, max_value=0.5),
)
def test_never_fires_when_both_windows_share_one_rounded_rate(
    volumes: list[int], rate: float
) -> None:
    """The same rate, clicks rounded to whole numbers per day: rounding never looks like a drop."""
    data = series(lambda back: (volumes[back - 1], math.floor(volumes[back - 1] * rate + 0.5)))
    assert_quiet(summarize_clicks(data, TODAY, RULES))


def assert_quiet(summary: ClickSummary) -> None:
    assert summary.verdict in (Verdict.STEADY, Verdict.TOO_LITTLE), summary
