"""Four weeks of history for the demo fleet, written before its first real scan is recorded, so that
the demo (and the README's screenshots) show since-when, what changed and the expiry forecast.

Deterministic: each problem the first real scan finds began on a day derived from its host's name
(a click-rate drop, and the signal's verdict, on the day the figures show it);
the blocklist listings began today (so they show as new), and one healthy host had a problem that
resolved a week ago. Before its start a problem's concern was ok. Each past scan carries the daily
click figures the simulated ESPs report up to the day before it, so the history holds the days
before the Lumen account's drop and the details say the day its rate fell.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

from checks.model import Severity
from esp_clients.engagement import ClickSeries
from tui.fleet.clicks import ClickRules, Verdict, summarize_clicks
from tui.history.model import INVENTORY, PROBLEMS, ScanInfo, ScannedHost, SeenFinding, Subject
from tui.history.store import HistoryStore

DAYS = 28
NEW_TODAY = frozenset({"blocklist.listed"})
"""Problems that began after yesterday's scan: the demo's "what changed" shows them as new."""
RESOLVED_HOST = "links.evergreen.example"
RESOLVED = SeenFinding(
    code="dns.not_propagated",
    severity=Severity.WARN,
    title="the resolver still answers the old CNAME (TTL 3600 s left)",
)
CLICK_DROP = "esp.click_rate_drop"
CLICKS_OK = SeenFinding(code="esp.clicks_ok", severity=Severity.OK, title="click rate as usual")
_OK_CODE = {
    "dns": "dns.ok",
    "caa": "caa.ok",
    "tls": "tls.ok",
    "http": "http.ok",
    "blocklist": "blocklist.clean",
    "esp": "esp.ok",
}


def seed(path: Path, hosts: Sequence[ScannedHost], now: dt.datetime) -> bool:
    """Write the past scans into `path` if it holds no scan yet; whether it did."""
    with HistoryStore.open(path) as store:
        if store.last_scan(INVENTORY) is not None:
            return False
        for days_ago in range(DAYS, 0, -1):
            at = (now - dt.timedelta(days=days_ago)).replace(hour=6, minute=0, second=0)
            past = [_as_of(host, days_ago, at.astimezone(dt.UTC).date()) for host in hosts]
            counts = {severity: 0 for severity in Severity}
            for host in past:
                counts[Severity.worst(f.severity for f in host.findings)] += 1
            info = ScanInfo(
                scope=INVENTORY,
                command="demo",
                started_at=at - dt.timedelta(seconds=3),
                finished_at=at,
                counts=counts,
                version="demo history",
            )
            store.record(info, past)
    return True


def began(subject: Subject, code: str) -> int:
    """How many days ago a problem began (0: today, after yesterday's scan)."""
    if code in NEW_TODAY:
        return 0
    digest = hashlib.sha256(f"{subject.host} {code}".encode()).digest()
    return 2 + digest[0] % (DAYS - 4)


def _as_of(host: ScannedHost, days_ago: int, day: dt.date) -> ScannedHost:
    findings: dict[str, SeenFinding] = {}
    clicks = _until(host.clicks, day) if host.clicks else None
    verdict = summarize_clicks(clicks, day, ClickRules()).verdict if clicks else None
    for finding in host.findings:
        if finding.code == CLICK_DROP:  # its start follows from the figures, not from the name
            if verdict is Verdict.DROP:
                findings[finding.code] = finding
            else:
                findings[CLICKS_OK.code] = CLICKS_OK
            continue
        if finding.severity in PROBLEMS and began(host.subject, finding.code) < days_ago:
            ok = _OK_CODE.get(finding.code.split(".", 1)[0])
            if ok is not None:
                findings.setdefault(ok, SeenFinding(code=ok, severity=Severity.OK, title="ok"))
            continue
        findings[finding.code] = finding
    if host.subject.host == RESOLVED_HOST and 7 < days_ago <= 12:
        findings[RESOLVED.code] = RESOLVED
    observed = dict(host.observed)
    for name, value in host.observed.items():
        if name.startswith("blocklist.") and value == "listed" and days_ago >= 1:
            observed[name] = "clean"
    if verdict is not None and "clicks" in observed:
        observed["clicks"] = verdict.value
    return dataclasses.replace(
        host, findings=tuple(findings.values()), observed=observed, clicks=clicks
    )


def _until(series: ClickSeries, day: dt.date) -> ClickSeries | None:
    """The figures as they stood on `day`: its full days before it (None: none yet)."""
    last = min(series.end, day - dt.timedelta(days=1))
    if last < series.start:
        return None
    days = tuple(entry for entry in series.days if entry.day <= last)
    return dataclasses.replace(series, end=last, days=days)
