"""What every output format writes: one row per checked host (with where it comes from and what its
ESP says), and the scan around them (when, how long, which trackdeck)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from checks.model import Finding, HostReport, Severity
from checks.printable import printable
from esp_clients import TrackingDomain
from tui.fleet.clicks import ClickSignal
from tui.fleet.rows import FleetRow
from tui.fleet.view import clicks_cell
from tui.history.model import CHECK, INVENTORY, FindingHistory, Recorded, Resolved, Subject
from tui.report.document import trackdeck_version
from tui.report.summary import SCAN_NOTICES


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRow:
    """One host's outcome: its report (outside and ESP findings together) and its origin."""

    report: HostReport
    brand: str = ""
    account: str = ""
    esp_view: TrackingDomain | None = None
    clicks: ClickSignal | None = None
    """The ESP's click figures for the host's scope (fleet scans; None: none were read)."""
    clicks_cell: tuple[Severity | None, str] = (None, "–")

    @property
    def host(self) -> str:
        """The tracking host."""
        return self.report.host

    @property
    def esp(self) -> str:
        """The ESP's name (`sendgrid`, `mailgun-eu` …), empty when not known."""
        return self.report.expectation.esp or ""

    @property
    def health(self) -> Severity:
        """The worst finding."""
        return self.report.health

    def subject(self, *, fleet: bool) -> Subject:
        """The row as the history store names it."""
        return Subject(INVENTORY if fleet else CHECK, self.account, self.host)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanDocument:
    """A finished scan, as every format sees it."""

    command: str
    rows: tuple[ResultRow, ...]
    started_at: dt.datetime
    finished_at: dt.datetime
    version: str = field(default_factory=trackdeck_version)
    fleet: bool = False
    """Whether rows come from an inventory (brand and account columns) or from `check`."""
    recorded: Recorded | None = None
    """What the history store said when the scan was recorded (None: no history kept)."""
    history_problem: str = ""
    """Why the scan could not be recorded, when it could not (the scan's results stand)."""

    @property
    def duration(self) -> float:
        """Seconds from start to finish."""
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    def history_of(self, row: ResultRow, code: str) -> FindingHistory | None:
        """Since when, and how it changed: one finding of one row, when history is kept."""
        if self.recorded is None:
            return None
        return self.recorded.of(row.subject(fleet=self.fleet), code)

    @property
    def scan_notices(self) -> tuple[Finding, ...]:
        """Findings about the scan itself, not its host (a resolver that stopped answering): each
        is said once, on one row, and the formats people read show it first as well."""
        found: dict[tuple[str, str], Finding] = {}
        for row in self.rows:
            for finding in row.report.findings:
                if finding.code in SCAN_NOTICES:
                    found.setdefault((finding.code, finding.title), finding)
        return tuple(found.values())

    @property
    def resolved(self) -> tuple[Resolved, ...]:
        """The problems gone since the previous scan."""
        return self.recorded.resolved if self.recorded else ()

    def counts(self) -> Mapping[Severity, int]:
        """Hosts per health, every severity present (zeros included)."""
        tally = dict.fromkeys(Severity, 0)
        for row in self.rows:
            tally[row.health] += 1
        return tally


def from_reports(
    command: str, reports: Iterable[HostReport], started_at: dt.datetime, finished_at: dt.datetime
) -> ScanDocument:
    """`check`'s hosts, with no inventory behind them."""
    rows = tuple(ResultRow(report=report) for report in reports)
    return ScanDocument(command=command, rows=rows, started_at=started_at, finished_at=finished_at)


def from_fleet(
    command: str, rows: Iterable[FleetRow], started_at: dt.datetime, finished_at: dt.datetime
) -> ScanDocument:
    """An inventory's rows, each merged with its ESP's view."""
    results = tuple(
        ResultRow(
            report=row.merged_report(),
            brand=printable(row.brand),
            account=row.account,
            esp_view=row.esp_view,
            clicks=row.clicks,
            clicks_cell=clicks_cell(row),
        )
        for row in rows
    )
    return ScanDocument(
        command=command, rows=results, started_at=started_at, finished_at=finished_at, fleet=True
    )
