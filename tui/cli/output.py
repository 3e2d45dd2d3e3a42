"""Headless output of scan results: the compact table with fixes, and the versioned JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from checks.model import HostReport, Severity
from tui.report.document import JSON_VERSION, report_json
from tui.report.style import SEVERITY_STYLE, health_text
from tui.report.summary import problems, summarize


def stdout_console() -> Console:
    """A console for stdout: the terminal's width, or a wide one when piped (no mid-row wrapping
    in files and pagers)."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    return console


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


def write_table(
    reports: Sequence[HostReport],
    console: Console,
    *,
    verbose: bool = False,
    origins: Mapping[str, tuple[str, str]] | None = None,
    clicks: Mapping[str, tuple[Severity | None, str]] | None = None,
) -> None:
    """The compact table, then each host's problems with their fixes; `origins` maps a report's
    key to its (brand, account) for fleet scans, which adds those columns and the ESP view;
    `clicks` maps it to its click-signal cell, which adds that column."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    columns = ["host", "ESP", "health", "DNS", "CAA", "TLS", "lists"]
    concerns = ["dns", "caa", "tls", "lists"]
    if origins is not None:
        columns = ["brand", "account", *columns[:-1], "ESP view", "lists"]
        concerns = ["dns", "caa", "tls", "esp", "lists"]
    if clicks is not None:
        columns.append("clicks")
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
        if clicks is not None:
            severity, text = clicks.get(report.key, (None, "–"))
            row.append(Text(text, style=SEVERITY_STYLE[severity] if severity else "dim"))
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
