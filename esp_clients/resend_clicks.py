"""Resend's click signal, per sending domain: `GET /emails/metrics` (in Resend's OpenAPI file, v1.5.0)
with `delivered` and `unique_clicked`, `granularity=daily`, broken down by `period` and restricted to
the domain (`domain_id`); the domain's own `click_tracking` flag (read with the domain list, so it
costs no call) says whether Resend rewrites its links.
"""

from __future__ import annotations

import datetime as dt

from esp_clients.base import TrackingDomain
from esp_clients.engagement import ClickScope, ClickSeries, ClickTracking, daily_series
from esp_clients.http import HttpApi
from esp_clients.shapes import as_list, as_mapping, iso_day, opt_count, opt_str

METRICS_PATH = "/emails/metrics"

Row = tuple[dt.date, int, int]


def parse_metrics(body: object) -> tuple[Row, ...]:
    """The `data` rows of a metrics answer broken down by `period`."""
    answer = as_mapping(body, "the metrics answer")
    rows = []
    for item in as_list(answer.get("data", []), "data"):
        row = as_mapping(item, "a metrics row")
        rows.append(
            (
                iso_day(opt_str(row, "period"), "the period"),
                opt_count(row, "delivered"),
                opt_count(row, "unique_clicked"),
            )
        )
    return tuple(rows)


def domain_name(domain: TrackingDomain) -> str:
    """The sending domain a Resend tracking host belongs to."""
    named = dict(domain.details).get("domain")
    return named or domain.host.partition(".")[2] or domain.host


def midnight(day: dt.date) -> str:
    """Midnight UTC of `day` in ISO 8601."""
    return f"{day.isoformat()}T00:00:00Z"


class ResendClicks:
    """The click calls of `ResendClient` (mixed in; uses the client's transport)."""

    _api: HttpApi

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The sending domain (Resend's domain id)."""
        return ClickScope(key=domain.esp_id, label=f"sending domain {domain_name(domain)}")

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """Daily `delivered` and `unique_clicked` of the sending domain."""
        params: dict[str, str | int] = {
            "start_date": midnight(start),
            "end_date": midnight(end + dt.timedelta(days=1)),
            "timezone": "UTC",
            "granularity": "daily",
            "metrics": "delivered,unique_clicked",
            "dimensions": "period",
            "domain_id": domain.esp_id,
        }
        body = self._api.request_json("GET", METRICS_PATH, params=params)
        rows = self._api.convert(parse_metrics, body)
        scope = self.click_scope(domain)
        return daily_series(rows, scope=scope, start=start, end=end, source=f"GET {METRICS_PATH}")

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        """The domain's `click_tracking` flag, as the domain list read it."""
        enabled = domain.click_tracking
        setting = (
            f"the click tracking of {domain_name(domain)} in Resend (or PATCH "
            f'/domains/{domain.esp_id} {{"click_tracking": true}})'
        )
        detail = {True: "on", False: "off", None: "not reported"}[enabled]
        return ClickTracking(
            enabled=enabled, scope=self.click_scope(domain), setting=setting, detail=detail
        )
