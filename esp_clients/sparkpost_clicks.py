"""SparkPost's click signal: the Metrics API's time series (`GET /metrics/deliverability/time-series`,
`count_delivered` and `count_unique_clicked` at day precision) for the account, or for the
subaccount the client acts for.

SparkPost can filter metrics by sending domain, but which sending domains use a tracking domain is
said by the Sending Domains API, which trackdeck does not read: every tracking host of an account
shares the account's series. SparkPost sets click tracking per transmission and in the account's
defaults (the Account API), which trackdeck does not read either, so that capability is declared
missing. The time series is one answer: the API documents no paging for it.
"""

from __future__ import annotations

import datetime as dt

from esp_clients.base import AccountRef, Capability, TrackingDomain
from esp_clients.engagement import ACCOUNT_SCOPE, ClickScope, ClickSeries, daily_series
from esp_clients.http import HttpApi
from esp_clients.shapes import as_list, as_mapping, iso_day, opt_count, opt_str

TIME_SERIES_PATH = "/metrics/deliverability/time-series"
METRICS = "count_delivered,count_unique_clicked"
NO_TRACKING_SETTING = (
    "SparkPost sets click tracking per transmission (options.click_tracking) and in the account's "
    "defaults (Account API), neither of which trackdeck reads: check both in SparkPost"
)
UNSUPPORTED_CLICKS = {Capability.CLICK_TRACKING: NO_TRACKING_SETTING}

Row = tuple[dt.date, int, int]


def parse_time_series(body: object) -> tuple[Row, ...]:
    """The `results` of a time-series answer: (day of `ts`, delivered, unique clicks)."""
    answer = as_mapping(body, "the time series")
    rows = []
    for item in as_list(answer.get("results"), "results"):
        point = as_mapping(item, "a time-series point")
        rows.append(
            (
                iso_day(opt_str(point, "ts"), "the time-series point"),
                opt_count(point, "count_delivered"),
                opt_count(point, "count_unique_clicked"),
            )
        )
    return tuple(rows)


def account_scope(account: AccountRef) -> ClickScope:
    """The account, or the subaccount the client acts for."""
    if account.subaccount:
        return ClickScope(key=ACCOUNT_SCOPE.key, label=f"subaccount {account.subaccount}")
    return ACCOUNT_SCOPE


class SparkPostClicks:
    """The click calls of `SparkPostClient` (mixed in; uses the client's transport and account)."""

    account: AccountRef
    _api: HttpApi

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The account or its subaccount."""
        return account_scope(self.account)

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """Daily `count_delivered` and `count_unique_clicked` of the account (or subaccount)."""
        params: dict[str, str | int] = {
            "from": f"{start.isoformat()}T00:00",
            "to": f"{end.isoformat()}T23:59",
            "precision": "day",
            "metrics": METRICS,
            "timezone": "UTC",
        }
        if self.account.subaccount:
            params["subaccounts"] = self.account.subaccount
        body = self._api.request_json("GET", TIME_SERIES_PATH, params=params)
        rows = self._api.convert(parse_time_series, body)
        source = f"GET /api/v1{TIME_SERIES_PATH}"
        scope = self.click_scope(domain)
        return daily_series(rows, scope=scope, start=start, end=end, source=source)
