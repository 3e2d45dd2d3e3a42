"""The click signal as pure functions: from an ESP's daily deliveries and unique clicks, whether the
click rate fell sharply, for real, while deliveries held (suspected link filtering).

The recent window (the last `recent_days` full days) is compared with the baseline (the
`baseline_days` before it). Both the deliveries and the click rate the recent window should have
are taken from the baseline's days of the same weekdays (28 days hold each weekday four times), so
a recent window over a weekend is compared with the baseline's weekends. The rate must fall by at
least `drop`, and so few clicks must be unlikely at the baseline's rates: a one-sided conditional
binomial test (clicks in the recent window among both windows' clicks, given each window's expected
share) below `alpha`. Deliveries hold when they reach at least 1 − `drop` of the baseline's for the
same weekdays: a rate that fell with the volume is a send-volume dip, not link filtering.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from esp_clients.engagement import ClickScope, ClickSeries, ClickTracking
from tui.fleet.binomial import binomial_cdf
from tui.inventory.model import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickRules:
    """The windows and thresholds of the click signal (the defaults of issue 15)."""

    recent_days: int = 3
    baseline_days: int = 28
    drop: float = 0.5
    """The fraction the rate must fall by (and deliveries must not)."""
    alpha: float = 0.01
    min_recent_delivered: int = 300
    """Below this many deliveries in the recent window there is nothing to judge."""
    min_baseline_delivered: int = 1000
    min_expected_clicks: float = 10.0
    """Below this many expected recent clicks even losing them all would prove nothing."""

    def __post_init__(self) -> None:
        if not 1 <= self.recent_days <= 14 or not 7 <= self.baseline_days <= 90:
            raise ValueError("recent_days must be 1–14 and baseline_days 7–90")
        if not 0 < self.drop < 1 or not 0 < self.alpha < 1:
            raise ValueError("drop and alpha must be between 0 and 1")

    def window(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The first and last day to read: the baseline's first, yesterday."""
        first = today - dt.timedelta(days=self.recent_days + self.baseline_days)
        return first, today - dt.timedelta(days=1)

    def recent(self, today: dt.date) -> tuple[dt.date, ...]:
        """The recent window's days, oldest first (full days: today is left out)."""
        return _days_before(today, self.recent_days)

    @classmethod
    def of(cls, settings: Settings) -> ClickRules:
        """The rules an inventory's [settings] ask for (`click_recent_days`, `click_drop`)."""
        return cls(recent_days=settings.click_recent_days, drop=settings.click_drop)

    def fall_search(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The days `rate_fall` reads to find when a fall began: its search and a baseline."""
        return today - dt.timedelta(days=self.baseline_days + FALL_SEARCH_DAYS), today

    def baseline(self, today: dt.date) -> tuple[dt.date, ...]:
        """The baseline's days, oldest first."""
        return _days_before(today - dt.timedelta(days=self.recent_days), self.baseline_days)


@functools.lru_cache(maxsize=64)
def _days_before(day: dt.date, count: int) -> tuple[dt.date, ...]:
    """The `count` days before `day`, oldest first (one tuple per scan, shared by its scopes)."""
    return tuple(day - dt.timedelta(days=back) for back in range(count, 0, -1))


class Verdict(enum.Enum):
    """What the click signal says."""

    DROP = "drop"
    """The rate fell sharply, significantly, while deliveries held: suspected link filtering."""
    VOLUME_DIP = "volume_dip"
    """The rate fell sharply with the deliveries: a send-volume dip, not link filtering."""
    STEADY = "steady"
    TOO_LITTLE = "too_little_data"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickSummary:
    """The two windows side by side, the test's result and the verdict.

    `expected_rate` is the baseline's rate for the recent window's weekdays (what the recent rate is
    compared with); `expected_delivered` the baseline's deliveries for those weekdays.
    """

    recent_rate: float | None
    baseline_rate: float | None
    expected_rate: float | None
    delivered_recent: int
    delivered_baseline: int
    clicks_recent: int
    clicks_baseline: int
    expected_delivered: float
    p_value: float | None
    verdict: Verdict
    recent_days: tuple[dt.date, ...]
    baseline_days: tuple[dt.date, ...]
    reason: str = ""

    @property
    def rate_change(self) -> float | None:
        """How the recent rate differs from the expected one (−0.7: it fell by 70 %)."""
        if self.recent_rate is None or not self.expected_rate:
            return None
        return self.recent_rate / self.expected_rate - 1

    @property
    def volume_share(self) -> float | None:
        """Recent deliveries as a share of the baseline's for the same weekdays (1.0: as usual)."""
        return self.delivered_recent / self.expected_delivered if self.expected_delivered else None

    def as_json(self) -> dict[str, object]:
        """The row's `clicks` object in `scan --json`."""
        return {
            "recent_rate": _rounded(self.recent_rate),
            "baseline_rate": _rounded(self.baseline_rate),
            "delivered_recent": self.delivered_recent,
            "delivered_baseline": self.delivered_baseline,
            "p_value": None if self.p_value is None else float(f"{self.p_value:.3g}"),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickSignal:
    """A fleet row's click signal: what its ESP counted for the row's scope, the summary of those
    figures (None when there are none) and whether the ESP rewrites links at all."""

    scope: ClickScope
    series: ClickSeries | None = None
    summary: ClickSummary | None = None
    tracking: ClickTracking | None = None

    @property
    def tracking_off(self) -> bool:
        """Whether the ESP says it does not rewrite links in this scope."""
        return self.tracking is not None and self.tracking.enabled is False


def percent(rate: float | None) -> str:
    """A rate as a short percentage: 12%, 3.1%, 0.05%; – when there is none."""
    if rate is None:
        return "–"
    value = rate * 100
    digits = 0 if value >= 10 else 1 if value >= 1 else 2
    return f"{value:.{digits}f}%"


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 6)


PRIOR_CLICKS = 10.0
"""How strongly each weekday's rate leans towards the pooled rate, in clicks."""


@dataclass(frozen=True, slots=True)
class _Window:
    delivered: int
    clicks: int


def summarize_clicks(series: ClickSeries, today: dt.date, rules: ClickRules) -> ClickSummary:
    """The click signal of `series` on `today` (whose own figures are partial and left out)."""
    recent = rules.recent(today)
    baseline = tuple(day for day in rules.baseline(today) if series.covers(day))
    recent_window = _sum(series, recent)
    base_window = _sum(series, baseline)
    expected_delivered, expected_clicks, baseline_clicks = _expectations(series, recent, baseline)
    base_rate = _rate(base_window)
    recent_rate = _rate(recent_window)
    expected_rate = expected_clicks / recent_window.delivered if recent_window.delivered else None
    p_value = None
    if expected_clicks > 0:
        share = expected_clicks / (expected_clicks + baseline_clicks)
        total = recent_window.clicks + base_window.clicks
        p_value = binomial_cdf(recent_window.clicks, total, share)
    reason = _too_little(
        series,
        recent,
        recent_window=recent_window,
        base_window=base_window,
        expected_clicks=expected_clicks,
        rules=rules,
    )
    summary = ClickSummary(
        recent_rate=recent_rate,
        baseline_rate=base_rate,
        expected_rate=expected_rate,
        delivered_recent=recent_window.delivered,
        delivered_baseline=base_window.delivered,
        clicks_recent=recent_window.clicks,
        clicks_baseline=base_window.clicks,
        expected_delivered=expected_delivered,
        p_value=p_value,
        verdict=Verdict.TOO_LITTLE,
        recent_days=recent,
        baseline_days=baseline,
        reason=reason,
    )
    return _judged(summary, rules) if not reason else summary


def _judged(summary: ClickSummary, rules: ClickRules) -> ClickSummary:
    change, share = summary.rate_change, summary.volume_share
    fell = change is not None and change <= -rules.drop
    significant = summary.p_value is not None and summary.p_value < rules.alpha
    if not (fell and significant):
        verdict = Verdict.STEADY
    elif share is not None and share >= 1 - rules.drop:
        verdict = Verdict.DROP
    else:
        verdict = Verdict.VOLUME_DIP
    return dataclasses.replace(summary, verdict=verdict)


def _sum(series: ClickSeries, days: Iterable[dt.date]) -> _Window:
    figures = [series.on(day) for day in days if series.covers(day)]
    return _Window(
        delivered=sum(f.delivered for f in figures), clicks=sum(f.unique_clicks for f in figures)
    )


def _rate(window: _Window) -> float | None:
    return window.clicks / window.delivered if window.delivered else None


def _expectations(
    series: ClickSeries, recent: Sequence[dt.date], baseline: Sequence[dt.date]
) -> tuple[float, float, float]:
    """The baseline's deliveries for the recent window's weekdays, the clicks the recent window
    should have had at the baseline's weekday rates, and the baseline's clicks at those same rates.

    Each weekday's rate leans towards the pooled rate by `PRIOR_CLICKS` clicks' worth of
    deliveries, so a weekday with little baseline traffic does not make the expectation noisy.
    """
    delivered: dict[int, int] = {}
    clicks: dict[int, int] = {}
    days: dict[int, int] = {}
    for day in baseline:
        figures = series.on(day)
        weekday = day.weekday()
        delivered[weekday] = delivered.get(weekday, 0) + figures.delivered
        clicks[weekday] = clicks.get(weekday, 0) + figures.unique_clicks
        days[weekday] = days.get(weekday, 0) + 1
    total_delivered = sum(delivered.values())
    if not baseline or total_delivered == 0:
        return 0.0, 0.0, 0.0
    pooled = sum(clicks.values()) / total_delivered
    average_day = total_delivered / len(baseline)
    prior = PRIOR_CLICKS / pooled if pooled else 0.0

    def rate(weekday: int) -> float:
        weight = delivered.get(weekday, 0) + prior
        return (clicks.get(weekday, 0) + pooled * prior) / weight if weight else pooled

    expected_delivered = sum(
        delivered[day.weekday()] / days[day.weekday()] if day.weekday() in days else average_day
        for day in recent
    )
    expected_clicks = sum(series.on(day).delivered * rate(day.weekday()) for day in recent)
    baseline_clicks = sum(delivered[weekday] * rate(weekday) for weekday in delivered)
    return expected_delivered, expected_clicks, baseline_clicks


def _too_little(
    series: ClickSeries,
    recent: Sequence[dt.date],
    *,
    recent_window: _Window,
    base_window: _Window,
    expected_clicks: float,
    rules: ClickRules,
) -> str:
    """Why the figures cannot be judged ("" when they can)."""
    missing = [day for day in recent if not series.covers(day)]
    if missing:
        return f"the ESP's figures end on {series.end.isoformat()}, before the recent window ends"
    if base_window.delivered < rules.min_baseline_delivered:
        return (
            f"the baseline holds {base_window.delivered:,} deliveries "
            f"(at least {rules.min_baseline_delivered:,} are needed)"
        )
    if recent_window.delivered < rules.min_recent_delivered:
        return (
            f"the last {len(recent)} days hold {recent_window.delivered:,} deliveries "
            f"(at least {rules.min_recent_delivered:,} are needed)"
        )
    if expected_clicks < rules.min_expected_clicks:
        return (
            f"at the baseline's rate the last {len(recent)} days should have had "
            f"{expected_clicks:.1f} unique clicks (at least {rules.min_expected_clicks:g} are "
            "needed to see a drop)"
        )
    return ""


FALL_SEARCH_DAYS = 90
"""How far back from the latest day `rate_fall` looks for the first day of a fall."""
MIN_BASELINE_DAYS = 7
"""The fewest covered days a baseline needs to compare a day with (one of each weekday)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateFall:
    """When a scope's click rate fell (`fell_on`; None when it has not): the rate since then against
    the weekday-matched baseline's for the same days; without a fall, the latest day's rate."""

    fell_on: dt.date | None
    last_day: dt.date
    rate: float
    baseline_rate: float

    def text(self, label: str) -> str:
        """One line: "click rate fell from 3.4% to 0.63% on 2026-12-03 (sending domain …)"."""
        if self.fell_on is not None:
            return (
                f"click rate fell from {percent(self.baseline_rate)} to {percent(self.rate)} on "
                f"{self.fell_on.isoformat()} ({label})"
            )
        return (
            f"click rate {percent(self.rate)} on {self.last_day.isoformat()}, baseline "
            f"{percent(self.baseline_rate)} ({label})"
        )


def fall_line(series: ClickSeries, fall: RateFall | None) -> str:
    """A scope's kept click days in one line: when the rate fell, or the latest day's rate."""
    if fall is None:
        return f"click figures kept for {series.scope.label}: too few days to compare"
    return fall.text(series.scope.label)


def rate_fall(series: ClickSeries, rules: ClickRules | None = None) -> RateFall | None:
    """The first day of the fall of the click rate in `series` (days as the ESP counted them, so
    the day the rate fell, not the scan that first saw it): the earliest day, among the most recent,
    from which every day's rate stays at or below (1 − `drop`) × the rate the baseline (the
    `baseline_days` before that first day, weekday-matched as in `summarize_clicks`) had for that
    day's weekday — a fall too small to tell from chance (`min_expected_clicks`, `alpha`) is none.
    Days without deliveries have no rate and are passed over. None: too few days to compare."""
    rules = rules or ClickRules()
    delivered = [entry for entry in series.days if entry.delivered > 0]
    if not delivered:
        return None
    last = delivered[-1].day
    fell: dt.date | None = None
    start = last
    floor = max(series.start, last - dt.timedelta(days=FALL_SEARCH_DAYS))
    while start >= floor and _fallen_since(series, start, last, rules):
        fell = start
        start -= dt.timedelta(days=1)
    if fell is not None:
        fall = _compared(series, fell, last, rules)
        if fall is not None and _significant(series, fell, last, rules):
            return fall
    level = _compared(series, last, last, rules)
    return None if level is None else dataclasses.replace(level, fell_on=None)


def _baseline_of(series: ClickSeries, start: dt.date, rules: ClickRules) -> tuple[dt.date, ...]:
    """The covered baseline days before `start` (empty when too few to compare with)."""
    days = tuple(day for day in _days_before(start, rules.baseline_days) if series.covers(day))
    enough = sum(series.on(day).delivered for day in days) >= rules.min_baseline_delivered
    return days if len(days) >= MIN_BASELINE_DAYS and enough else ()


def _span(series: ClickSeries, first: dt.date, last: dt.date) -> list[dt.date]:
    """The days from `first` to `last` with deliveries."""
    return [
        entry.day for entry in series.days if first <= entry.day <= last and entry.delivered > 0
    ]


def _fallen_since(series: ClickSeries, start: dt.date, last: dt.date, rules: ClickRules) -> bool:
    baseline = _baseline_of(series, start, rules)
    if not baseline or series.on(start).delivered == 0:
        return False
    for day in _span(series, start, last):
        figures = series.on(day)
        _, expected, _ = _expectations(series, (day,), baseline)
        if figures.unique_clicks > (1 - rules.drop) * expected:
            return False
    return True


def _compared(
    series: ClickSeries, first: dt.date, last: dt.date, rules: ClickRules
) -> RateFall | None:
    baseline = _baseline_of(series, first, rules)
    days = _span(series, first, last)
    if not baseline or not days:
        return None
    window = _sum(series, days)
    _, expected, _ = _expectations(series, days, baseline)
    return RateFall(
        fell_on=first,
        last_day=last,
        rate=window.clicks / window.delivered,
        baseline_rate=expected / window.delivered,
    )


def _significant(series: ClickSeries, first: dt.date, last: dt.date, rules: ClickRules) -> bool:
    """Whether so few clicks since `first` are unlikely at the baseline's rates (as in
    `summarize_clicks`: enough expected clicks, and the binomial test below `alpha`)."""
    baseline = _baseline_of(series, first, rules)
    days = _span(series, first, last)
    window, base = _sum(series, days), _sum(series, baseline)
    _, expected, baseline_clicks = _expectations(series, days, baseline)
    if expected < rules.min_expected_clicks:
        return False
    share = expected / (expected + baseline_clicks)
    return binomial_cdf(window.clicks, window.clicks + base.clicks, share) < rules.alpha
