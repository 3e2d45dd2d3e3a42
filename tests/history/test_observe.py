"""What history keeps of a fleet row: findings one per code, and the observed values worth a timeline,
the click signal's verdict among them."""

from __future__ import annotations

import datetime as dt

from checks.model import Expectation, Facts, Finding, HostReport, Severity
from esp_clients.engagement import ACCOUNT_SCOPE
from tui.fleet.clicks import ClickSignal, ClickSummary, Verdict
from tui.fleet.rows import FleetRow
from tui.history.observe import from_fleet


def summary(verdict: Verdict) -> ClickSummary:
    return ClickSummary(
        recent_rate=0.006,
        baseline_rate=0.034,
        expected_rate=0.034,
        delivered_recent=18_000,
        delivered_baseline=160_000,
        clicks_recent=110,
        clicks_baseline=5_400,
        expected_delivered=17_000.0,
        p_value=1e-30,
        verdict=verdict,
        recent_days=(dt.date(2026, 12, 3),),
        baseline_days=(dt.date(2026, 11, 5),),
    )


def row(clicks: ClickSignal | None) -> FleetRow:
    findings = (
        Finding(code="blocklist.not_tested", severity=Severity.UNKNOWN, title="SURBL"),
        Finding(code="blocklist.not_tested", severity=Severity.FAIL, title="worse one"),
    )
    report = HostReport(
        host="links.lumen.example",
        expectation=Expectation(esp="sendgrid"),
        findings=findings,
        facts=Facts(
            cname_chain=("links.lumen.example", "sendgrid.net"),
            tls_serial="0A",
            blocklist_verdicts=(("Spamhaus DBL", "listed"),),
        ),
    )
    return FleetRow(
        key="lumen-sg/links.lumen.example",
        host="links.lumen.example",
        brand="Lumen",
        account="lumen-sg",
        esp="sendgrid",
        esp_label="SendGrid",
        report=report,
        clicks=clicks,
    )


def test_a_row_keeps_one_finding_per_code_and_its_observed_values() -> None:
    (host,) = from_fleet([row(ClickSignal(scope=ACCOUNT_SCOPE, summary=summary(Verdict.DROP)))])
    assert [(f.code, f.severity, f.title) for f in host.findings] == [
        ("blocklist.not_tested", Severity.FAIL, "worse one")
    ]
    assert host.observed == {
        "cname_target": "sendgrid.net",
        "tls_serial": "0A",
        "blocklist.Spamhaus DBL": "listed",
        "clicks": "drop",
        "certificate_by_esp": "yes",
    }


def test_no_click_figures_no_click_value_and_pending_rows_are_left_out() -> None:
    (host,) = from_fleet([row(None)])
    assert "clicks" not in host.observed
    pending = FleetRow(
        key="a/b.example", host="b.example", brand="", account="a", esp="", esp_label=""
    )
    assert from_fleet([pending]) == []
