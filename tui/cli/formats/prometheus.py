"""The `prometheus` format: the text exposition format, for node_exporter's textfile collector or a
Pushgateway. Names and labels follow Prometheus's naming conventions; every gauge of one metric has
the same label names.

`trackdeck_host_health` is 0 ok (or informational only), 1 warn, 2 unknown, 3 fail.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from checks.model import Severity
from tui.cli.formats.document import ResultRow, ScanDocument

HEALTH_VALUE = {
    Severity.OK: 0,
    Severity.INFO: 0,
    Severity.WARN: 1,
    Severity.UNKNOWN: 2,
    Severity.FAIL: 3,
}

HOST_LABELS = ("host", "brand", "account", "esp")


@dataclass(slots=True)
class Metric:
    """One metric family: its help text and its samples (labels, value)."""

    name: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        """One sample."""
        self.samples.append((labels, value))

    def lines(self) -> Iterator[str]:
        """HELP, TYPE, then one line per sample."""
        yield f"# HELP {self.name} {_help(self.help)}"
        yield f"# TYPE {self.name} gauge"
        for labels, value in self.samples:
            yield f"{self.name}{_labels(labels)} {_number(value)}"


def metrics(document: ScanDocument) -> list[Metric]:
    """Every metric family of the document, in a fixed order."""
    health = Metric(
        "trackdeck_host_health",
        "Health of a tracking host: 0 ok, 1 warn, 2 unknown, 3 fail.",
    )
    finding = Metric(
        "trackdeck_finding",
        "Findings that are not ok, by code and severity (2: two lists untested, say).",
    )
    expiry = Metric(
        "trackdeck_tls_certificate_expiry_timestamp_seconds",
        "When the certificate served for the host expires (Unix time).",
    )
    listed = Metric(
        "trackdeck_blocklist_listed",
        "1 if the URI blocklist lists the host, 0 if it answered clean (untested lists are absent).",
    )
    https = Metric(
        "trackdeck_esp_https_enabled",
        "1 if the ESP sends the host's links over HTTPS, 0 if over plain HTTP (absent: not reported).",
    )
    for row in document.rows:
        host = _host_labels(row)
        health.add(HEALTH_VALUE[row.health], **host)
        problems = Counter(
            (item.code, item.severity.value)
            for item in row.report.findings
            if item.severity not in (Severity.OK, Severity.INFO)
        )
        for (code, severity), count in problems.items():
            finding.add(count, **host, code=code, severity=severity)
        not_after = _timestamp(row.report.facts.tls_not_after)
        if not_after is not None:
            expiry.add(not_after, **host)
        for list_name, status in row.report.facts.blocklist_verdicts:
            if status in ("listed", "clean"):
                listed.add(1 if status == "listed" else 0, **host, list=list_name)
        if row.esp_view is not None and row.esp_view.https is not None:
            https.add(1 if row.esp_view.https else 0, **host)
    return [
        health,
        finding,
        expiry,
        listed,
        https,
        _click_rates(document),
        *_scan_metrics(document),
    ]


def _click_rates(document: ScanDocument) -> Metric:
    """Each account's (or sending domain's) unique-click rate, recent and usual, once per scope."""
    rates = Metric(
        "trackdeck_esp_click_rate",
        "Unique clicks per delivered message, as the ESP counts them: the recent window and the "
        "28 days before it (the baseline).",
    )
    seen: set[tuple[str, str]] = set()
    for row in document.rows:
        signal = row.clicks
        if signal is None or signal.summary is None or (row.account, signal.scope.key) in seen:
            continue
        seen.add((row.account, signal.scope.key))
        for window, rate in (
            ("recent", signal.summary.recent_rate),
            ("baseline", signal.summary.baseline_rate),
        ):
            if rate is not None:
                rates.add(rate, account=row.account, scope=signal.scope.key, window=window)
    return rates


def _scan_metrics(document: ScanDocument) -> list[Metric]:
    duration = Metric("trackdeck_scan_duration_seconds", "How long the scan took.")
    duration.add(document.duration, command=document.command)
    finished = Metric("trackdeck_scan_timestamp_seconds", "When the scan finished (Unix time).")
    finished.add(document.finished_at.timestamp(), command=document.command)
    hosts = Metric("trackdeck_scan_hosts", "Hosts scanned, by health.")
    for severity, count in document.counts().items():
        hosts.add(count, command=document.command, health=severity.value)
    info = Metric("trackdeck_build_info", "The trackdeck version that wrote these metrics.")
    info.add(1, version=document.version)
    return [duration, finished, hosts, info]


def write_prometheus(document: ScanDocument, stream: TextIO) -> None:
    """The exposition text, ending with a newline as the format requires."""
    for metric in metrics(document):
        for line in metric.lines():
            stream.write(line + "\n")


def _host_labels(row: ResultRow) -> dict[str, str]:
    return {"host": row.host, "brand": row.brand, "account": row.account, "esp": row.esp}


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    pairs = ",".join(f'{name}="{_escape(value)}"' for name, value in labels.items())
    return "{" + pairs + "}"


def _escape(value: str) -> str:
    """A label value: backslash, double quote and line feed escaped, as the format requires."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help(text: str) -> str:
    """A HELP text: backslash and line feed escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _timestamp(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()
