"""The values the write actions exchange, and the pure rules behind them (what blocks HTTPS)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from checks.context import CheckContext
from checks.model import Finding, HostReport, Severity
from checks.names import normalize_host
from esp_clients import EspClient, TrackingDomain
from tui.inventory.model import Account, Inventory, TrackingEntry

VERIFY = "verify"
HTTPS_ENABLE = "https.enable"
HTTPS_DISABLE = "https.disable"

USAGE_KINDS = frozenset({"not-in-inventory", "ambiguous", "config"})
"""Refusals caused by what the user typed or configured (the CLI exits 64 for them)."""

ALWAYS_BLOCKING = frozenset(
    {"dns.lookup_failed", "caa.lookup_failed", "caa.blocks_issuer", "esp.not_verified"}
)
"""Codes that block HTTPS at any severity: a CA would refuse, or we cannot prove it would not."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Preflight:
    """The checks run before HTTPS is switched on, and the findings that forbid it."""

    host: str
    blocking: tuple[Finding, ...]
    passed: bool
    report: HostReport


class ActionRefused(Exception):  # noqa: N818 - the name the CLI and the dashboard use
    """An action was not attempted; `str()` is one line saying why and what to do instead.

    `kind` is one of read-only, dns-only, unsupported, no-credentials, not-in-inventory, ambiguous,
    not-found, config, esp-error, preflight; `preflight` holds the checks when kind is preflight.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        host: str = "",
        account: str = "",
        preflight: Preflight | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.host = host
        self.account = account
        self.preflight = preflight


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionResult:
    """What an action did: the ESP's view before and after, and the TLS re-check after HTTPS on."""

    host: str
    account: str
    action: str
    ok: bool
    message: str
    before: TrackingDomain | None
    after: TrackingDomain | None
    recheck: HostReport | None = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """One action in progress: the inventory entry, its account, an open client, the ESP's view."""

    action: str
    entry: TrackingEntry
    account: Account
    client: EspClient
    domain: TrackingDomain

    @property
    def host(self) -> str:
        """The tracking host."""
        return self.entry.host

    @property
    def label(self) -> str:
        """The ESP as users see it ("Mailgun EU")."""
        return self.client.label


def is_blocking(finding: Finding) -> bool:
    """Whether `finding` must stop HTTPS from being switched on.

    Any failing DNS finding (wrong CNAME, dangling, no record, not a CNAME, conflict, apex, loop,
    and a proxy the ESP forbids) blocks, as do the lookups that failed, a CAA RRset that may stop
    the ESP's CA, and the ESP reporting the domain unverified. TLS and HTTP findings never block:
    HTTPS is what the action is about to fix.
    """
    if finding.code in ALWAYS_BLOCKING:
        return True
    return finding.code.startswith("dns.") and finding.severity is Severity.FAIL


def blocking_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings that block HTTPS, in report order."""
    return tuple(finding for finding in findings if is_blocking(finding))


def preflight_context(ctx: CheckContext) -> CheckContext:
    """A fresh-cache context for the preflight and the re-check; blocklists are irrelevant there."""
    fresh = ctx.for_new_scan()
    return dataclasses.replace(
        fresh, blocklists=dataclasses.replace(fresh.blocklists, enabled=False)
    )


def describe(domain: TrackingDomain | None) -> str:
    """The ESP's state of a domain in a few words, for the audit log's before/after."""
    if domain is None:
        return "unknown"
    verified = {True: "verified", False: "unverified", None: "verification unknown"}
    https = {True: "https on", False: "https off", None: "https unknown"}
    return (
        f"{verified[domain.verified]}, {https[domain.https]}, "
        f"certificate {domain.certificate.status}"
    )


def already_on(domain: TrackingDomain) -> bool:
    """Whether HTTPS is on and the certificate needs nothing (active, or not managed by the ESP)."""
    return domain.https is True and domain.certificate.status in ("active", "unknown")


def find_entry(inventory: Inventory, host: str, account: str | None = None) -> TrackingEntry:
    """The inventory entry of `host` (under `account` when given), or ActionRefused."""
    try:
        name = normalize_host(host)
    except ValueError as error:
        raise ActionRefused(
            f"{host!r} is not a host name: {error}", kind="not-in-inventory", host=host
        ) from None
    entries = [entry for entry in inventory.entries if entry.host == name]
    accounts = sorted({entry.account for entry in entries})
    matching = [entry for entry in entries if account in (None, entry.account)]
    if not matching:
        where = str(inventory.path or "the inventory")
        under = f" under account {account}" if entries else ""
        listed = f" (it is under {', '.join(accounts)})" if entries else ""
        raise ActionRefused(
            f"{name} is not listed{under} in {where}{listed}: add it to a brand's tracking "
            "list, or check the spelling",
            kind="not-in-inventory",
            host=name,
            account=account or "",
        )
    if len({entry.account for entry in matching}) > 1:
        raise ActionRefused(
            f"{name} is listed under {len(accounts)} accounts ({', '.join(accounts)}): "
            "choose one with --account NAME",
            kind="ambiguous",
            host=name,
        )
    return matching[0]
