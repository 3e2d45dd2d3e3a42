"""The `table` format: one line per host with a verdict per concern, then each host's problems and
their fixes (`-v`: the evidence too)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from checks.names import display_host
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.history.words import history_word
from tui.report.age import age
from tui.report.style import SEVERITY_STYLE, health_text
from tui.report.summary import SYMBOLS, problems, summarize


def stdout_console() -> Console:
    """A console for stdout: the terminal's width, or a wide one when piped (no mid-row wrapping
    in files and pagers)."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    return console


def write_table(document: ScanDocument, console: Console, *, verbose: bool = False) -> None:
    """The compact table, then each host's problems with their fixes; a fleet scan adds the brand,
    account and ESP-view columns."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    columns = ["host", "ESP", "health", "DNS", "CAA", "TLS", "lists"]
    concerns = ["dns", "caa", "tls", "lists"]
    if document.fleet:
        columns = ["brand", "account", *columns[:-1], "ESP view", "lists"]
        concerns = ["dns", "caa", "tls", "esp", "lists"]
    if document.fleet:
        columns.append("clicks")
    for column in columns:
        table.add_column(
            column,
            no_wrap=True,
            overflow="ellipsis",
            max_width=None if column in ("host", "health") else 14,
        )
    for result in document.rows:
        report = result.report
        cells = summarize(report)
        row = [
            Text(display_host(report.host)),
            Text(report.expectation.esp_label or "?"),
            health_text(report.health),
        ]
        if document.fleet:
            row = [Text(result.brand), Text(result.account), *row]
        for concern in concerns:
            cell = cells[concern]
            style = SEVERITY_STYLE[cell.severity] if cell.severity and cell.text else "dim"
            row.append(Text(cell.label(), style=style))
        if document.fleet:
            severity, text = result.clicks_cell
            row.append(Text(text, style=SEVERITY_STYLE[severity] if severity else "dim"))
        table.add_row(*row)
    for notice in document.scan_notices:  # the fact behind many rows, before the rows
        style = f"bold {SEVERITY_STYLE[notice.severity]}"
        console.print(
            Text.assemble(
                (f"{SYMBOLS[notice.severity]} {notice.title}", style), f": {notice.detail}"
            ),
            highlight=False,
        )
        console.print(Text(f"  fix: {notice.fix}"), highlight=False)
        console.print()
    console.print(table)
    for result in document.rows:
        _write_problems(result, document, console, verbose=verbose)
    if document.resolved:
        console.print()
        console.print(Text("Resolved since the previous scan", style="bold"))
        for item in document.resolved:
            console.print(
                Text.assemble(
                    "  ✓ ",
                    (item.subject.host, "bold"),
                    " ",
                    (item.code, "dim"),
                    f"  {item.title} (was {item.severity.value} for "
                    f"{age(item.since, document.finished_at)})",
                ),
                highlight=False,
            )


def _write_problems(
    result: ResultRow, document: ScanDocument, console: Console, *, verbose: bool
) -> None:
    report = result.report
    found = problems(report)
    if not found:
        return
    console.print()
    console.print(
        Text.assemble((display_host(report.host), "bold"), " ", health_text(report.health))
    )
    for finding in found:
        console.print(
            Text.assemble(
                "  ",
                health_text(finding.severity),
                " ",
                (finding.code, "dim"),
                "  ",
                finding.title,
                _history_note(document, result, finding.code),
            )
        )
        if finding.detail:
            console.print(f"      {escape(finding.detail)}", highlight=False, soft_wrap=False)
        if finding.fix:
            console.print(Text.assemble("      fix: ", (finding.fix, "bold")), highlight=False)
        if verbose:
            for line in finding.evidence:
                console.print(f"      · {escape(line)}", style="dim", highlight=False)


def _history_note(document: ScanDocument, result: ResultRow, code: str) -> Text:
    history = document.history_of(result, code)
    if history is None:
        return Text("")
    return Text(f"  ({history_word(history, document.finished_at)})", style="dim")
