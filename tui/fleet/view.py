"""What the fleet table shows, as pure functions: cells, filtering, sorting, grouping (no Textual)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from checks.model import Severity
from checks.names import display_host
from tui.fleet.clicks import Verdict, percent
from tui.fleet.rows import FleetRow
from tui.report.age import age
from tui.report.summary import SYMBOLS, Cell, summarize

COLUMNS: tuple[tuple[str, str], ...] = (
    ("health", "health"),
    ("since", "since"),
    ("host", "host"),
    ("dns", "DNS"),
    ("caa", "CAA"),
    ("tls", "TLS"),
    ("https", "HTTPS"),
    ("verified", "verified"),
    ("lists", "lists"),
    ("clicks", "clicks"),
    ("esp", "ESP/account"),
    ("brand", "brand"),
)
"""(key, header) of each column, in order: what matters most first, so that an 80-column
terminal shows the health, the host and the DNS, CAA and TLS verdicts without scrolling."""

GROUPS = ("none", "brand", "esp", "account")
PENDING = "… pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewState:
    """How the user wants the table: a filter text, a grouping, a sort column."""

    filter_text: str = ""
    group: str = "none"
    sort: str = "health"
    changed_only: bool = False
    """Only the rows the latest recorded scan changed (`d`)."""


def cells(row: FleetRow) -> dict[str, tuple[Severity | None, str]]:
    """Each column's (severity for colour, text) for one row."""
    values: dict[str, tuple[Severity | None, str]] = {
        "since": since_cell(row),
        "host": (None, display_host(row.host)),
        "brand": (None, row.brand),
        "esp": (None, f"{row.esp_label}/{row.account}"),
    }
    health = row.health
    if health is None or row.report is None:
        values["health"] = (None, PENDING)
        for key in ("dns", "caa", "tls", "https", "verified", "lists", "clicks"):
            values[key] = (None, "")
        return values
    values["health"] = (health, f"{SYMBOLS[health]} {health.value}")
    summary = summarize(row.merged_report())
    for key in ("dns", "caa", "tls", "lists"):
        values[key] = _cell(summary[key])
    values["https"], values["verified"] = esp_cells(row)
    values["clicks"] = clicks_cell(row)
    return values


def since_cell(row: FleetRow) -> tuple[Severity | None, str]:
    """`◆ new` (a change not looked at yet), `3d` (how long the worst problem has stood), or empty
    (no history, or nothing wrong)."""
    history = row.history
    if history is None:
        return (None, "")
    if history.change:
        severity = Severity.OK if history.change in ("better", "resolved") else row.health
        return (severity, f"◆ {history.change}" if history.marked else history.change)
    if history.since is None:
        return (None, "")
    return (None, age(history.since, history.as_of))


ARROW_STEP = 0.15
"""How far the recent click rate must differ from the usual one for the arrow to turn."""


def clicks_cell(row: FleetRow) -> tuple[Severity | None, str]:
    """The recent click rate with an arrow against the usual one (↓ → ↑); `! off` when the ESP
    does not track clicks, `i` before a rate too thin to judge, `–` where there are no figures."""
    codes = {finding.code for finding in row.click_findings}
    signal = row.clicks
    if "esp.clicks_unknown" in codes:
        return Severity.UNKNOWN, "? unknown"
    if signal is None or signal.summary is None:
        return None, "–"
    if signal.tracking_off:
        return Severity.WARN, "! off"
    summary = signal.summary
    rate = percent(summary.recent_rate)
    if summary.verdict is Verdict.TOO_LITTLE or summary.rate_change is None:
        return (Severity.INFO, f"i {rate}") if summary.recent_rate is not None else (None, "–")
    change = summary.rate_change
    arrow = "↓" if change <= -ARROW_STEP else "↑" if change >= ARROW_STEP else "→"
    return (Severity.WARN if summary.verdict is Verdict.DROP else None), f"{arrow} {rate}"


def _cell(cell: Cell) -> tuple[Severity | None, str]:
    return (cell.severity, cell.label())


def esp_cells(row: FleetRow) -> tuple[tuple[Severity | None, str], tuple[Severity | None, str]]:
    """The HTTPS-at-the-ESP and ESP-verification cells."""
    codes = {finding.code: finding for finding in row.esp_findings}
    unknown = next(
        (
            f
            for f in row.esp_findings
            if f.severity is Severity.UNKNOWN and f.code.startswith("esp.")
        ),
        None,
    )
    if "esp.no_api" in codes:
        return (None, "DNS only"), (None, "DNS only")
    if unknown is not None:
        return (Severity.UNKNOWN, "? unknown"), (Severity.UNKNOWN, "? unknown")
    if "esp.not_found" in codes:
        return (Severity.FAIL, "✗ absent"), (Severity.FAIL, "✗ absent")
    view = row.esp_view
    https_finding = codes.get("esp.https_off") or codes.get("esp.cert_problem")
    if https_finding is not None:
        state = "off" if https_finding.code == "esp.https_off" else _cert_word(view)
        https: tuple[Severity | None, str] = (
            https_finding.severity,
            f"{SYMBOLS[https_finding.severity]} {state}",
        )
    elif view is not None and view.https is not None:
        https = (Severity.OK, "✓ on") if view.https else (Severity.INFO, "i off")
    else:
        https = (None, "")
    verified: tuple[Severity | None, str] = (None, "")
    if "esp.not_verified" in codes:
        verified = (Severity.FAIL, "✗ no")
    elif "esp.ok" in codes or (view is not None and view.verified):
        verified = (Severity.OK, "✓ yes")
    return https, verified


def _cert_word(view: object) -> str:
    status = getattr(getattr(view, "certificate", None), "status", "")
    return f"cert {status}" if status else "cert"


def matches(row: FleetRow, filter_text: str) -> bool:
    """Whether a row passes the filter: every word must match the host, brand, ESP, account, a
    finding code or the health (``fail``, ``unknown``, ``pending`` …)."""
    words = filter_text.lower().split()
    if not words:
        return True
    health = row.health.value if row.health is not None else "pending"
    haystack = [row.host, row.brand.lower(), row.esp, row.esp_label.lower(), row.account, health]
    haystack += [finding.code for finding in row.findings if finding.severity is not Severity.OK]
    return all(any(word in item for item in haystack) for word in words)


def sort_key(row: FleetRow, column: str) -> tuple[object, ...]:
    """Sort key for a column; health sorts worst first, pending last."""
    rank = row.health.rank if row.health is not None else 9
    if column == "health":
        return (rank, row.brand, row.host)
    values = cells(row)
    severity = values[column][0] if column in values else None
    text = values[column][1] if column in values else ""
    severity_rank = severity.rank if severity is not None else 9
    if column in ("host", "brand", "esp"):
        return (text.lower(), rank)
    if column == "since":  # changes first, then the most recent problems
        history = row.history
        changed = 0 if history and history.change else 1
        recent = -history.since.timestamp() if history and history.since else float("inf")
        return (changed, recent, rank, row.host)
    return (severity_rank, text, row.host)


def group_of(row: FleetRow, group: str) -> str:
    """The group label of a row."""
    return {"brand": row.brand, "esp": row.esp_label, "account": row.account}.get(group, "")


def arrange(rows: Iterable[FleetRow], view: ViewState) -> list[tuple[str, list[FleetRow]]]:
    """Filtered rows, sorted, in (group label, rows) sections; one unnamed section without grouping."""
    kept = sorted(
        (
            row
            for row in rows
            if matches(row, view.filter_text)
            and (not view.changed_only or (row.history is not None and bool(row.history.change)))
        ),
        key=lambda row: sort_key(row, view.sort),
    )
    if view.group == "none":
        return [("", kept)]
    sections: dict[str, list[FleetRow]] = {}
    for row in sorted(kept, key=lambda row: group_of(row, view.group).lower()):
        sections.setdefault(group_of(row, view.group), []).append(row)
    return list(sections.items())


def counts(rows: Iterable[FleetRow]) -> dict[str, int]:
    """How many rows are fail / unknown / warn / ok (info counts as ok) / pending."""
    tally = dict.fromkeys(TALLIES, 0)
    for row in rows:
        tally[tally_of(row)] += 1
    return tally


TALLIES = ("fail", "unknown", "warn", "ok", "pending")


def tally_of(row: FleetRow) -> str:
    """Which of `TALLIES` a row counts in."""
    health = row.health
    if health is None:
        return "pending"
    if health in (Severity.OK, Severity.INFO):
        return "ok"
    return str(health.value)
