"""The statistics and click-tracking endpoints of the simulated ESPs, in each ESP's documented
shapes, answering from the account's `ClickProfile` (see `click_profile`).

Each handler takes "today" from the range the client asked for, so the figures follow the caller's
clock; Mandrill's history takes no dates and ends on the state's own `today`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping

import httpx

from tui.sim.esp_apis.core import Route, SimState, json_body, reply, route, split_host

Params = Mapping[str, str]
ONE_DAY = dt.timedelta(days=1)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(text or "").date()
    except ValueError:
        return None


def _bad(status: int, body: object) -> httpx.Response:
    return reply(body, status)


# SendGrid: GET /v3/stats, GET /v3/tracking_settings/click


def _sendgrid_stats(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    query = request.url.params
    first, last = _date(query.get("start_date")), _date(query.get("end_date"))
    if first is None or last is None or last < first:
        return _bad(400, {"errors": [{"field": "start_date", "message": "invalid date range"}]})
    limit, offset = int(query.get("limit", "500") or 500), int(query.get("offset", "0") or 0)
    entries = []
    day = first
    while day <= last:
        delivered, clicks = state.clicks.day(day, last + ONE_DAY)
        metrics = {"delivered": delivered, "unique_clicks": clicks, "clicks": clicks * 2}
        entries.append({"date": day.isoformat(), "stats": [{"metrics": metrics}]})
        day += ONE_DAY
    return reply(entries[offset : offset + limit])


def _sendgrid_tracking(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    return reply({"enable_text": False, "enabled": state.clicks.click_tracking})


SENDGRID = (
    route("GET", "/v3/stats", _sendgrid_stats),
    route("GET", "/v3/tracking_settings/click", _sendgrid_tracking),
)


# Mailgun: POST /v1/analytics/metrics, GET /v3/{domain}/stats/total, GET /v3/domains/{name}/tracking


def _rfc2822_day(text: object) -> dt.date | None:
    try:
        return email.utils.parsedate_to_datetime(str(text)).date()
    except (TypeError, ValueError, IndexError):
        return None


def _mailgun_time(day: dt.date) -> str:
    return email.utils.format_datetime(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def _mailgun_metrics(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    body = json_body(request)
    first, after = _rfc2822_day(body.get("start")), _rfc2822_day(body.get("end"))
    if first is None or after is None:
        return _bad(400, {"message": "invalid start or end"})
    if not state.clicks.mailgun_metrics:  # the documented refusal: 400 with a message
        return _bad(400, {"message": "metrics are not available for this account"})
    paging = body.get("pagination")
    skip = paging.get("skip", 0) if isinstance(paging, Mapping) else 0
    limit = paging.get("limit", 10) if isinstance(paging, Mapping) else 10
    rows = state.clicks.days(first, after - ONE_DAY, after)
    items = [
        {
            "dimensions": [{"dimension": "time", "value": _mailgun_time(day), "display_value": ""}],
            "metrics": {"delivered_count": delivered, "unique_clicked_count": clicks},
        }
        for day, delivered, clicks in rows
    ]
    pagination = {"sort": "time:asc", "skip": skip, "limit": limit, "total": len(items)}
    return reply(
        {"resolution": "day", "pagination": pagination, "items": items[skip : skip + limit]}
    )


def _mailgun_stats(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    query = request.url.params
    first, after = _rfc2822_day(query.get("start")), _rfc2822_day(query.get("end"))
    event = query.get("event")
    if first is None or after is None or event not in ("delivered", "clicked"):
        return _bad(400, {"message": "reason for bad request"})
    stats = []
    for day, delivered, clicks in state.clicks.days(first, after - ONE_DAY, after):
        entry: dict[str, object] = {"time": _mailgun_time(day).replace("+0000", "UTC")}
        if event == "delivered":
            entry["delivered"] = {"smtp": delivered, "http": 0, "optimized": 0, "total": delivered}
        else:
            entry["clicked"] = {"total": clicks * 2, "unique": clicks}
        stats.append(entry)
    return reply({"resolution": "day", "stats": stats})


def _mailgun_tracking(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    domain = state.find(params["name"])
    if domain is None:
        return _bad(404, {"message": "Domain not found"})
    scheme = "https" if domain.https else "http"
    tracking = {
        "open": {"active": True, "place_at_the_top": False},
        "click": {"active": state.clicks.click_tracking},
        "unsubscribe": {"active": False, "html_footer": "", "text_footer": ""},
        "web_scheme": scheme,
    }
    return reply({"tracking": tracking})


MAILGUN = (
    route("POST", "/v1/analytics/metrics", _mailgun_metrics),
    route("GET", "/v3/{domain}/stats/total", _mailgun_stats),
    route("GET", "/v3/domains/{name}/tracking", _mailgun_tracking),
)


# SparkPost: GET /metrics/deliverability/time-series


def _sparkpost_series(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    query = request.url.params
    first, last = _date(query.get("from")), _date(query.get("to"))
    if first is None or "count_unique_clicked" not in query.get("metrics", ""):
        return _bad(400, {"errors": [{"message": "invalid query", "param": "from"}]})
    last = last or state.today()
    results = [
        {
            "ts": f"{day.isoformat()}T00:00:00+00:00",
            "count_delivered": sent,
            "count_unique_clicked": clicks,
        }
        for day, sent, clicks in state.clicks.days(first, last, last + ONE_DAY)
    ]
    return reply({"results": results})


SPARKPOST = (route("GET", "/metrics/deliverability/time-series", _sparkpost_series),)


# Resend: GET /emails/metrics


def _resend_metrics(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    query = request.url.params
    first, after = _date(query.get("start_date")), _date(query.get("end_date"))
    if first is None or after is None:
        return _bad(422, {"statusCode": 422, "name": "validation_error", "message": "bad dates"})
    wanted = query.get("domain_id")
    if wanted and state.find(wanted) is None:
        return reply({"object": "metrics", "data": []})
    data = [
        {"period": f"{day.isoformat()}T00:00:00.000Z", "delivered": sent, "unique_clicked": clicks}
        for day, sent, clicks in state.clicks.days(first, after - ONE_DAY, after)
    ]
    return reply(
        {"object": "metrics", "granularity": "daily", "dimensions": ["period"], "data": data}
    )


RESEND = (route("GET", "/emails/metrics", _resend_metrics),)


# Mandrill: POST /senders/list, POST /senders/time-series


def _senders(state: SimState) -> list[str]:
    return sorted({f"news@{split_host(domain.host)[1]}" for domain in state.domains})


def _mandrill_senders(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    return reply(
        [
            {"address": address, "sent": 1000 * (index + 1)}
            for index, address in enumerate(_senders(state))
        ]
    )


def _mandrill_history(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    address = json_body(request).get("address")
    if address not in _senders(state):
        return reply(
            {"status": "error", "code": 12, "name": "Unknown_Sender", "message": "No such sender"},
            500,
        )
    today = state.today()
    hours = []
    for day, delivered, clicks in state.clicks.days(today - dt.timedelta(days=30), today, today):
        bounces = delivered // 100
        for hour, share in ((9, 0.6), (15, 0.4)):
            hours.append(
                {
                    "time": f"{day.isoformat()} {hour:02d}:00:00",
                    "sent": round((delivered + bounces) * share),
                    "hard_bounces": round(bounces * share),
                    "soft_bounces": 0,
                    "rejects": 0,
                    "unique_clicks": round(clicks * share),
                }
            )
    return reply(hours)


MANDRILL = (
    route("POST", "/senders/list", _mandrill_senders),
    route("POST", "/senders/time-series", _mandrill_history),
)


# Amazon SES v2: GET /v2/email/account, POST /v2/email/metrics/batch


def _ses_account(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    status = "ENABLED" if state.clicks.vdm else "DISABLED"
    vdm = {"VdmEnabled": status, "DashboardAttributes": {"EngagementMetrics": status}}
    return reply(
        {"EnforcementStatus": "HEALTHY", "ProductionAccessEnabled": True, "VdmAttributes": vdm}
    )


def _ses_batch(state: SimState, request: httpx.Request, params: Params) -> httpx.Response:
    if not state.clicks.vdm:
        return _bad(400, {"message": "VDM is not enabled for this account"})
    results = []
    queries = json_body(request).get("Queries")
    for item in queries if isinstance(queries, list) else []:
        if not isinstance(item, Mapping):
            continue
        first = dt.datetime.fromtimestamp(float(item.get("StartDate", 0)), dt.UTC).date()
        after = dt.datetime.fromtimestamp(float(item.get("EndDate", 0)), dt.UTC).date()
        delivery = item.get("Metric") == "DELIVERY"
        rows = state.clicks.days(first, after - ONE_DAY, after)
        stamps = [
            dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp() for d, _, _ in rows
        ]
        values = [sent if delivery else clicks for _, sent, clicks in rows]
        results.append({"Id": item.get("Id"), "Timestamps": stamps, "Values": values})
    return reply({"Results": results, "Errors": []})


SES = (
    route("GET", "/v2/email/account", _ses_account),
    route("POST", "/v2/email/metrics/batch", _ses_batch),
)

ROUTES: Mapping[str, tuple[Route, ...]] = {
    "sendgrid": SENDGRID,
    "mailgun": MAILGUN,
    "sparkpost": SPARKPOST,
    "resend": RESEND,
    "mandrill": MANDRILL,
    "ses": SES,
}
"""Each simulated ESP's click endpoints."""
