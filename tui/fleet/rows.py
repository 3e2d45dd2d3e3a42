"""The fleet's rows: one per (account, host), pending until the checks and the ESP's view arrive."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from checks.model import Expectation, Facts, Finding, HostReport, Severity
from esp_clients import TrackingDomain
from tui.fleet.clicks import ClickSignal, ClickSummary
from tui.fleet.guess import account_facts
from tui.inventory.model import Inventory

UNLISTED_BRAND = "(not in inventory)"
"""The brand column of a tracking domain an ESP account has and the inventory does not list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RowHistory:
    """What the scan history says of a row, as of its latest recorded scan: since when its worst
    problem has stood, and how it changed in that scan (the dashboard marks a changed row until
    the cursor has been on it)."""

    as_of: dt.datetime
    since: dt.datetime | None = None
    """When the row's worst problem began (None: no problem)."""
    change: str = ""
    """`new`, `worse`, `better` or `resolved` when the latest scan changed the row; "" otherwise."""
    seen: bool = False
    """Whether the user has looked at the change (the cursor was on the row)."""

    @property
    def marked(self) -> bool:
        """A change the user has not looked at yet."""
        return bool(self.change) and not self.seen


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetRow:
    """One (account, host) of the fleet: where it comes from, and what is known so far."""

    key: str
    host: str
    brand: str
    account: str
    esp: str
    esp_label: str
    report: HostReport | None = None
    esp_view: TrackingDomain | None = None
    esp_findings: tuple[Finding, ...] = ()
    untracked: bool = False
    history: RowHistory | None = None
    clicks: ClickSignal | None = None
    """The ESP's click figures for the host's scope, summarised (None: none were read)."""
    click_findings: tuple[Finding, ...] = ()

    @property
    def pending(self) -> bool:
        """Whether the outside checks have not finished yet."""
        return self.report is None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Outside findings, ESP findings and the click signal's findings together."""
        outside = self.report.findings if self.report else ()
        return outside + self.esp_findings + self.click_findings

    @property
    def click_summary(self) -> ClickSummary | None:
        """The click signal's summary (recent and baseline rates, volumes, the test's p-value),
        for the outputs that show it; None where the ESP gave no figures."""
        return None if self.clicks is None else self.clicks.summary

    @property
    def health(self) -> Severity | None:
        """The worst finding, or None while pending."""
        if self.report is None:
            return None
        return Severity.worst(finding.severity for finding in self.findings)

    def merged_report(self) -> HostReport:
        """The row as one HostReport (for JSON and the shared summaries)."""
        base = self.report or HostReport(
            host=self.host, key=self.key, expectation=Expectation(), findings=(), facts=Facts()
        )
        return dataclasses.replace(base, findings=self.findings)


def pending_rows(inventory: Inventory, only_keys: Iterable[str] = ()) -> tuple[FleetRow, ...]:
    """Every inventory row (or those of `only_keys`), pending: what the dashboard shows first."""
    wanted = frozenset(only_keys)
    rows = []
    for entry in inventory.entries:
        key = row_key(entry.account, entry.host)
        if wanted and key not in wanted:
            continue
        account = inventory.account(entry.account)
        label = account_facts(account).label
        rows.append(
            FleetRow(
                key=key,
                host=entry.host,
                brand=entry.brand,
                account=entry.account,
                esp=account.esp,
                esp_label=label,
            )
        )
    return tuple(rows)


def accounts_of(
    rows: Iterable[FleetRow], only_keys: Iterable[str], inventory: Inventory
) -> frozenset[str]:
    """The accounts whose lists a scan of `rows` reads: every account, or a re-check's rows' own."""
    if not frozenset(only_keys):
        return frozenset(account.name for account in inventory.accounts)
    return frozenset(row.account for row in rows)


def row_key(account: str, host: str) -> str:
    """The stable key of a fleet row: one host may sit under two accounts."""
    return f"{account}/{host}"
