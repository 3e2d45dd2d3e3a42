"""The `csv` format: one row per finding, RFC 4180 quoting, a header row; a spreadsheet opens it."""

from __future__ import annotations

import csv
from typing import TextIO

from tui.cli.formats.document import ScanDocument
from tui.report.document import utc_text

COLUMNS = (
    "host",
    "brand",
    "account",
    "esp",
    "health",
    "code",
    "severity",
    "title",
    "detail",
    "fix",
)


HISTORY_COLUMNS = ("since", "change")
"""Added when the scan was recorded in the history."""


def write_csv(document: ScanDocument, stream: TextIO) -> None:
    """Every finding of every host, in the scan's order of hosts."""
    writer = csv.writer(stream, lineterminator="\r\n")
    with_history = document.recorded is not None
    writer.writerow(COLUMNS + HISTORY_COLUMNS if with_history else COLUMNS)
    for row in document.rows:
        for finding in row.report.findings:
            history = document.history_of(row, finding.code)
            extra = (utc_text(history.since), history.change.value) if history else ("", "")
            writer.writerow(
                (
                    row.host,
                    row.brand,
                    row.account,
                    row.esp,
                    row.health.value,
                    finding.code,
                    finding.severity.value,
                    finding.title,
                    finding.detail,
                    finding.fix,
                    *(extra if with_history else ()),
                )
            )
