"""The `json` format: one versioned document (`docs/schemas/scan.schema.json` describes it)."""

from __future__ import annotations

import json
from typing import TextIO

from checks.model import Finding
from checks.printable import json_safe
from esp_clients import TrackingDomain
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.history.model import Resolved
from tui.report.document import JSON_VERSION, report_json, utc_text


def document_json(document: ScanDocument) -> dict[str, object]:
    """The whole document as JSON-ready values."""
    counts = document.counts()
    return {
        "version": JSON_VERSION,
        "generated_at": utc_text(document.finished_at),
        "trackdeck_version": document.version,
        "command": document.command,
        "scan": {
            "started_at": utc_text(document.started_at),
            "finished_at": utc_text(document.finished_at),
            "duration_seconds": round(document.duration, 3),
            "hosts": len(document.rows),
            "health": {severity.value: counts[severity] for severity in counts},
        },
        "history": _history(document),
        "domains": [_row(row, document) for row in document.rows],
        "resolved": [_resolved(item) for item in document.resolved],
    }


def write_json(document: ScanDocument, stream: TextIO) -> None:
    """The document, indented, on `stream`."""
    stream.write(json_safe(json.dumps(document_json(document), indent=2, ensure_ascii=False)))
    stream.write("\n")


def _row(row: ResultRow, document: ScanDocument) -> dict[str, object]:
    extra: dict[str, object] = {}
    if document.fleet:
        summary = row.clicks.summary if row.clicks else None
        extra = {
            "brand": row.brand,
            "account": row.account,
            "esp_view": _esp_view(row.esp_view),
            "clicks": summary.as_json() if summary else None,
        }
    domain = report_json(row.report, extra)
    domain["findings"] = [_finding(finding, row, document) for finding in row.report.findings]
    return domain


def _finding(finding: Finding, row: ResultRow, document: ScanDocument) -> dict[str, object]:
    """A finding with its history (`since`, `change`: null when no history is kept)."""
    history = document.history_of(row, finding.code)
    return {
        **finding.as_json(),
        "since": utc_text(history.since) if history else None,
        "change": history.change.value if history else None,
    }


def _history(document: ScanDocument) -> dict[str, object] | None:
    """Whether this scan was recorded, and when the previous one was (null: no history kept)."""
    if document.recorded is None and not document.history_problem:
        return None
    previous = document.recorded.previous_at if document.recorded else None
    return {
        "recorded": document.recorded is not None,
        "previous_scan_at": utc_text(previous) if previous else None,
        "problem": document.history_problem or None,
    }


def _resolved(item: Resolved) -> dict[str, object]:
    return {
        "host": item.subject.host,
        "account": item.subject.account,
        "code": item.code,
        "severity": item.severity.value,
        "title": item.title,
        "since": utc_text(item.since),
    }


def _esp_view(view: TrackingDomain | None) -> dict[str, object] | None:
    if view is None:
        return None
    return {
        "verified": view.verified,
        "cname_valid": view.cname_valid,
        "https": view.https,
        "certificate": view.certificate.status,
        "certificate_expires_at": view.certificate.expires_at,
    }
