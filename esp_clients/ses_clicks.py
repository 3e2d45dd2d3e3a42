"""Amazon SES v2's click signal, per configuration set: `BatchGetMetricData` (`POST
/v2/email/metrics/batch`, namespace `VDM`, metrics `DELIVERY` and `CLICK`, dimension
`CONFIGURATION_SET`), which SES answers only where Virtual Deliverability Manager is on with its
engagement metrics: `GetAccount` (`GET /v2/email/account`) says so first, and where it is off the
click figures are unavailable (never guessed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from esp_clients.base import AccountRef, Capability, TrackingDomain, Unsupported
from esp_clients.engagement import ClickScope, ClickSeries, daily_series
from esp_clients.errors import EspError, EspUnavailable, EspUnsupported
from esp_clients.http import HttpApi
from esp_clients.ses_auth import SesAuthError
from esp_clients.shapes import ShapeError, as_list, as_mapping, opt_str

ACCOUNT_PATH = "/v2/email/account"
BATCH_PATH = "/v2/email/metrics/batch"
QUERIES = (("delivered", "DELIVERY"), ("clicked", "CLICK"))
"""(query id, VDM metric) of the two queries asked per configuration set."""
NO_TRACKING_SETTING = (
    "SES tracks clicks through each configuration set's event destinations and VDM's engagement "
    "tracking, which trackdeck does not read"
)
UNSUPPORTED_CLICKS = {Capability.CLICK_TRACKING: NO_TRACKING_SETTING}
VDM_OFF = (
    "SES gives click counts only through Virtual Deliverability Manager, which is off for this "
    "account in {region}: turn VDM on (with engagement metrics) in the SES console to get the click "
    "signal; until then trackdeck does not guess it"
)
ENGAGEMENT_OFF = (
    "Virtual Deliverability Manager is on in {region} but its engagement metrics are off, so SES "
    "counts no clicks: turn engagement metrics on in VDM's settings"
)

Row = tuple[dt.date, int, int]


def vdm_state(body: object) -> str | None:
    """None when `GetAccount` says VDM and its engagement metrics are on, else which one is off
    (``vdm`` or ``engagement``)."""
    account = as_mapping(body, "the account")
    vdm = account.get("VdmAttributes")
    if vdm is None:
        return "vdm"
    attributes = as_mapping(vdm, "VdmAttributes")
    if opt_str(attributes, "VdmEnabled") != "ENABLED":
        return "vdm"
    dashboard = as_mapping(attributes.get("DashboardAttributes") or {}, "DashboardAttributes")
    return "engagement" if opt_str(dashboard, "EngagementMetrics") == "DISABLED" else None


def batch_request(configuration_set: str, start: dt.date, end: dt.date) -> dict[str, object]:
    """The two VDM queries for one configuration set (times as epoch seconds, rest-json's way)."""
    first = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
    after = dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC) + dt.timedelta(days=1)
    return {
        "Queries": [
            {
                "Id": query_id,
                "Namespace": "VDM",
                "Metric": metric,
                "Dimensions": {"CONFIGURATION_SET": configuration_set},
                "StartDate": int(first.timestamp()),
                "EndDate": int(after.timestamp()),
            }
            for query_id, metric in QUERIES
        ]
    }


def parse_batch(body: object) -> tuple[dict[str, dict[dt.date, int]], tuple[tuple[str, str], ...]]:
    """Each query's counts per day, and the (code, message) of each query SES could not answer."""
    answer = as_mapping(body, "the metric data")
    counts: dict[str, dict[dt.date, int]] = {}
    for item in as_list(answer.get("Results") or [], "Results"):
        result = as_mapping(item, "a metric result")
        stamps = as_list(result.get("Timestamps") or [], "Timestamps")
        values = as_list(result.get("Values") or [], "Values")
        if len(stamps) != len(values):
            raise ShapeError("Timestamps and Values differ in length")
        per_day = counts.setdefault(opt_str(result, "Id") or "", {})
        for stamp, value in zip(stamps, values, strict=True):
            day = _day(stamp)
            per_day[day] = per_day.get(day, 0) + _count(value)
    errors = tuple(
        (opt_str(error, "Code") or "?", opt_str(error, "Message") or "")
        for error in (
            as_mapping(item, "a metric error")
            for item in as_list(answer.get("Errors") or [], "Errors")
        )
    )
    return counts, errors


def _day(stamp: object) -> dt.date:
    """The UTC day of a timestamp written as epoch seconds or ISO 8601."""
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return dt.datetime.fromtimestamp(stamp, dt.UTC).date()
    if isinstance(stamp, str):
        try:
            moment = dt.datetime.fromisoformat(stamp)
        except ValueError:
            raise ShapeError(f"the timestamp {stamp!r} is not ISO 8601") from None
        return moment.astimezone(dt.UTC).date() if moment.tzinfo else moment.date()
    raise ShapeError("a timestamp is neither a number nor text")


def _count(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShapeError("a metric value is not a count")
    return value


def rows_of(counts: Mapping[str, Mapping[dt.date, int]]) -> tuple[Row, ...]:
    """(day, delivered, clicked) for every day either query reported."""
    delivered, clicked = counts.get("delivered", {}), counts.get("clicked", {})
    days = sorted(set(delivered) | set(clicked))
    return tuple((day, delivered.get(day, 0), clicked.get(day, 0)) for day in days)


class SesClicks:
    """The click calls of `SesClient` (mixed in; uses the client's signed transport)."""

    account: AccountRef
    label: str
    region: str
    _api: HttpApi
    _vdm_read: bool = False
    _vdm_off: str | None = None
    """What `GetAccount` said is off (see `vdm_state`), once read."""

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The configuration set whose redirect domain the host is."""
        return ClickScope(key=domain.esp_id, label=f"configuration set {domain.esp_id}")

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """VDM's daily DELIVERY and CLICK counts of the configuration set; EspUnsupported (with
        the reason) where VDM or its engagement metrics are off."""
        self._require_vdm()
        request = batch_request(domain.esp_id, start, end)  # a query: harmless twice
        body = self._api.request_json("POST", BATCH_PATH, json=request, idempotent=True)
        counts, errors = self._api.convert(parse_batch, body)
        if errors:
            raise self._query_error(errors)
        return daily_series(
            rows_of(counts),
            scope=self.click_scope(domain),
            start=start,
            end=end,
            source=f"POST {BATCH_PATH} (VDM)",
        )

    def _require_vdm(self) -> None:
        """EspUnsupported unless VDM and its engagement metrics are on (asked once per client)."""
        if not self._vdm_read:
            self._vdm_off = self._api.convert(
                vdm_state, self._api.request_json("GET", ACCOUNT_PATH)
            )
            self._vdm_read = True
        if self._vdm_off is None:
            return
        off = VDM_OFF if self._vdm_off == "vdm" else ENGAGEMENT_OFF
        reason = off.format(region=self.region)
        raise EspUnsupported.from_unsupported(
            Unsupported(capability=Capability.CLICK_STATS, reason=reason),
            esp=self.label,
            account=self.account.name,
        )

    def _query_error(self, errors: tuple[tuple[str, str], ...]) -> EspError:
        """ACCESS_DENIED is the IAM policy (the client's auth error says which actions); anything
        else is SES failing."""
        text = "; ".join(f"{code}: {message}".rstrip(": ") for code, message in errors)
        if any(code == "ACCESS_DENIED" for code, _ in errors):
            return self._api.make_error(SesAuthError, f"BatchGetMetricData refused: {text}")
        return self._api.make_error(EspUnavailable, f"BatchGetMetricData failed: {text}")
