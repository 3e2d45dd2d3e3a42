"""The `markdown` format: an incident-ticket summary — the counts, then each host that needs
attention (fail, unknown, warn) with its findings and their fixes; renders on GitHub, GitLab, Jira.

What is meant to be copied (hosts, codes, fixes) is in code spans, exact; the rest is escaped text."""

from __future__ import annotations

import re
from typing import TextIO

from checks.model import Severity
from checks.names import unicode_form
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.history.words import history_word
from tui.report.document import utc_text
from tui.report.summary import SYMBOLS, problems

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
ATTENTION = (Severity.FAIL, Severity.UNKNOWN, Severity.WARN)


def text(value: str) -> str:
    """`value` as literal Markdown text on one line: markup characters escaped, breaks as spaces."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def code(value: str) -> str:
    """`value` as an inline code span that no backtick inside it can close."""
    value = " ".join(value.split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def host(name: str) -> str:
    """A host as a code span, its Unicode form beside it when that differs (`xn--` labels)."""
    shown = unicode_form(name)
    return f"{code(name)} ({text(shown)})" if shown else code(name)


def hosts(number: int) -> str:
    """`1 host`, `3 hosts`."""
    return f"{number} host" if number == 1 else f"{number} hosts"


def write_markdown(document: ScanDocument, stream: TextIO) -> None:
    """The summary, then one section per host needing attention, worst first."""
    counts = document.counts()
    stream.write(f"## trackdeck {document.command}: {hosts(len(document.rows))}\n\n")
    tally = " · ".join(
        f"{SYMBOLS[severity]} {counts[severity]} {severity.value}"
        for severity in (*ATTENTION, Severity.INFO, Severity.OK)
        if counts[severity]
    )
    stream.write(f"{tally}\n\n")
    for notice in document.scan_notices:  # the fact behind many rows, before the rows
        stream.write(
            f"> **{SYMBOLS[notice.severity]} {text(notice.title)}**: {text(notice.detail)}\n>\n"
            f"> Fix: {code(notice.fix)}\n\n"
        )
    stream.write(
        f"Scanned {utc_text(document.started_at)} in {document.duration:.1f} s "
        f"by trackdeck {text(document.version)}.\n"
    )
    needing = [row for row in document.rows if row.health in ATTENTION]
    needing.sort(key=lambda row: row.health.rank)
    for row in needing:
        _host_section(row, document, stream)
    if not needing:
        stream.write("\nEvery host is healthy.\n")
    if document.resolved:
        stream.write("\n### Resolved since the previous scan\n\n")
        for item in document.resolved:
            stream.write(
                f"- {host(item.subject.host)} {code(item.code)} {text(item.title)} "
                f"(was {item.severity.value} since {utc_text(item.since)})\n"
            )


def _host_section(row: ResultRow, document: ScanDocument, stream: TextIO) -> None:
    origin = [
        text(part) for part in (row.brand, row.account, row.report.expectation.esp_label) if part
    ]
    stream.write(f"\n### {SYMBOLS[row.health]} {row.health.value}: {host(row.host)}\n\n")
    if origin:
        stream.write(" · ".join(origin) + "\n\n")
    for finding in problems(row.report):
        history = document.history_of(row, finding.code)
        when = f" ({history_word(history, document.finished_at)})" if history else ""
        stream.write(
            f"- **{SYMBOLS[finding.severity]} {finding.severity.value}** {code(finding.code)} "
            f"{text(finding.title)}{when}\n"
        )
        if finding.detail:
            stream.write(f"  - {text(finding.detail)}\n")
        if finding.fix:
            stream.write(f"  - Fix: {code(finding.fix)}\n")
