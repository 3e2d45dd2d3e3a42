"""What an ESP says about engagement: its daily deliveries and unique clicks, and whether it rewrites
links for click tracking at all. Plain values; each ESP's module reads its own API into them.

This module imports nothing else of the package, so the client Protocol (`esp_clients.base`) can
name these values without an import circle.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

ACCOUNT_SCOPE_KEY = ""
"""The scope key of figures that cover the whole account (or subuser / subaccount)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyClicks:
    """One UTC day: messages delivered and unique clicks, as the ESP counts them."""

    day: dt.date
    delivered: int
    unique_clicks: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickScope:
    """What an ESP's figures for a tracking host cover: `key` tells scopes of one account apart
    ("" for the whole account), `label` says it in words ("sending domain mg.brand.com")."""

    key: str
    label: str


ACCOUNT_SCOPE = ClickScope(key=ACCOUNT_SCOPE_KEY, label="the whole account")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickSeries:
    """The daily figures of one scope from `start` to `end` (inclusive, UTC days).

    `days` holds only the days the ESP reported, oldest first; a covered day it left out had no
    traffic. `source` names the call that gave the figures, `notes` anything a reader should know
    (a deprecated fallback, a shorter retention than asked for).
    """

    scope: ClickScope
    start: dt.date
    end: dt.date
    days: tuple[DailyClicks, ...]
    source: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a click series ends before it starts")
        previous: dt.date | None = None
        for entry in self.days:
            if not self.start <= entry.day <= self.end:
                raise ValueError(f"{entry.day} is outside {self.start}..{self.end}")
            if previous is not None and entry.day <= previous:
                raise ValueError("the days of a click series must be unique and in order")
            previous = entry.day

    def covers(self, day: dt.date) -> bool:
        """Whether the ESP's figures include `day` (a day without a row then had no traffic)."""
        return self.start <= day <= self.end

    def on(self, day: dt.date) -> DailyClicks:
        """The figures of `day`; zero for a covered day the ESP did not list."""
        at = bisect.bisect_left(self.days, day, key=_day_of)  # the days are in order
        if at < len(self.days) and self.days[at].day == day:
            return self.days[at]
        return DailyClicks(day=day, delivered=0, unique_clicks=0)


def _day_of(entry: DailyClicks) -> dt.date:
    return entry.day


@functools.lru_cache(maxsize=4096)
def shared_day(day: dt.date) -> dt.date:
    """One date object per day for every series of a scan (a 10,000-host fleet holds thousands
    of series over the same few dozen days)."""
    return day


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickTracking:
    """Whether the ESP rewrites links for click tracking in a scope, and where that is set.

    `enabled` is None when the ESP's answer does not say; `setting` names the ESP's switch (used in
    the fix when tracking is off); `detail` is the ESP's own state in words.
    """

    enabled: bool | None
    scope: ClickScope
    setting: str
    detail: str = ""


def daily_series(
    rows: Iterable[tuple[dt.date, int, int]],
    *,
    scope: ClickScope,
    start: dt.date,
    end: dt.date,
    source: str,
    notes: tuple[str, ...] = (),
) -> ClickSeries:
    """A series from (day, delivered, unique clicks) rows: rows of one day add up (hourly figures,
    several senders), rows outside `start`..`end` are left out (a partial day at either edge)."""
    delivered: dict[dt.date, int] = {}
    clicks: dict[dt.date, int] = {}
    for day, sent, clicked in rows:
        if start <= day <= end:
            delivered[day] = delivered.get(day, 0) + sent
            clicks[day] = clicks.get(day, 0) + clicked
    days = tuple(
        DailyClicks(day=shared_day(day), delivered=delivered[day], unique_clicks=clicks[day])
        for day in sorted(delivered)
    )
    return ClickSeries(scope=scope, start=start, end=end, days=days, source=source, notes=notes)
