"""Headless output of scan results: the compact table with fixes, the versioned JSON, exit codes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from checks.model import HostReport, Severity
from tui.report.summary import SYMBOLS, problems, summarize

JSON_VERSION = 1

EXIT_OK = 0
EXIT_WARN = 1
EXIT_FAIL = 2
EXIT_UNKNOWN = 3
EXIT_USAGE = 64

SEVERITY_STYLE = {
    Severity.FAIL: "bold red",
    Severity.UNKNOWN: "bold magenta",
    Severity.WARN: "yellow",
    Severity.INFO: "cyan",
    Severity.OK: "green",
}


def stdout_console() -> Console:
    """A console for stdout: the terminal's width, or a wide one when piped (no mid-row wrapping
    in files and pagers)."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    return console


def exit_status(reports: Sequence[HostReport]) -> int:
    """2 if anything fails, else 3 if anything is unknown, else 1 for warnings, else 0."""
    worst = Severity.worst(report.health for report in reports)
    return {
        Severity.FAIL: EXIT_FAIL,
        Severity.UNKNOWN: EXIT_UNKNOWN,
        Severity.WARN: EXIT_WARN,
    }.get(worst, EXIT_OK)


def report_json(report: HostReport, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """One domain in the versioned JSON shape."""
    domain: dict[str, object] = {"host": report.host, "esp": report.expectation.esp}
    domain.update(extra or {})
    domain["health"] = report.health.value
    domain["findings"] = [finding.as_json() for finding in report.findings]
    return domain


def write_json(
    reports: Sequence[HostReport],
    stream: TextIO,
    extras: Mapping[str, Mapping[str, object]] | None = None,
) -> None:
    """`{"version": 1, "domains": [...]}` on one document."""
    extras = extras or {}
    document = {
        "version": JSON_VERSION,
        "domains": [
            report_json(report, extras.get(report.key or report.host)) for report in reports
        ],
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def health_text(severity: Severity) -> Text:
    """The health as symbol + word, styled; readable with NO_COLOR too."""
    return Text(f"{SYMBOLS[severity]} {severity.value}", style=SEVERITY_STYLE[severity])


def write_table(
    reports: Sequence[HostReport],
    console: Console,
    *,
    verbose: bool = False,
    origins: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """The compact table, then each host's problems with their fixes; `origins` maps a report's
    key to its (brand, account) for fleet scans, which adds those columns and the ESP view."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    columns = ["host", "ESP", "health", "DNS", "CAA", "TLS", "lists"]
    concerns = ["dns", "caa", "tls", "lists"]
    if origins is not None:
        columns = ["brand", "account", *columns[:-1], "ESP view", "lists"]
        concerns = ["dns", "caa", "tls", "esp", "lists"]
    for column in columns:
        table.add_column(
            column,
            no_wrap=True,
            overflow="ellipsis",
            max_width=None if column in ("host", "health") else 14,
        )
    for report in reports:
        cells = summarize(report)
        row = [
            Text(report.host),
            Text(report.expectation.esp_label or "?"),
            health_text(report.health),
        ]
        if origins is not None:
            brand, account = origins.get(report.key, ("", ""))
            row = [Text(brand), Text(account), *row]
        for concern in concerns:
            cell = cells[concern]
            style = SEVERITY_STYLE[cell.severity] if cell.severity and cell.text else "dim"
            row.append(Text(cell.label(), style=style))
        table.add_row(*row)
    console.print(table)
    for report in reports:
        _write_problems(report, console, verbose=verbose)


def _write_problems(report: HostReport, console: Console, *, verbose: bool) -> None:
    found = problems(report)
    if not found:
        return
    console.print()
    console.print(Text.assemble((report.host, "bold"), " ", health_text(report.health)))
    for finding in found:
        console.print(
            Text.assemble(
                "  ",
                health_text(finding.severity),
                " ",
                (finding.code, "dim"),
                "  ",
                finding.title,
            )
        )
        if finding.detail:
            console.print(f"      {escape(finding.detail)}", highlight=False, soft_wrap=False)
        if finding.fix:
            console.print(Text.assemble("      fix: ", (finding.fix, "bold")), highlight=False)
        if verbose:
            for line in finding.evidence:
                console.print(f"      · {escape(line)}", style="dim", highlight=False)
