"""What history keeps of a checked host: its findings, one per code, and the observed values worth a
timeline — the CNAME target, the certificate (serial, issuer, expiry), the ESP's view (verified,
HTTPS, its certificate), each blocklist's verdict and the click signal's."""

from __future__ import annotations

from collections.abc import Iterable

from checks.model import HostReport
from esp_clients import TrackingDomain
from esp_clients.facts import facts_for
from tui.fleet.clicks import ClickSignal
from tui.fleet.rows import FleetRow
from tui.history.changes import seen
from tui.history.model import CHECK, INVENTORY, ScannedHost, Subject

CERTIFICATE_NAMES = (
    "tls_not_after",
    "tls_issuer",
    "esp_certificate",
    "esp_certificate_expires_at",
    "certificate_by_esp",
)
"""The observations the expiry forecast reads."""


def observed(
    report: HostReport, view: TrackingDomain | None = None, clicks: ClickSignal | None = None
) -> dict[str, str]:
    """The values of one check worth a timeline; absent ones are left out (not stored as empty).
    The click signal is kept as its verdict (`steady`, `drop`, `volume_dip`, `too_little_data`,
    `tracking_off`): the timeline shows the day a drop was first seen, without a row per day."""
    facts = report.facts
    values: dict[str, str] = {}
    if len(facts.cname_chain) > 1:
        values["cname_target"] = facts.cname_chain[-1]
    for name, value in (
        ("tls_serial", facts.tls_serial),
        ("tls_issuer", facts.tls_issuer),
        ("tls_not_after", facts.tls_not_after),
    ):
        if value:
            values[name] = value
    for list_name, status in facts.blocklist_verdicts:
        values[f"blocklist.{list_name}"] = status
    if view is not None:
        values.update(_esp_values(view))
    if clicks is not None and clicks.tracking_off:
        values["clicks"] = "tracking_off"
    elif clicks is not None and clicks.summary is not None:
        values["clicks"] = clicks.summary.verdict.value
    esp_facts = facts_for(report.expectation.esp or "")
    if esp_facts is not None and esp_facts.certificate_by_esp:
        values["certificate_by_esp"] = "yes"
    return values


def _esp_values(view: TrackingDomain) -> dict[str, str]:
    words = {True: "yes", False: "no"}
    values = {}
    if view.verified is not None:
        values["esp_verified"] = words[view.verified]
    if view.https is not None:
        values["esp_https"] = words[view.https]
    if view.certificate.status != "unknown":
        values["esp_certificate"] = view.certificate.status
    if view.certificate.expires_at:
        values["esp_certificate_expires_at"] = view.certificate.expires_at
    return values


def from_fleet(rows: Iterable[FleetRow]) -> list[ScannedHost]:
    """The finished rows of an inventory scan (pending ones are not a verdict and are left out)."""
    return [
        ScannedHost(
            subject=Subject(INVENTORY, row.account, row.host),
            brand=row.brand,
            findings=seen(row.findings),
            observed=observed(row.merged_report(), row.esp_view, row.clicks),
            clicks=row.clicks.series if row.clicks is not None else None,
        )
        for row in rows
        if not row.pending
    ]


def from_reports(reports: Iterable[HostReport]) -> list[ScannedHost]:
    """`check --record`'s hosts, kept apart from the inventory's."""
    return [
        ScannedHost(
            subject=Subject(CHECK, "", report.host),
            brand="",
            findings=seen(report.findings),
            observed=observed(report),
        )
        for report in reports
    ]
