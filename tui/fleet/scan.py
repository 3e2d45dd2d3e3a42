"""The fleet scan: every inventory host's outside checks merged with its ESP's own view of it.

The check engine starts on every host at once; meanwhile each API account's list is fetched once (in
parallel, on worker threads) and handed to the scan as it arrives. Each host's expectation is built
from its ESP's facts, the inventory's `expect_target` and what the ESP's API expects
(`tui.fleet.guess`); the engine streams one row per (account, host). After its list, each account's
click figures are read with the same client, once per scope (`tui.fleet.click_reads`): the outside
checks do not wait for them, only the account's rows do, to carry their click signal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from checks.model import Expectation, Finding, HostReport, Severity
from esp_clients.engagement import ClickSeries
from tui.fleet.account_reads import AccountReads
from tui.fleet.click_findings import click_evidence, click_findings, click_signal
from tui.fleet.click_reads import AccountClicks
from tui.fleet.clicks import ClickRules, ClickSignal, Verdict, summarize_clicks
from tui.fleet.esp_accounts import ClientFactory, default_client_factory
from tui.fleet.esp_view import EspAccountView, esp_findings, untracked_finding
from tui.fleet.guess import FleetGuess
from tui.fleet.rows import UNLISTED_BRAND, FleetRow, accounts_of, pending_rows, row_key
from tui.inventory.credentials import SecretSource
from tui.inventory.model import Account, Inventory, SharedHost, TrackingEntry

if TYPE_CHECKING:
    from checks.context import CheckContext
    from checks.engine import Scan, Target


class FleetScan:
    """One scan of the whole inventory; `rows()` lists them pending, `run()` streams them checked."""

    def __init__(
        self,
        inventory: Inventory,
        ctx: CheckContext,
        store: SecretSource,
        *,
        client_factory: ClientFactory | None = None,
        concurrency: int = 32,
        only_keys: Sequence[str] = (),
        click_rules: ClickRules | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.inventory = inventory
        self.ctx = ctx
        self.store = store
        self.client_factory = client_factory or default_client_factory(ca_bundle=ctx.ca_bundle)
        self.concurrency = concurrency
        self.only_keys = frozenset(only_keys)
        self.views: dict[str, EspAccountView] = {}
        self.clicks: dict[str, AccountClicks] = {}
        self._signals: dict[tuple[str, str], tuple[ClickSignal | None, tuple[str, ...]]] = {}
        """Each scope's signal and evidence, worked out for its first row (the rows of a scope
        share them; only the rows' own findings differ)."""
        self.click_rules = click_rules or ClickRules.of(inventory.settings)
        self.today = today or ctx.clock().astimezone(dt.UTC).date()
        """The scan's day (UTC): the click signal's windows end the day before."""
        self._scan: Scan | None = None
        self._guess: FleetGuess | None = None
        self._cancelled = False
        self._entry_index: dict[tuple[str, str], TrackingEntry] | None = None
        self._ready: dict[str, threading.Event] = {}
        self._rows: tuple[FleetRow, ...] | None = None
        self._fetch_error: Exception | None = None
        self._shared_hosts: dict[str, SharedHost] | None = None

    def rows(self) -> tuple[FleetRow, ...]:
        """Every inventory row, pending: shown before any I/O starts (built once per scan)."""
        if self._rows is None:
            self._rows = pending_rows(self.inventory, self.only_keys)
        return self._rows

    @property
    def cancelled(self) -> bool:
        """Whether `cancel()` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop the scan at the next host (hosts waiting for an ESP list stop waiting)."""
        self._cancelled = True
        if self._scan is not None:
            self._scan.cancel()
        if self._guess is not None:
            self._guess.release_all()

    def run(self) -> Iterator[FleetRow]:
        """Stream one checked row per (account, host). The outside checks start at once while each
        API account's list is fetched (a slow ESP API delays only its own hosts, where the target
        its API expects matters); its click figures are read after the list, and only its own
        rows wait for them; the hosts an ESP lists but the inventory does not follow."""
        rows = {row.key: row for row in self.rows()}
        wanted = accounts_of(rows.values(), self.only_keys, self.inventory)
        accounts = [account for account in self.inventory.accounts if account.name in wanted]
        self._ready = {account.name: threading.Event() for account in accounts}
        guess = FleetGuess(
            {account.name: account for account in self.inventory.accounts},
            self._expect_targets(rows.values()),
            waiting=self._ready,
        )
        scan = self._start([self._target(row) for row in rows.values()], guess)
        fetcher = threading.Thread(
            target=self._fetch_lists,
            args=(accounts, rows, guess),
            name="trackdeck-esp-lists",
            daemon=True,
        )
        fetcher.start()
        try:
            yield from self._merged(scan, rows)
            fetcher.join()
            if self._fetch_error is not None:
                raise self._fetch_error
            extra = self._untracked_rows()
            if extra and not self._cancelled:
                yield from self._merged(self._start_untracked(extra), extra)
        finally:
            guess.release_all()

    def _start(self, targets: Sequence[Target], guess: FleetGuess) -> Scan:
        from checks.engine import Scan  # noqa: PLC0415 - the engine loads with the first scan

        scan = Scan(targets, self.ctx, concurrency=self.concurrency, guess=guess)
        self._scan, self._guess = scan, guess
        if self._cancelled:
            self.cancel()
        return scan

    def _start_untracked(self, extra: dict[str, FleetRow]) -> Scan:
        accounts = {account.name: account for account in self.inventory.accounts}
        guess = FleetGuess(accounts, {})
        for row in extra.values():
            if row.esp_view is not None:
                guess.provide(row.account, {row.key: row.esp_view})
        return self._start([self._target(row) for row in extra.values()], guess)

    def _fetch_lists(
        self, accounts: Sequence[Account], rows: Mapping[str, FleetRow], guess: FleetGuess
    ) -> None:
        """Read each account's list (handed to the outside checks as it arrives), then its click
        figures (`tui.fleet.account_reads`); release the account's rows once both are in."""
        by_account: dict[str, list[FleetRow]] = {}
        for row in rows.values():
            by_account.setdefault(row.account, []).append(row)

        def listed(view: EspAccountView) -> None:
            own = by_account.get(view.account, ())
            guess.provide(
                view.account,
                {row.key: domain for row in own if (domain := view.domain(row.host)) is not None},
            )

        def finished(view: EspAccountView, clicks: AccountClicks) -> None:
            self.views[view.account] = view
            self.clicks[view.account] = clicks
            self._ready[view.account].set()

        reads = AccountReads(
            store=self.store,
            client_factory=self.client_factory,
            listed=listed,
            finished=finished,
            click_hosts={
                name: frozenset(row.host for row in own if not row.untracked)
                for name, own in by_account.items()
            },
            window=None if self._cancelled else self.click_rules.window(self.today),
            wants_switch=self._wants_switch,
        )
        try:
            reads.run(accounts)
        except Exception as error:  # noqa: BLE001 - re-raised by run(), on the scan's own thread
            self._fetch_error = error
        finally:
            guess.release_all()
            for ready in self._ready.values():
                ready.set()

    def _wants_switch(self, series: ClickSeries) -> bool:
        """Ask the click-tracking switch when no clicks came lately, or the rate fell by half the
        drop that is flagged or more (tracking switched off while clicks on older mail trickle
        in), or there is too little to tell: while clicks are counted as usual, the ESP is
        rewriting links."""
        summary = summarize_clicks(series, self.today, self.click_rules)
        change = summary.rate_change
        fell = change is not None and change <= -self.click_rules.drop / 2
        return (
            summary.clicks_recent == 0
            or fell
            or summary.verdict in (Verdict.DROP, Verdict.TOO_LITTLE)
        )

    def _merged(self, scan: Scan, rows: Mapping[str, FleetRow]) -> Iterator[FleetRow]:
        """Each checked row with its account's ESP view and click signal. A row whose account's
        reads are still out is held back, not waited for: the scan goes on taking hosts (it takes
        the next one as this loop asks for it), and the held rows follow once their reads are in."""
        held: dict[str, list[tuple[FleetRow, HostReport]]] = {}
        for report in scan.run():
            row = rows[report.key]
            ready = self._ready.get(row.account)
            if ready is not None and not ready.is_set():
                held.setdefault(row.account, []).append((row, report))
            else:
                yield self._checked(row, report)
            yield from self._released(held, wait=False)
        yield from self._released(held, wait=True)

    def _released(
        self, held: dict[str, list[tuple[FleetRow, HostReport]]], *, wait: bool
    ) -> Iterator[FleetRow]:
        """The held rows whose account's reads are in (with `wait`, every held row, once its
        account's reads are in)."""
        for account in list(held):
            ready = self._ready[account]
            if wait:
                ready.wait()
            if ready.is_set():
                for row, report in held.pop(account):
                    yield self._checked(row, report)

    def _checked(self, row: FleetRow, report: HostReport) -> FleetRow:
        """The row with its report, its ESP view and findings, and its click signal."""
        view = self.views.get(row.account)
        return self._with_clicks(
            dataclasses.replace(
                row,
                report=report,
                esp_view=row.esp_view or (view.domain(row.host) if view else None),
                esp_findings=self._esp_findings(row, report.expectation),
            ),
            report,
        )

    def _with_clicks(self, row: FleetRow, report: HostReport) -> FleetRow:
        """The row with its scope's click signal and findings (none when nothing was read)."""
        clicks = self.clicks.get(row.account)
        read = clicks.for_host(row.host) if clicks is not None and not row.untracked else None
        if read is None:
            return row
        key = (row.account, read.scope.key)
        if key not in self._signals:
            made = click_signal(read, self.today, self.click_rules)
            self._signals[key] = (made, click_evidence(read, made) if made else ())
        signal, evidence = self._signals[key]
        if signal is None:
            return row
        problems = [f.code for f in report.findings if f.severity is not Severity.OK]
        findings = click_findings(
            row.host,
            row.esp_label,
            read,
            signal,
            rules=self.click_rules,
            host_problems=problems,
            evidence=evidence,
        )
        return dataclasses.replace(row, clicks=signal, click_findings=findings)

    def _untracked_rows(self) -> dict[str, FleetRow]:
        if self.only_keys:
            return {}
        listed = {(entry.account, entry.host) for entry in self.inventory.entries}
        extra: dict[str, FleetRow] = {}
        for view in self.views.values():
            account = self.inventory.account(view.account)
            for domain in view.domains:
                if (view.account, domain.host) in listed:
                    continue
                key = row_key(view.account, domain.host)
                extra[key] = FleetRow(
                    key=key, host=domain.host, brand=UNLISTED_BRAND, account=view.account,
                    esp=account.esp, esp_label=view.label, esp_view=domain, untracked=True,
                )  # fmt: skip
        return extra

    def _target(self, row: FleetRow) -> Target:
        from checks.engine import Target  # noqa: PLC0415 - see _start

        return Target(host=row.host, key=row.key)

    def _expect_targets(self, rows: Iterable[FleetRow]) -> dict[str, str]:
        targets: dict[str, str] = {}
        for row in rows:
            entry = self._entry(row.account, row.host)
            if entry is not None and entry.expect_target:
                targets[row.key] = entry.expect_target
        return targets

    def _entry(self, account: str, host: str) -> TrackingEntry | None:
        if self._entry_index is None:  # built once per scan: rows must not cost O(fleet) each
            index = {
                (entry.account, entry.host): entry for entry in reversed(self.inventory.entries)
            }
            self._entry_index = index
        return self._entry_index.get((account, host))

    def _shared(self) -> dict[str, SharedHost]:
        if self._shared_hosts is None:
            self._shared_hosts = {s.host: s for s in self.inventory.shared_hosts()}
        return self._shared_hosts

    def _esp_findings(self, row: FleetRow, expectation: Expectation) -> tuple[Finding, ...]:
        findings: list[Finding] = []
        shared = self._shared()
        if row.host in shared:
            findings.append(shared_host_finding(row.host, shared[row.host].accounts))
        view = self.views.get(row.account)
        if row.untracked and view is not None:
            findings.append(untracked_finding(row.host, view))
        if view is not None:
            findings.extend(esp_findings(row.host, view, expectation))
        return tuple(findings)


def shared_host_finding(host: str, accounts: Sequence[str]) -> Finding:
    """`inventory.shared_host`: one DNS name cannot point at two ESPs."""
    return Finding(
        code="inventory.shared_host",
        severity=Severity.FAIL,
        title=f"host listed under {len(accounts)} accounts",
        detail=f"{host} is listed under {', '.join(accounts)}; a name has one CNAME, so at most "
        "one of them can work.",
        fix="Use one subdomain per ESP (e.g. links-mkt. and links-tx.) and update the inventory.",
    )
