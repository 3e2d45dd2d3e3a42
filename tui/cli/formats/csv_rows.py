"""The `csv` format: one row per finding, RFC 4180 quoting, a header row; a spreadsheet opens it.

The columns are always the same (`since` and `change` empty when no history is kept, `host_unicode`
empty unless the host is an internationalised name), so a ticket import can map them once. A cell a
spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return
and is not simply a number) is written with a leading `'`, as OWASP advises against CSV injection:
ESP messages and DNS answers reach the detail and title columns."""

from __future__ import annotations

import csv
import re
from typing import TextIO

from checks.names import unicode_form
from tui.cli.formats.document import ScanDocument
from tui.report.document import utc_text

COLUMNS = (
    "host",
    "host_unicode",
    "brand",
    "account",
    "esp",
    "health",
    "code",
    "severity",
    "title",
    "detail",
    "fix",
    "since",
    "change",
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (or, for tab and CR, hide one behind them)."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell(value: str) -> str:
    """`value` as a cell no spreadsheet evaluates: a leading `'` when it could start a formula,
    unless it is plainly a number (`-3`, `+1.5e3`), which stays a number."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(document: ScanDocument, stream: TextIO) -> None:
    """Every finding of every host, in the scan's order of hosts."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in document.rows:
        shown = unicode_form(row.host) or ""
        for finding in row.report.findings:
            history = document.history_of(row, finding.code)
            values = (
                row.host,
                shown,
                row.brand,
                row.account,
                row.esp,
                row.health.value,
                finding.code,
                finding.severity.value,
                finding.title,
                finding.detail,
                finding.fix,
                utc_text(history.since) if history else "",
                history.change.value if history else "",
            )
            writer.writerow([cell(value) for value in values])
