"""Recording a finished scan in the history, and the outputs' view of what changed: `--no-history`,
`check --record`, `scan --changes` and its exit status."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

from checks.model import Severity
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.history.files import history_path, record_scan
from tui.history.model import Change, ScanInfo, ScannedHost
from tui.inventory.model import Settings
from tui.report.exit_codes import EXIT_FAIL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARN

SHOWN = frozenset({Change.NEW, Change.WORSE, Change.BETTER})


def add_history_options(parser: argparse.ArgumentParser, *, scan: bool) -> None:
    """`--no-history` and `--changes` for `scan` (and `demo`); `--record` for `check`."""
    if scan:
        parser.add_argument(
            "--no-history", action="store_true", help="do not record this scan in the history"
        )
        parser.add_argument(
            "--changes",
            action="store_true",
            help="show only what changed since the previous scan (exit status from the changes)",
        )
    else:
        parser.add_argument(
            "--record",
            action="store_true",
            help="record these hosts in the history (kept apart from the inventory's; the "
            "inventory's [settings] say where and for how long, as for `scan`)",
        )


def remember(
    document: ScanDocument,
    hosts: Sequence[ScannedHost],
    settings: Settings,
    *,
    scope: str,
    resolvers: Sequence[str],
    disabled: bool = False,
) -> ScanDocument:
    """`document` with what the history says of it; a history that cannot be used costs one line
    on standard error and nothing else."""
    path = history_path(settings.history, disabled=disabled)
    if path is None:
        return document
    info = ScanInfo(
        scope=scope,
        command=document.command,
        started_at=document.started_at,
        finished_at=document.finished_at,
        counts=document.counts(),
        version=document.version,
        resolver=", ".join(resolvers) or "system",
    )
    outcome = record_scan(path, info, hosts, keep_days=settings.history_days)
    if isinstance(outcome, Exception):
        print(f"trackdeck {document.command}: history: {outcome}", file=sys.stderr)
        return dataclasses.replace(document, history_problem=str(outcome))
    return dataclasses.replace(document, recorded=outcome)


def changes_only(document: ScanDocument) -> ScanDocument:
    """The hosts with a finding that is new, worse or better than in the previous scan, each with
    only those findings; what resolved stays as it is."""
    rows = []
    for row in document.rows:
        changed = tuple(
            finding
            for finding in row.report.findings
            if _changed(document, row, finding.code, finding.severity)
        )
        if changed:
            report = dataclasses.replace(row.report, findings=changed)
            rows.append(dataclasses.replace(row, report=report))
    return dataclasses.replace(document, rows=tuple(rows))


def changes_status(document: ScanDocument) -> int:
    """From the changes alone: a new or worse failure 2, else unknown 3, else warning 1, else 0."""
    worst = Severity.worst(
        finding.severity
        for row in document.rows
        for finding in row.report.findings
        if (history := document.history_of(row, finding.code))
        and history.change in (Change.NEW, Change.WORSE)
    )
    return {Severity.FAIL: EXIT_FAIL, Severity.UNKNOWN: EXIT_UNKNOWN, Severity.WARN: EXIT_WARN}.get(
        worst, EXIT_OK
    )


def _changed(document: ScanDocument, row: ResultRow, code: str, severity: Severity) -> bool:
    history = document.history_of(row, code)
    if history is None or history.change not in SHOWN:
        return False
    return not (history.change is Change.NEW and severity in (Severity.OK, Severity.INFO))
