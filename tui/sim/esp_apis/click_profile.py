"""What a simulated ESP account counts per day: deliveries and unique clicks, with a recent window
that can differ from the baseline (a drop, a volume dip), deterministic noise and the switches
(click tracking, Amazon SES's Virtual Deliverability Manager).

A day's figures depend only on the profile, its seed and how many days before "today" the day is,
so the demo's figures are the same on every run and follow its clock: each simulated API takes
"today" from the range the client asked for (the day after the last full day it wants).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickProfile:
    """An account's traffic: `delivered` a day at `rate`, except the last `recent_days`, which
    deliver `recent_delivered` at `recent_rate` when given. `noise` is the day-to-day wobble."""

    delivered: int = 4000
    rate: float = 0.032
    recent_delivered: int | None = None
    recent_rate: float | None = None
    recent_days: int = 3
    noise: float = 0.08
    seed: str = ""
    click_tracking: bool = True
    vdm: bool = True
    """SES only: Virtual Deliverability Manager with its engagement metrics on."""
    mailgun_metrics: bool = True
    """Mailgun only: the Metrics API answers (else only the deprecated stats call does)."""

    def day(self, day: dt.date, today: dt.date) -> tuple[int, int]:
        """(delivered, unique clicks) of `day`; nothing on or after `today` (not yet counted)."""
        back = (today - day).days
        if back < 1:
            return 0, 0
        recent = back <= self.recent_days
        delivered = self.recent_delivered if recent and self.recent_delivered is not None else None
        rate = self.recent_rate if recent and self.recent_rate is not None else self.rate
        wobble = random.Random(f"{self.seed}/{back}")  # noqa: S311 - simulated traffic, not secrets
        volume = delivered if delivered is not None else self.delivered
        sent = max(0, round(volume * (1 + wobble.uniform(-self.noise, self.noise))))
        clicks = round(sent * rate * (1 + wobble.uniform(-self.noise, self.noise)))
        return sent, min(sent, max(0, clicks))

    def days(self, first: dt.date, last: dt.date, today: dt.date) -> list[tuple[dt.date, int, int]]:
        """(day, delivered, unique clicks) from `first` to `last`, days with traffic only."""
        found = []
        day = first
        while day <= last:
            delivered, clicks = self.day(day, today)
            if delivered or clicks:
                found.append((day, delivered, clicks))
            day += dt.timedelta(days=1)
        return found


STEADY = ClickProfile()
"""A healthy account: about 4,000 deliveries a day, 3.2 % of them clicked."""
