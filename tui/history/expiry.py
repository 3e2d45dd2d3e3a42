"""The certificate-expiry forecast, as pure functions over the history's current observations: every
tracking host's certificate end date (from the TLS check, and from the ESP where its API says),
soonest first, grouped by week; an ESP-managed certificate this close to its end is a failing
renewal, not a date to wait for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tui.history.model import Subject

OVERDUE_DAYS = 20
"""ESPs renew their certificates about 30 days before the end: one with fewer days left is stuck."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expiry:
    """One host's certificate end date, where it was seen, and whether the ESP should renew it."""

    subject: Subject
    not_after: dt.datetime
    source: str
    """`tls` (served on 443), `esp` (the ESP's own record) or `tls+esp` when both agree."""
    issuer: str
    managed: bool
    days_left: int

    @property
    def overdue(self) -> bool:
        """An ESP-managed certificate whose renewal should have happened already."""
        return self.managed and self.days_left < OVERDUE_DAYS


def forecast(
    observed: Mapping[Subject, Mapping[str, str]], now: dt.datetime, within_days: int
) -> list[Expiry]:
    """Every certificate ending within `within_days` (or already ended), soonest first."""
    items = []
    for subject, values in observed.items():
        item = _expiry(subject, values, now)
        if item is not None and item.days_left <= within_days:
            items.append(item)
    return sorted(items, key=lambda item: (item.not_after, item.subject))


def by_week(items: Iterable[Expiry]) -> list[tuple[dt.date, list[Expiry]]]:
    """The items under the Monday of their ISO week, weeks in order."""
    weeks: dict[dt.date, list[Expiry]] = {}
    for item in items:
        day = item.not_after.date()
        weeks.setdefault(day - dt.timedelta(days=day.weekday()), []).append(item)
    return sorted(weeks.items())


def _expiry(subject: Subject, values: Mapping[str, str], now: dt.datetime) -> Expiry | None:
    served = _moment(values.get("tls_not_after"))
    recorded = _moment(values.get("esp_certificate_expires_at"))
    dates = [moment for moment in (served, recorded) if moment is not None]
    if not dates:
        return None
    not_after = min(dates)
    sources = [name for name, moment in (("tls", served), ("esp", recorded)) if moment is not None]
    if served and recorded and abs(served - recorded) > dt.timedelta(days=1):
        sources = ["tls" if served <= recorded else "esp"]
    return Expiry(
        subject=subject,
        not_after=not_after,
        source="+".join(sources),
        issuer=values.get("tls_issuer", ""),
        managed=values.get("certificate_by_esp") == "yes",
        days_left=int((not_after - now).total_seconds() // 86_400),
    )


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
