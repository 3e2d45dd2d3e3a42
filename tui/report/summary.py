"""Compact per-concern summaries of a host report, shared by the CLI table and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from checks.model import Finding, HostReport, Severity

SYMBOLS = {
    Severity.FAIL: "✗",
    Severity.UNKNOWN: "?",
    Severity.WARN: "!",
    Severity.INFO: "i",
    Severity.OK: "✓",
}

CONCERNS = ("dns", "caa", "tls", "esp", "lists", "clicks")

_DNS_BROKEN = frozenset(
    {"dns.lookup_failed", "dns.cname_loop", "dns.chain_too_long", "dns.no_record", "dns.dangling"}
)
"""DNS outcomes after which later checks have nothing to look at (so their cells say skipped)."""

_SHORT = {
    "dns.no_record": "no record",
    "dns.cname_mismatch": "wrong CNAME",
    "dns.dangling": "dangling",
    "dns.proxied": "proxied",
    "dns.not_cname": "A, no CNAME",
    "dns.conflict": "conflict",
    "dns.apex": "apex",
    "dns.not_propagated": "stale",
    "dns.lookup_failed": "lookup failed",
    "dns.cname_loop": "loop",
    "dns.chain_too_long": "long chain",
    "dns.lame_nameserver": "lame NS",
    "dns.authoritative_failed": "NS silent",
    "dns.target_unknown": "CNAME",
    "caa.blocks_issuer": "blocks CA",
    "caa.lookup_failed": "lookup failed",
    "tls.unreachable": "no 443",
    "tls.handshake_failed": "handshake",
    "tls.untrusted": "untrusted",
    "tls.hostname_mismatch": "wrong name",
    "tls.expired": "expired",
    "http.error": "HTTP error",
    "blocklist.listed": "LISTED",
    "blocklist.not_tested": "not tested",
    "blocklist.clean": "clean",
    "esp.not_verified": "unverified",
    "esp.https_off": "HTTPS off",
    "esp.cert_problem": "cert",
    "esp.not_found": "not in ESP",
    "esp.no_credentials": "no creds",
    "esp.auth_failed": "auth failed",
    "esp.unreachable": "API down",
    "esp.rate_limited": "rate limited",
    "inventory.shared_host": "shared host",
}


SCAN_NOTICES = frozenset({"dns.resolver_down"})
"""Codes that speak of the scan rather than of the host whose row carries them (a resolver that
stopped answering): said once, and shown first (above the table, in the dashboard as a notice)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One concern's verdict: its worst severity and a few words (severity None: not checked)."""

    severity: Severity | None
    text: str

    def label(self) -> str:
        """Symbol and words, readable without colour."""
        if self.severity is None:
            return f"– {self.text}" if self.text else ""
        return f"{SYMBOLS[self.severity]} {self.text}" if self.text else ""


def concern_of(code: str) -> str:
    """Which column a finding code belongs to (the click signal's `esp.click*` codes have their
    own, so that the ESP's view of the domain is not hidden behind them)."""
    if code.startswith("esp.click"):
        return "clicks"
    prefix = code.split(".", 1)[0]
    return {
        "dns": "dns",
        "caa": "caa",
        "tls": "tls",
        "http": "tls",
        "blocklist": "lists",
        "esp": "esp",
        "inventory": "esp",
    }.get(prefix, "dns")


def summarize(report: HostReport) -> dict[str, Cell]:
    """The worst finding of each concern as a short cell."""
    cells: dict[str, Cell] = {}
    dns_broken = any(f.code in _DNS_BROKEN for f in report.findings)
    for concern in CONCERNS:
        findings = [f for f in report.findings if concern_of(f.code) == concern]
        if not findings:
            skipped = concern in ("caa", "tls") and dns_broken
            cells[concern] = Cell(severity=None, text="skipped" if skipped else "")
            continue
        worst = min(findings, key=lambda finding: finding.severity.rank)
        cells[concern] = Cell(severity=worst.severity, text=_text(worst, report))
    return cells


def _text(finding: Finding, report: HostReport) -> str:
    if finding.code in ("tls.ok", "tls.expiring") and report.facts.tls_days_left is not None:
        return f"{report.facts.tls_days_left}d"
    if finding.code == "dns.ok":
        return "ok"
    if finding.code in ("caa.ok", "http.ok"):
        return "ok"
    return _SHORT.get(finding.code, finding.code.split(".", 1)[-1].replace("_", " "))


def problems(report: HostReport) -> tuple[Finding, ...]:
    """The findings worth a human's attention (not ok), worst first."""
    found = [finding for finding in report.findings if finding.severity is not Severity.OK]
    return tuple(sorted(found, key=lambda finding: finding.severity.rank))
