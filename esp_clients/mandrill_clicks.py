"""Mandrill's click signal: the hourly history of the senders that send from the tracking host's
domain (`/senders/list`, then `/senders/time-series` for each, at most `MAX_SENDERS`), added up
per UTC day.

Mandrill documents no per-day account statistics (`/users/info` gives period totals only), so the
senders' hourly history is what gives a daily series; it reaches back 30 days, so the baseline is
shorter than asked for. Mandrill reports no deliveries: a day's delivered count is its `sent` less
its hard and soft bounces. Which senders use a tracking domain is not in the API either: the senders
whose address is at the tracking host's parent domain (or under it) are taken. Click tracking is
set per message (`track_clicks`), with no account setting in the API to read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from esp_clients.base import Capability, TrackingDomain
from esp_clients.engagement import ClickScope, ClickSeries, daily_series
from esp_clients.http import HttpApi
from esp_clients.shapes import (
    ShapeError,
    as_list,
    as_mapping,
    iso_day,
    normalize_host,
    opt_count,
    opt_str,
)

MAX_SENDERS = 10
"""Senders whose history is read per domain, the busiest first (each costs one call)."""
HISTORY_DAYS = 29
"""Whole days of `/senders/time-series` (30 days of hours: the oldest day is partial)."""
NO_TRACKING_SETTING = (
    "Mandrill decides click tracking per message (track_clicks, or the account's sending defaults "
    "in its console); its API has no setting trackdeck can read"
)
UNSUPPORTED_CLICKS = {Capability.CLICK_TRACKING: NO_TRACKING_SETTING}

Row = tuple[dt.date, int, int]


def parse_senders(body: object) -> tuple[tuple[str, int], ...]:
    """(address, messages sent) of each entry of `/senders/list`."""
    senders = []
    for item in as_list(body, "the senders list"):
        entry = as_mapping(item, "a sender")
        address = opt_str(entry, "address")
        if not address:
            raise ShapeError("a sender has no address")
        senders.append((address, opt_count(entry, "sent")))
    return tuple(senders)


def parse_history(body: object) -> tuple[Row, ...]:
    """(day, delivered, unique clicks) of each hour of `/senders/time-series`."""
    rows = []
    for item in as_list(body, "the sender's history"):
        hour = as_mapping(item, "an hour")
        bounced = opt_count(hour, "hard_bounces") + opt_count(hour, "soft_bounces")
        delivered = max(0, opt_count(hour, "sent") - bounced)
        rows.append(
            (
                iso_day(opt_str(hour, "time"), "the hour"),
                delivered,
                opt_count(hour, "unique_clicks"),
            )
        )
    return tuple(rows)


def sender_domain(host: str) -> str:
    """The domain whose senders a tracking host serves: the host without its first label."""
    return host.partition(".")[2] or host


def senders_at(senders: tuple[tuple[str, int], ...], domain: str) -> tuple[str, ...]:
    """The addresses at `domain` or under it, the busiest first, at most `MAX_SENDERS` (names
    compared as A-labels: the tracking host is one, a sender may be written in Unicode)."""
    wanted = normalize_host(domain)
    matching = [
        (sent, address)
        for address, sent in senders
        if (at := normalize_host(address.rpartition("@")[2])) == wanted or at.endswith("." + wanted)
    ]
    return tuple(address for _, address in sorted(matching, key=lambda pair: -pair[0]))[
        :MAX_SENDERS
    ]


class MandrillClicks:
    """The click calls of `MandrillClient` (mixed in; the key travels in each JSON body, as in
    every Mandrill call)."""

    _api: HttpApi
    _credential: str
    _senders: tuple[tuple[str, int], ...] | None = None

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The senders at the tracking host's parent domain."""
        at = sender_domain(domain.host)
        return ClickScope(key=at, label=f"senders at {at}")

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """The hourly history of the domain's senders, added up per day."""
        scope = self.click_scope(domain)
        addresses = senders_at(self._all_senders(), scope.key)
        rows: list[Row] = []
        for address in addresses:
            body = self._post("/senders/time-series", {"address": address})
            rows.extend(self._api.convert(parse_history, body))
        first = max(start, end - dt.timedelta(days=HISTORY_DAYS - 1))
        notes = [
            f"Mandrill keeps 30 days of hourly history: the figures start on {first.isoformat()}",
            "delivered = sent less hard and soft bounces (Mandrill reports no deliveries)",
            f"senders read: {', '.join(addresses)}"
            if addresses
            else f"no sender of this account sends from {scope.key}",
        ]
        source = "POST /senders/list, /senders/time-series"
        return daily_series(
            rows, scope=scope, start=first, end=end, source=source, notes=tuple(notes)
        )

    def _all_senders(self) -> tuple[tuple[str, int], ...]:
        """The account's senders, read once per client (several domains share the list)."""
        if self._senders is None:
            self._senders = self._api.convert(parse_senders, self._post("/senders/list", {}))
        return self._senders

    def _post(self, path: str, fields: Mapping[str, str]) -> object:
        """A read (Mandrill posts everything): sent again after a dropped connection."""
        body = {"key": self._credential, **fields}
        return self._api.request_json("POST", path, json=body, idempotent=True)
