"""The write actions at an ESP (verify, HTTPS on and off), shared by the CLI and the dashboard.

Every attempt, refused or not, is appended to the audit log; HTTPS is only switched on after a
preflight shows that DNS, proxy, CAA and the ESP's verification let the certificate be issued
(or `force=True`). Secrets never reach a message, a result or the audit log.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from checks.context import CheckContext
from checks.engine import Target, check_host
from checks.model import Expectation, HostReport, ok
from esp_clients import Capability, EspClient, EspError, EspSecret
from tui.actions.https_flow import HttpsFlow, Polling, Progress
from tui.actions.journal import AuditLog
from tui.actions.model import (
    HTTPS_DISABLE,
    HTTPS_ENABLE,
    USAGE_KINDS,
    VERIFY,
    ActionRefused,
    ActionResult,
    Located,
    Preflight,
    already_on,
    blocking_findings,
    find_entry,
    preflight_context,
)
from tui.actions.recorder import Recorder
from tui.fleet.esp_accounts import default_client_factory
from tui.fleet.esp_view import EspAccountView, esp_findings
from tui.fleet.guess import account_facts, fleet_expectation
from tui.fleet.rows import row_key
from tui.inventory.credentials import CredentialStore
from tui.inventory.model import Account, Inventory, TrackingEntry

ClientFactory = Callable[[Account, EspSecret], EspClient]

CAPABILITIES = {
    VERIFY: Capability.VERIFY,
    HTTPS_ENABLE: Capability.HTTPS_ENABLE,
    HTTPS_DISABLE: Capability.HTTPS_DISABLE,
}

__all__ = [
    "HTTPS_DISABLE",
    "HTTPS_ENABLE",
    "USAGE_KINDS",
    "VERIFY",
    "ActionRefused",
    "ActionResult",
    "Actions",
    "Preflight",
]


class Actions:
    """Verify and HTTPS actions for the hosts of one inventory: audited, refused when unsafe."""

    def __init__(
        self,
        inventory: Inventory,
        ctx: CheckContext,
        store: CredentialStore,
        audit: AuditLog,
        *,
        client_factory: ClientFactory | None = None,
        read_only: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        poll_interval: float = 5.0,
        poll_timeout: float = 300.0,
    ) -> None:
        self.inventory = inventory
        self.ctx = ctx
        self.store = store
        self.recorder = Recorder(audit)
        self.client_factory = client_factory or default_client_factory(ca_bundle=ctx.ca_bundle)
        self.read_only = read_only
        self.polling = Polling(
            sleep=sleep, clock=clock, interval=poll_interval, timeout=poll_timeout
        )

    def __repr__(self) -> str:
        return f"Actions(read_only={self.read_only}, accounts={len(self.inventory.accounts)})"

    def can(self, host: str, action: str, account: str | None = None) -> str | None:
        """None when `action` may be attempted on `host`, else why not (no ESP call, no audit)."""
        try:
            entry, acct = self._allowed(host, action, account)
            client = self._client(entry, acct, action)
        except ActionRefused as refused:
            return str(refused)
        client.close()
        return None

    def verify(self, host: str, account: str | None = None) -> ActionResult:
        """Ask the ESP to re-check the domain's DNS; ok when it now reports the domain verified."""
        with self._operation(host, VERIFY, account) as op:
            self.recorder.intent(op, f"check the DNS of {op.host} now")
            try:
                after = op.client.verify(op.domain)
            except EspError as error:
                return self.recorder.failed(op, f"verification request failed: {error}")
            verified = after.verified is not False and after.cname_valid is not False
            reasons = "; ".join(after.problems) or "no reason given"
            message = (
                f"{op.label} reports {op.host} verified"
                if verified
                else f"{op.label} still reports {op.host} unverified ({reasons}): publish the "
                "record it expects, let it propagate, then verify again"
            )
            result = "verified" if verified else "unverified"
            return self.recorder.done(op, after, ok=verified, message=message, result=result)

    def preflight_https(self, host: str, account: str | None = None) -> Preflight:
        """The checks that must pass before HTTPS goes on (DNS, proxy, CAA, ESP verified)."""
        with self._operation(host, HTTPS_ENABLE, account) as op:
            return self._preflight(op)

    def enable_https(
        self,
        host: str,
        account: str | None = None,
        *,
        force: bool = False,
        progress: Progress = lambda _m: None,
        cancelled: threading.Event | None = None,
        preflight: Preflight | None = None,
    ) -> ActionResult:
        """Preflight, certificate (requested and waited for), scheme flip, TLS re-check.

        `preflight` reuses checks the user has just seen; without it they are run here.
        """
        with self._operation(host, HTTPS_ENABLE, account) as op:
            if already_on(op.domain):
                return self.recorder.unchanged(op, "HTTPS is already on; nothing to do")
            if preflight is None or preflight.host != op.host:
                preflight = self._preflight(op)
            self._gate(op, preflight, force)
            flow = HttpsFlow(
                op=op,
                recorder=self.recorder,
                polling=self.polling,
                recheck=lambda: self._check(op),
                progress=progress,
                cancelled=cancelled,
            )
            return flow.run()

    def disable_https(self, host: str, account: str | None = None) -> ActionResult:
        """Switch the domain's tracked links back to plain http."""
        with self._operation(host, HTTPS_DISABLE, account) as op:
            self.recorder.intent(op, f"send the links of {op.host} over plain http")
            try:
                after = op.client.set_https(op.domain, False)
            except EspError as error:
                return self.recorder.failed(op, f"switching HTTPS off failed: {error}")
            off = after.https is not True
            message = (
                f"{op.label} now sends links for {op.host} over plain http"
                if off
                else f"{op.label} accepted the change but still reports HTTPS on for {op.host}"
            )
            result = "ok" if off else "unconfirmed"
            return self.recorder.done(op, after, ok=off, message=message, result=result)

    @contextmanager
    def _operation(self, host: str, action: str, account: str | None) -> Iterator[Located]:
        """Locate the host and its ESP view; audit refusals and interruptions (Ctrl-C, and SIGTERM
        or SIGHUP where the CLI turns them into KeyboardInterrupt): once the host is located, the
        ESP's state is read back and recorded; close the client."""
        client: EspClient | None = None
        located: Located | None = None
        try:
            entry, acct = self._allowed(host, action, account)
            client = self._client(entry, acct, action)
            located = self._locate(entry, acct, client, action)
            yield located
        except ActionRefused as refused:
            self.recorder.refusal(refused, action, host)
            raise
        except KeyboardInterrupt as interrupt:
            why = f"interrupted ({interrupt.args[0]})" if interrupt.args else "interrupted"
            if located is not None:
                self.recorder.interrupted(located, action, why)
            else:
                detail = f"{why} before any change was asked"
                where = self._best_account(host, account)
                self.recorder.record(where, host, action, result="interrupted", detail=detail)
            raise
        finally:
            if client is not None:
                client.close()

    def _allowed(
        self, host: str, action: str, account: str | None
    ) -> tuple[TrackingEntry, Account]:
        """The entry and its account, after the checks that need no ESP call (read-only first)."""
        if self.read_only:
            raise ActionRefused(
                f"read-only mode: trackdeck changes nothing at an ESP, so {action} {host} was "
                "refused; drop --read-only and set settings.read_only = false to allow it",
                kind="read-only",
                host=host,
                account=self._best_account(host, account),
            )
        entry = find_entry(self.inventory, host, account)
        acct = self.inventory.account(entry.account)
        label = account_facts(acct).label
        if not acct.has_api:
            raise ActionRefused(
                f"{label} (account {acct.name}) has no API trackdeck can use: change its tracking "
                f"settings in {label}'s web console",
                kind="dns-only",
                host=entry.host,
                account=acct.name,
            )
        return entry, acct

    def _client(self, entry: TrackingEntry, acct: Account, action: str) -> EspClient:
        """An open client that supports `action`, or ActionRefused (credentials, capability)."""
        secret = self.store.get(acct)
        if secret is None:
            detail = self.store.status(acct).detail
            label = account_facts(acct).label
            message = f"no credentials for account {acct.name} ({label}): {detail}"
            raise self._refused(message, "no-credentials", entry, acct)
        self.recorder.remember(secret)
        try:
            client = self.client_factory(acct, secret)
        except (ValueError, EspError) as error:
            message = f"cannot use account {acct.name}: {error}"
            raise self._refused(message, "config", entry, acct) from None
        unsupported = client.explain(CAPABILITIES[action])
        if unsupported is not None:
            client.close()
            message = f"{client.label} (account {acct.name}): {unsupported.reason}"
            raise self._refused(message, "unsupported", entry, acct)
        return client

    def _locate(
        self, entry: TrackingEntry, acct: Account, client: EspClient, action: str
    ) -> Located:
        """The ESP's own view of the host, read from the account's list."""
        try:
            domains = client.list_tracking_domains()
        except EspError as error:
            message = f"could not read the tracking domains of {acct.name}: {error}"
            raise self._refused(message, "esp-error", entry, acct) from None
        found = next((domain for domain in domains if domain.host == entry.host), None)
        if found is None:
            message = (
                f"{entry.host} is not a tracking domain of the {client.label} account "
                f"{acct.name} (it has {len(domains)}): add it at {client.label} first, or fix "
                "the inventory"
            )
            raise self._refused(message, "not-found", entry, acct)
        return Located(action=action, entry=entry, account=acct, client=client, domain=found)

    def _refused(
        self, message: str, kind: str, entry: TrackingEntry, acct: Account
    ) -> ActionRefused:
        return ActionRefused(
            self.recorder.clean(message), kind=kind, host=entry.host, account=acct.name
        )

    def _best_account(self, host: str, account: str | None) -> str:
        try:
            return find_entry(self.inventory, host, account).account
        except ActionRefused:
            return account or ""

    def _gate(self, op: Located, preflight: Preflight, force: bool) -> None:
        """Go on when the preflight passed or `force` overrides it; else refuse (audited)."""
        codes = ", ".join(finding.code for finding in preflight.blocking)
        if preflight.passed:
            self.recorder.step(op, result="preflight passed", action="preflight")
        elif force:
            self.recorder.step(
                op, result="preflight overridden", detail=f"forced past {codes}", action="preflight"
            )
        else:
            raise ActionRefused(
                f"the preflight for {op.host} found {len(preflight.blocking)} blocking "
                f"problem(s) ({codes}): fix them first, or force it at your own risk",
                kind="preflight",
                host=op.host,
                account=op.account.name,
                preflight=preflight,
            )

    def _preflight(self, op: Located) -> Preflight:
        report = self._check(op)
        view = EspAccountView(
            account=op.account.name,
            label=op.label,
            domains=(op.domain,),
            capabilities=frozenset(op.client.capabilities),
        )
        findings = report.findings + esp_findings(op.host, view, report.expectation)
        if op.domain.verified and not any(finding.code == "esp.ok" for finding in findings):
            findings += (ok("esp.verified", f"{op.label} reports it verified"),)
        blocking = blocking_findings(findings)
        report = dataclasses.replace(report, findings=findings)
        return Preflight(host=op.host, blocking=blocking, passed=not blocking, report=report)

    def _check(self, op: Located) -> HostReport:
        """Every outside check of the host (blocklists aside) with the fleet's expectation."""

        def guess(_target: Target, chain: tuple[str, ...]) -> Expectation:
            return fleet_expectation(
                op.account, chain, expect_target=op.entry.expect_target, domain=op.domain
            )

        target = Target(host=op.host, key=row_key(op.account.name, op.host))
        return check_host(target, preflight_context(self.ctx), guess)
