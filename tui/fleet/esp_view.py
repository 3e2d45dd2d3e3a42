"""Turn an ESP's own view of its tracking domains into findings (`esp.*`)."""

from __future__ import annotations

from dataclasses import dataclass

from checks.model import Expectation, Finding, Severity, ok
from esp_clients import (
    Capability,
    EspAuthError,
    EspBadResponse,
    EspError,
    EspRateLimited,
    EspTlsUntrusted,
    EspUnavailable,
    TrackingDomain,
)
from tui.inventory.credentials import env_var_name


@dataclass(frozen=True, slots=True, kw_only=True)
class EspAccountView:
    """What one account's ESP said: its tracking domains, or why we do not know."""

    account: str
    label: str
    has_api: bool = True
    domains: tuple[TrackingDomain, ...] = ()
    problem: Finding | None = None
    capabilities: frozenset[Capability] = frozenset()

    def domain(self, host: str) -> TrackingDomain | None:
        """The ESP's record of `host`, if it has one."""
        return next((domain for domain in self.domains if domain.host == host), None)


def account_problem(account: str, label: str, error: EspError | None, detail: str = "") -> Finding:
    """Why an account's view is unknown: no credentials, auth, outage, rate limit, garbage."""
    if error is None:
        return Finding(
            code="esp.no_credentials",
            severity=Severity.UNKNOWN,
            title=f"no API key for {account}: {label}'s view unknown",
            detail=detail or f"No secret is stored for the account {account}.",
            fix=f"trackdeck creds set {account} (or export {env_var_name(account)}=…)",
        )
    code, title = next(
        (mapped for kind, mapped in _ERROR_CODES.items() if isinstance(error, kind)),
        ("esp.error", "{label} API refused the request"),
    )
    return Finding(
        code=code,
        severity=Severity.UNKNOWN,
        title=title.format(label=label),
        detail=f"{error} The ESP's view of these domains is unknown, not clean.",
        fix=error.hint or f"Retry later; check {label}'s status page.",
    )


_ERROR_CODES: dict[type[EspError], tuple[str, str]] = {
    EspTlsUntrusted: ("esp.tls_untrusted", "{label} API certificate not trusted here"),
    EspAuthError: ("esp.auth_failed", "{label} refused the API key"),
    EspRateLimited: ("esp.rate_limited", "{label} API rate limit"),
    EspUnavailable: ("esp.unreachable", "{label} API unreachable"),
    EspBadResponse: ("esp.bad_response", "{label} API answered garbage"),
}


def esp_findings(host: str, view: EspAccountView, expectation: Expectation) -> tuple[Finding, ...]:
    """The findings for one host from its account's view."""
    if not view.has_api:
        return (
            Finding(
                code="esp.no_api",
                severity=Severity.INFO,
                title=f"{view.label} has no API: checked by DNS only",
                detail=f"{view.label} offers no API for tracking domains; trackdeck checks "
                f"{host} from outside against the expected target.",
            ),
        )
    if view.problem is not None:
        return (view.problem,)
    domain = view.domain(host)
    if domain is None:
        return (_not_found(host, view),)
    return _domain_findings(domain, view, expectation)


def _not_found(host: str, view: EspAccountView) -> Finding:
    return Finding(
        code="esp.not_found",
        severity=Severity.FAIL,
        title=f"not in the {view.label} account {view.account}",
        detail=f"{view.label} lists {len(view.domains)} tracking domain(s) for {view.account}, "
        f"none of them {host}: mail sent with this account does not use it.",
        fix=f"Add {host} as a tracking domain in {view.label}, or move it to the right account "
        "in the inventory.",
    )


def _domain_findings(
    domain: TrackingDomain, view: EspAccountView, expectation: Expectation
) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    evidence = tuple(f"{key}: {value}" for key, value in domain.details) + domain.problems
    if domain.verified is False or domain.cname_valid is False:
        findings.append(_not_verified(domain, view, evidence))
    certificate = domain.certificate
    if certificate.status in ("failed", "expired"):
        findings.append(_cert_problem(domain, view, Severity.FAIL, evidence))
    elif certificate.status == "pending":
        findings.append(_cert_problem(domain, view, Severity.INFO, evidence))
    if domain.https is False and expectation.https_expected:
        findings.append(_https_off(domain, view, evidence))
    if not findings:
        state = "verified" if domain.verified else "listed"
        https = {True: ", HTTPS on", False: ", HTTPS off", None: ""}[domain.https]
        findings.append(ok("esp.ok", f"{view.label}: {state}{https}", evidence=evidence))
    return tuple(findings)


def _not_verified(
    domain: TrackingDomain, view: EspAccountView, evidence: tuple[str, ...]
) -> Finding:
    reasons = "; ".join(domain.problems) or "no reason given"
    target = domain.expected_target or "the target it shows"
    return Finding(
        code="esp.not_verified",
        severity=Severity.FAIL,
        title=f"{view.label} reports it unverified",
        detail=f"{view.label} does not accept {domain.host} yet ({reasons}). Until it verifies, "
        "links may use the shared domain or break.",
        fix=f"Publish {domain.host}. CNAME {target}. then trigger verification "
        f"(trackdeck verify {domain.host}, or v in the dashboard).",
        evidence=evidence,
    )


def _cert_problem(
    domain: TrackingDomain, view: EspAccountView, severity: Severity, evidence: tuple[str, ...]
) -> Finding:
    state = domain.certificate.status
    detail = domain.certificate.detail or f"the certificate is {state}"
    fix = (
        "Wait for issuance to finish, then check again."
        if state == "pending"
        else f"Fix what blocks issuance (CNAME, proxy, CAA), then re-request the certificate "
        f"(trackdeck https enable {domain.host})."
    )
    return Finding(
        code="esp.cert_problem",
        severity=severity,
        title=f"{view.label} certificate {state}",
        detail=f"{view.label} says: {detail}.",
        fix=fix,
        evidence=evidence,
    )


def _https_off(domain: TrackingDomain, view: EspAccountView, evidence: tuple[str, ...]) -> Finding:
    can_enable = Capability.HTTPS_ENABLE in view.capabilities
    fix = (
        f"trackdeck https enable {domain.host} (checks DNS, proxy and CAA first), or h in the "
        "dashboard."
        if can_enable
        else f"{view.label}'s API cannot turn HTTPS on: enable it in {view.label}'s console "
        "once the DNS and CAA checks pass."
    )
    return Finding(
        code="esp.https_off",
        severity=Severity.WARN,
        title=f"{view.label} sends links over plain HTTP",
        detail=f"{view.label} rewrites links to http://{domain.host}/…: browsers and corporate "
        "gateways warn on or block plain-HTTP redirects.",
        fix=fix,
        evidence=evidence,
    )


def untracked_finding(host: str, view: EspAccountView) -> Finding:
    """`esp.untracked`: the ESP has a tracking domain the inventory does not list."""
    return Finding(
        code="esp.untracked",
        severity=Severity.WARN,
        title=f"{view.label} has it, the inventory does not",
        detail=f"The {view.label} account {view.account} has the tracking domain {host}, which "
        "no one monitors: it can dangle or expire unseen.",
        fix=f'Add {{ host = "{host}", account = "{view.account}" }} to a brand in the inventory '
        f"(trackdeck import {view.account} prints the entries), or delete it at {view.label}.",
    )
