"""Mailgun's click signal, per sending domain (the tracking host `email.mg.brand.com` belongs to the
sending domain `mg.brand.com`, the client's `esp_id`).

The figures come from the Metrics API (`POST /v1/analytics/metrics`: `delivered_count` and
`unique_clicked_count` by `time` at day resolution, filtered to the domain); when Mailgun refuses
that call for the account (an older plan, 404 or another 4xx), from `GET /v3/{domain}/stats/total`,
which Mailgun's spec marks deprecated. The click-tracking switch is `GET /v3/domains/{name}/tracking`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping

from esp_clients.base import TrackingDomain
from esp_clients.engagement import ClickScope, ClickSeries, ClickTracking, daily_series
from esp_clients.errors import EspNotFound, EspRejected
from esp_clients.http import HttpApi
from esp_clients.shapes import ShapeError, as_list, as_mapping, opt_count, opt_str, quote_segment

METRICS_PATH = "/v1/analytics/metrics"
METRICS = ("delivered_count", "unique_clicked_count")
PAGE_LIMIT = 100
"""Rows asked for per metrics call (`pagination.limit`; `skip` pages on)."""
ACTIVE_WORDS = {"true": True, "yes": True, "htmlonly": True, "false": False, "no": False}
"""Mailgun's click `active` values: a boolean in answers, a word where it is set (`htmlonly` is
tracking for HTML parts only, still on)."""

Row = tuple[dt.date, int, int]


def rfc2822(day: dt.date) -> str:
    """Midnight UTC of `day` as Mailgun's APIs take times (``Mon, 27 Oct 2026 00:00:00 +0000``)."""
    return email.utils.format_datetime(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def bucket_day(text: str | None) -> dt.date:
    """The day a Mailgun time bucket (RFC 2822, ``+0000`` or ``UTC``) starts on, as written."""
    try:
        return email.utils.parsedate_to_datetime(text or "").date()
    except (TypeError, ValueError, IndexError):
        raise ShapeError(f"the time {text!r} is not an RFC 2822 date") from None


def metrics_query(name: str, start: dt.date, end: dt.date, skip: int) -> dict[str, object]:
    """The Metrics API query: the two counts per day for one sending domain."""
    return {
        "start": rfc2822(start),
        "end": rfc2822(end + dt.timedelta(days=1)),
        "resolution": "day",
        "dimensions": ["time"],
        "metrics": list(METRICS),
        "filter": {
            "AND": [
                {
                    "attribute": "domain",
                    "comparator": "=",
                    "values": [{"label": name, "value": name}],
                }
            ]
        },
        "include_aggregates": False,
        "pagination": {"skip": skip, "limit": PAGE_LIMIT},
    }


def parse_metrics(body: object) -> tuple[tuple[Row, ...], int | None]:
    """The rows of one Metrics API answer, and the `skip` of the next page when there is more."""
    answer = as_mapping(body, "the metrics answer")
    rows = []
    for item in as_list(answer.get("items", []), "items"):
        entry = as_mapping(item, "a metrics item")
        metrics = as_mapping(entry.get("metrics", {}), "metrics")
        rows.append(
            (
                bucket_day(_time_dimension(entry)),
                opt_count(metrics, "delivered_count"),
                opt_count(metrics, "unique_clicked_count"),
            )
        )
    paging = answer.get("pagination")
    if not isinstance(paging, Mapping) or not rows:
        return tuple(rows), None
    following = opt_count(paging, "skip") + len(rows)
    return tuple(rows), following if following < opt_count(paging, "total") else None


def _time_dimension(entry: Mapping[str, object]) -> str | None:
    for item in as_list(entry.get("dimensions", []), "dimensions"):
        dimension = as_mapping(item, "a dimension")
        if opt_str(dimension, "dimension") == "time":
            return opt_str(dimension, "value")
    raise ShapeError("a metrics item has no time dimension")


def parse_stats_total(body: object) -> tuple[Row, ...]:
    """`GET /v3/{domain}/stats/total`: `delivered.total` and `clicked.unique` per time bucket."""
    answer = as_mapping(body, "the stats answer")
    rows = []
    for item in as_list(answer.get("stats", []), "stats"):
        entry = as_mapping(item, "a stats entry")
        delivered = as_mapping(entry.get("delivered", {}), "delivered")
        clicked = as_mapping(entry.get("clicked", {}), "clicked")
        rows.append(
            (
                bucket_day(opt_str(entry, "time")),
                opt_count(delivered, "total"),
                opt_count(clicked, "unique"),
            )
        )
    return tuple(rows)


def parse_tracking(body: object, scope: ClickScope, name: str) -> ClickTracking:
    """`GET /v3/domains/{name}/tracking`: whether `tracking.click.active`."""
    tracking = as_mapping(as_mapping(body, "the tracking answer").get("tracking"), "tracking")
    click = as_mapping(tracking.get("click", {}), "tracking.click")
    active = click.get("active")
    if isinstance(active, str):
        enabled = ACTIVE_WORDS.get(active.strip().lower())
    elif active is None or isinstance(active, bool):
        enabled = active
    else:
        raise ShapeError("tracking.click.active is neither a boolean nor a word")
    detail = {True: "on", False: "off", None: "not reported"}[enabled]
    if active == "htmlonly":
        detail = "on for HTML parts only"
    setting = (
        f"Mailgun → Sending → Domain settings → {name} → Tracking → Click tracking (or PUT "
        f"/v3/domains/{name}/tracking/click active=true)"
    )
    return ClickTracking(enabled=enabled, scope=scope, setting=setting, detail=detail)


class MailgunClicks:
    """The click calls of `MailgunClient` (mixed in; uses the client's transport)."""

    _api: HttpApi

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The sending domain that owns the tracking host."""
        return ClickScope(key=domain.esp_id, label=f"sending domain {domain.esp_id}")

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """The Metrics API's daily counts for the sending domain; the deprecated stats call when
        Mailgun refuses the Metrics API (404 or another 4xx that is not about the key)."""
        scope = self.click_scope(domain)
        try:
            rows = self._metrics(domain.esp_id, start, end)
        except (EspNotFound, EspRejected) as refused:
            rows = self._stats_total(domain.esp_id, start, end)
            note = (
                f"Mailgun's Metrics API refused the query ({refused.detail}); the figures come "
                "from /v3/{domain}/stats/total (one call per event), which Mailgun marks deprecated"
            )
            source = f"GET /v3/{domain.esp_id}/stats/total"
            return daily_series(
                rows, scope=scope, start=start, end=end, source=source, notes=(note,)
            )
        return daily_series(rows, scope=scope, start=start, end=end, source=f"POST {METRICS_PATH}")

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        """The sending domain's click-tracking switch."""
        path = f"/v3/domains/{quote_segment(domain.esp_id)}/tracking"
        body = self._api.request_json("GET", path)
        scope = self.click_scope(domain)
        return self._api.convert(lambda value: parse_tracking(value, scope, domain.esp_id), body)

    def _metrics(self, name: str, start: dt.date, end: dt.date) -> tuple[Row, ...]:
        seen: set[dt.date] = set()

        def page(skip: int | None) -> tuple[list[Row], int | None]:
            query = metrics_query(name, start, end, skip or 0)
            body = self._api.request_json(
                "POST", METRICS_PATH, json=query, idempotent=True
            )  # a query: harmless twice
            rows, following = self._api.convert(parse_metrics, body)
            fresh = [row for row in rows if row[0] not in seen]
            seen.update(row[0] for row in fresh)
            return fresh, following if fresh else None

        return self._api.paginate(page)

    def _stats_total(self, name: str, start: dt.date, end: dt.date) -> tuple[Row, ...]:
        """One call per event: the spec types `event` as one string (repeating it is refused)."""
        counts: dict[str, dict[dt.date, int]] = {}
        for event in ("delivered", "clicked"):
            params: dict[str, str | int] = {
                "event": event,
                "start": rfc2822(start),
                "end": rfc2822(end + dt.timedelta(days=1)),
                "resolution": "day",
            }
            path = f"/v3/{quote_segment(name)}/stats/total"
            rows = self._api.convert(
                parse_stats_total, self._api.request_json("GET", path, params=params)
            )
            per_day = counts.setdefault(event, {})
            for day, delivered_count, clicked_count in rows:
                count = delivered_count if event == "delivered" else clicked_count
                per_day[day] = per_day.get(day, 0) + count
        delivered, clicked = counts["delivered"], counts["clicked"]
        days = sorted(set(delivered) | set(clicked))
        return tuple((day, delivered.get(day, 0), clicked.get(day, 0)) for day in days)
