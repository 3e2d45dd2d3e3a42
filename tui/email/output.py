"""Headless output of an email audit: the message and its tracking verdict, the domain table, the
tracked links with their destinations, the findings with fixes; or one versioned JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from checks.model import Finding, Severity
from checks.names import display_host, unicode_form
from tui.email.model import ROLE_WORDS, SHARED, TRACKED_ROLES, TRACKING, DomainRow, EmailAudit, Link
from tui.email.words import describe
from tui.report.exit_codes import EXIT_FAIL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARN
from tui.report.style import SEVERITY_STYLE as STYLE
from tui.report.style import health_text
from tui.report.summary import SYMBOLS, problems, summarize

LINKS_SHOWN: Final = 8
_VERDICTS: Final = {
    "branded": (Severity.OK, "branded"),
    "mixed": (Severity.WARN, "mixed"),
    "shared": (Severity.WARN, "shared only"),
    "none": (None, "no tracking"),
}


def exit_status(audit: EmailAudit) -> int:
    """The statuses of `check`: 2 failures, 3 unknowns only, 1 warnings, 0 ok or info."""
    return {
        Severity.FAIL: EXIT_FAIL,
        Severity.UNKNOWN: EXIT_UNKNOWN,
        Severity.WARN: EXIT_WARN,
    }.get(audit.health, EXIT_OK)


def write_report(audit: EmailAudit, console: Console, *, verbose: bool = False) -> None:
    """The whole report: header, domain table, findings with their fixes, tracked links."""
    _write_header(audit, console)
    console.print()
    console.print(domain_table(audit.domains))
    if any(row.behind for row in audit.domains):
        console.print(Text("(+N): tracked links that lead to this host", style="dim"))
    _write_findings(audit, console, verbose=verbose)
    _write_links(audit.links, console, verbose=verbose)


def _write_header(audit: EmailAudit, console: Console) -> None:
    message = audit.message
    rows: list[tuple[str, Text]] = []
    if message.kind == "html":
        rows.append(("File", Text(f"{audit.source} (HTML, no headers)")))
    else:
        rows.append(("From", Text(message.from_header or "(none)")))
    rows += [
        ("Subject", Text(message.subject or "(none)")),
        ("Sender", Text(sender_domains(audit))),
        ("Tracking", tracking_line(audit)),
        ("Health", health_text(audit.health)),
    ]
    rows += [("Note", Text(note, style="dim")) for note in message.notes]
    for label, value in rows:
        _print(console, hanging(Text.assemble((f"{label:<10}", "bold"), value), console, 10))


def hanging(text: Text, console: Console, indent: int) -> Text:
    """`text` wrapped to the console's width, every line after the first indented by `indent`."""
    lines = text.wrap(console, max(20, console.width - indent))
    result = Text()
    for number, line in enumerate(lines):
        line.rstrip()
        if number:
            result.append("\n" + " " * indent)
        result.append_text(line)
    return result


def block(text: Text, console: Console, indent: int = 6) -> Text:
    """`text` wrapped to the console's width, every line indented by `indent`."""
    lines = text.wrap(console, max(20, console.width - indent))
    result = Text()
    for number, line in enumerate(lines):
        line.rstrip()
        result.append(("\n" if number else "") + " " * indent)
        result.append_text(line)
    return result


def _print(console: Console, text: Text) -> None:
    """Print already-wrapped text as it is (no second wrapping, no trailing padding)."""
    console.print(text, soft_wrap=True, highlight=False)


def sender_domains(audit: EmailAudit) -> str:
    """The authentication-relevant domains: From, DKIM d= and Return-Path."""
    message = audit.message
    if message.kind == "html":
        return "unknown: an HTML file has no From, DKIM or Return-Path"
    parts = [
        f"From {message.from_domain or '(none)'}",
        f"DKIM d={', '.join(message.dkim_domains) or '(unsigned)'}",
        f"Return-Path {message.return_path_domain or '(none)'}",
    ]
    return " · ".join(parts)


def tracking_line(audit: EmailAudit) -> Text:
    """Whether the branded tracking domain is used for every tracked URL, in one line."""
    use = audit.tracking
    severity, word = _VERDICTS[use.verdict]
    tracked = [link for link in audit.links if link.role in TRACKED_ROLES]
    branded = [link for link in tracked if link.role == TRACKING]
    shared = [link for link in tracked if link.role == SHARED]
    branded_hosts = ", ".join(map(display_host, use.branded))
    shared_hosts = ", ".join(map(display_host, use.shared))
    if use.verdict == "branded":
        text = f"every tracked URL ({describe(tracked)}) uses {branded_hosts}"
    elif use.verdict == "mixed":
        text = (
            f"{describe(branded)} via {branded_hosts}; "
            f"{describe(shared)} via the shared {shared_hosts}"
        )
    elif use.verdict == "shared":
        text = f"{describe(shared)} via the ESP's shared {shared_hosts}"
    else:
        text = f"no click tracking: {use.clicks} links go straight to their destination"
    if use.untracked:
        text += f"; {use.untracked} of {use.clicks} links skipped tracking"
    mark = f"{SYMBOLS[severity]} {word}" if severity else f"– {word}"
    return Text.assemble((mark, STYLE[severity] if severity else "dim"), " — ", text)


def role_text(row: DomainRow) -> str:
    """The role in words, with the ESP (and brand) of a tracking host."""
    role = row.role
    if role.role == TRACKING:
        owner = f" · {role.brand}" if role.brand else " · not in inventory"
        return f"branded · {role.esp_label or '?'}{owner}"
    if role.role == SHARED:
        return f"shared · {role.esp_label}"
    return ROLE_WORDS[role.role]


def count_text(row: DomainRow) -> str:
    """How often the host appears, and (+N) how many tracked links lead to it."""
    shown = str(row.urls) if row.urls else "–"
    return f"{shown} (+{row.behind})" if row.behind else shown


def domain_table(rows: Sequence[DomainRow]) -> Table:
    """One row per host (its Unicode form beside an A-label): role, counts, blocklists, and the
    outside check of tracking hosts."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold", box=box.SIMPLE_HEAD)
    table.add_column("host", no_wrap=True, overflow="ellipsis", min_width=16)
    table.add_column("role", no_wrap=True, overflow="ellipsis", min_width=12, max_width=42)
    table.add_column("URLs", no_wrap=True, justify="right", min_width=4)
    table.add_column("verdict", no_wrap=True, overflow="ellipsis", min_width=14)
    for row in rows:
        table.add_row(
            Text(display_host(row.host)),
            Text(role_text(row)),
            Text(count_text(row)),
            verdict_cell(row),
        )
    return table


def verdict_cell(row: DomainRow) -> Text:
    """The URI blocklists' verdict; for a custom tracking host, the worst of its whole check."""
    if row.report is not None:
        return check_cell(row)
    return lists_cell(row)


def lists_cell(row: DomainRow) -> Text:
    """Listed, not tested, clean, or not asked (lists switched off): never silently clean."""
    cells = {
        "listed": (Severity.FAIL, "LISTED"),
        "not_tested": (Severity.UNKNOWN, "not tested"),
        "clean": (Severity.OK, "clean"),
    }
    if row.lists not in cells:
        return Text("– lists not asked", style="dim")
    severity, word = cells[row.lists]
    return Text(f"{SYMBOLS[severity]} {word}", style=STYLE[severity])


def check_cell(row: DomainRow) -> Text:
    """The worst concern of a custom tracking host's outside check (DNS, CAA, TLS, lists)."""
    if row.report is None:
        return Text("")
    cells = summarize(row.report)
    found = [(key, cells[key]) for key in ("dns", "caa", "tls", "lists") if cells[key].severity]
    if not found:
        return Text("– not checked", style="dim")
    key, worst = min(found, key=lambda item: item[1].severity.rank if item[1].severity else 9)
    severity = worst.severity or Severity.OK
    if severity is Severity.OK:
        return Text(f"{SYMBOLS[severity]} ok", style=STYLE[severity])
    return Text(f"{SYMBOLS[severity]} {key.upper()} {worst.text}", style=STYLE[severity])


def shorten(url: str, width: int = 64) -> str:
    """`url` cut in the middle to `width` characters."""
    if len(url) <= width:
        return url
    head = width * 2 // 3
    return f"{url[:head]}…{url[-(width - head - 1) :]}"


def _write_links(links: Sequence[Link], console: Console, *, verbose: bool) -> None:
    """Each distinct tracked link beside its destination, or why the destination is unknown."""
    tracked = {
        link.found.url: link for link in links if link.role in TRACKED_ROLES and link.is_click
    }
    if not tracked:
        return
    console.print()
    console.print(Text(f"Tracked links → destination ({len(tracked)})", style="bold"))
    shown = list(tracked.values()) if verbose else list(tracked.values())[:LINKS_SHOWN]
    for link in shown:
        target = (
            Text(f"→ {link.destination}", style="green")
            if link.destination
            else Text(link.decoding, style="dim")
        )
        console.print(Text.assemble("  ", shorten(link.found.url)), highlight=False)
        _print(console, block(target, console))
    if len(shown) < len(tracked):
        console.print(
            Text(f"  … {len(tracked) - len(shown)} more (-v or --json shows all)", style="dim")
        )


def _write_findings(audit: EmailAudit, console: Console, *, verbose: bool) -> None:
    found = [finding for finding in audit.findings if finding.severity is not Severity.OK]
    grouped = host_problems(audit.domains)
    if not found and not grouped:
        return
    console.print()
    console.print(Text("Findings", style="bold"))
    for finding in found:
        _write_finding(finding, console, verbose=verbose)
    for subject, finding in grouped:
        console.print()
        console.print(Text(subject, style="bold"))
        _write_finding(finding, console, verbose=verbose)


def host_problems(rows: Sequence[DomainRow]) -> list[tuple[str, Finding]]:
    """Each host's problems; the same untested list for many hosts is said once, naming them."""
    items: list[tuple[str, Finding]] = []
    untested: dict[tuple[str, str], list[str]] = {}
    samples: dict[tuple[str, str], Finding] = {}
    for row in rows:
        for finding in problems(row.report) if row.report else _worst_first(row.findings):
            if finding.code == "blocklist.not_tested":
                key = (finding.title, finding.fix)
                untested.setdefault(key, []).append(display_host(row.host))
                samples.setdefault(key, finding)
            else:
                items.append((host_subject(row), finding))
    for key, hosts in untested.items():
        shown = ", ".join(hosts[:6]) + (f" and {len(hosts) - 6} more" if len(hosts) > 6 else "")
        items.append((shown, samples[key]))
    return items


def host_subject(row: DomainRow) -> str:
    """`links.xn--strae-oqa.de (links.straße.de, branded tracking)`: the host, its Unicode form
    where it differs, and its role."""
    shown = unicode_form(row.host)
    role = ROLE_WORDS[row.role.role]
    return f"{row.host} ({shown}, {role})" if shown else f"{row.host} ({role})"


def _worst_first(findings: Sequence[Finding]) -> list[Finding]:
    kept = [finding for finding in findings if finding.severity is not Severity.OK]
    return sorted(kept, key=lambda finding: finding.severity.rank)


def _write_finding(finding: Finding, console: Console, *, verbose: bool) -> None:
    head = Text.assemble(
        "  ", health_text(finding.severity), " ", (finding.code, "dim"), "  ", finding.title
    )
    _print(console, hanging(head, console, 6))
    if finding.detail:
        _print(console, block(Text(finding.detail), console))
    if finding.fix:
        _print(console, block(Text.assemble("fix: ", (finding.fix, "bold")), console))
    if verbose:
        for line in finding.evidence:
            _print(console, block(Text(f"· {line}", style="dim"), console))
