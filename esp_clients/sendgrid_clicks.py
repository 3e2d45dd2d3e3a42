"""SendGrid's click signal: the Stats API's daily `delivered` and `unique_clicks` (`GET /v3/stats`)
and the click-tracking setting (`GET /v3/tracking_settings/click`), for the account or the subuser
named by `on-behalf-of` (the client sends that header on every call).

SendGrid counts per account or subuser, not per branded link, so every tracking host of an account
shares one series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from esp_clients.base import AccountRef, TrackingDomain
from esp_clients.engagement import (
    ACCOUNT_SCOPE,
    ClickScope,
    ClickSeries,
    ClickTracking,
    daily_series,
)
from esp_clients.http import HttpApi
from esp_clients.shapes import as_list, as_mapping, iso_day, opt_bool, opt_count, opt_str

STATS_PATH = "/v3/stats"
TRACKING_PATH = "/v3/tracking_settings/click"
STATS_PAGE = 100
"""Days asked for per stats call (`limit`; `offset` pages on when an answer is full)."""
SETTING = (
    "SendGrid Settings → Tracking → Click Tracking (or PATCH /v3/tracking_settings/click "
    '{"enabled": true})'
)

Row = tuple[dt.date, int, int]


def parse_stats_page(body: object) -> tuple[Row, ...]:
    """The (day, delivered, unique clicks) of each entry of a `GET /v3/stats` answer; the metrics of
    an entry's `stats` add up."""
    rows: list[Row] = []
    for item in as_list(body, "the stats list"):
        entry = as_mapping(item, "a stats entry")
        day = iso_day(opt_str(entry, "date"), "a stats entry's date")
        delivered = clicks = 0
        for stat in as_list(entry.get("stats", []), "stats"):
            metrics = as_mapping(as_mapping(stat, "a stat").get("metrics", {}), "metrics")
            delivered += opt_count(metrics, "delivered")
            clicks += opt_count(metrics, "unique_clicks")
        rows.append((day, delivered, clicks))
    return tuple(rows)


def parse_click_setting(body: object, scope: ClickScope) -> ClickTracking:
    """`GET /v3/tracking_settings/click` (schema ClickTracking) as a ClickTracking."""
    setting = as_mapping(body, "the click tracking setting")
    enabled = opt_bool(setting, "enabled")
    text = opt_bool(setting, "enable_text")
    detail = {True: "on", False: "off", None: "not reported"}[enabled]
    if enabled and text is not None:
        detail += f" (plain-text links {'too' if text else 'not rewritten'})"
    return ClickTracking(enabled=enabled, scope=scope, setting=SETTING, detail=detail)


def account_scope(account: AccountRef) -> ClickScope:
    """The account, or the subuser the client acts for."""
    if account.subuser:
        return ClickScope(key=ACCOUNT_SCOPE.key, label=f"subuser {account.subuser}")
    return ACCOUNT_SCOPE


class SendGridClicks:
    """The click calls of `SendGridClient` (mixed in; uses the client's transport and account)."""

    account: AccountRef
    _api: HttpApi

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The account or its subuser: SendGrid's stats are not kept per branded link."""
        return account_scope(self.account)

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """Daily `delivered` and `unique_clicks` from `GET /v3/stats`, paged with limit/offset
        (a page that repeats days already read ends the paging)."""
        seen: set[dt.date] = set()

        def page(offset: int | None) -> tuple[list[Row], int | None]:
            answer = self._stats_page(start, end, offset or 0)
            fresh = [row for row in answer if row[0] not in seen]
            seen.update(row[0] for row in fresh)
            more = len(answer) >= STATS_PAGE and bool(fresh)
            return fresh, (offset or 0) + len(answer) if more else None

        rows = self._api.paginate(page)
        return daily_series(
            rows, scope=self.click_scope(domain), start=start, end=end, source=f"GET {STATS_PATH}"
        )

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        """The account's (or subuser's) click-tracking switch."""
        body = self._api.request_json("GET", TRACKING_PATH)
        scope = self.click_scope(domain)
        return self._api.convert(lambda value: parse_click_setting(value, scope), body)

    def _stats_page(self, start: dt.date, end: dt.date, offset: int) -> Sequence[Row]:
        params: dict[str, str | int] = {
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "aggregated_by": "day",
            "limit": STATS_PAGE,
            "offset": offset,
        }
        body = self._api.request_json("GET", STATS_PATH, params=params)
        return self._api.convert(parse_stats_page, body)
