"""What the TLS probes mean for an operator: the finding texts of each outcome, filled in from the
probes (addresses, certificate names, dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from checks.context import CheckContext
from checks.model import Finding, Severity, ok
from checks.names import server_name
from checks.tls_probe import OUTCOMES, CertificateInfo, TlsProbe, days_left, endpoint


def explain_probes(host: str, probes: Sequence[TlsProbe], ctx: CheckContext) -> tuple[Finding, ...]:
    """One finding per problem, naming every address concerned; a single `tls.ok` when none."""
    findings = []
    for outcome in OUTCOMES[:-1]:
        concerned = [probe for probe in probes if outcome in probe.problems]
        if concerned:
            findings.append(_explain(outcome, host, concerned, probes, ctx))
    if findings:
        return tuple(findings)
    words = _words(host, probes, probes, ctx)
    known = any(probe.certificate for probe in probes)
    title = (
        "certificate valid, {left} days left".format_map(words) if known else "certificate valid"
    )
    return (ok("tls.ok", title, _OK_DETAIL.format_map(words), _evidence(probes)),)


def _explain(
    outcome: str,
    host: str,
    concerned: Sequence[TlsProbe],
    probes: Sequence[TlsProbe],
    ctx: CheckContext,
) -> Finding:
    """The finding for one problem, its words filled in from the probes concerned."""
    partial = outcome == "unreachable" and len(concerned) < len(probes)
    unnamed = outcome == "not_checked" and not _has_server_name(host)
    key = "unreachable_some" if partial else "not_checked_name" if unnamed else outcome
    severity, title, detail, fix = _TEXTS[key]
    words = _words(host, concerned, probes, ctx)
    return Finding(
        code=f"tls.{outcome}",
        severity=severity,
        title=title.format_map(words),
        detail=detail.format_map(words),
        fix=fix.format_map(words),
        evidence=_evidence(concerned),
    )


def _words(
    host: str, concerned: Sequence[TlsProbe], probes: Sequence[TlsProbe], ctx: CheckContext
) -> dict[str, object]:
    """The values the finding texts refer to."""
    cert = _soonest(concerned)
    now = ctx.clock()
    left = days_left(cert.not_after, now) if cert else 0
    addresses = ", ".join(probe.address for probe in concerned)
    names = sorted({name for p in concerned if p.certificate for name in p.certificate.sans})
    issuers = dict.fromkeys(p.certificate.issuer for p in concerned if p.certificate)
    return {
        "host": host,
        "addresses": addresses,
        "count": len(concerned),
        "total": len(probes),
        "answering": len(probes) - len(concerned),
        "errors": "; ".join(dict.fromkeys(p.error for p in concerned if p.error)) or "no details",
        "issuers": ", ".join(issuers) or "unknown",
        "names": ", ".join(names) or "no DNS name",
        "when": f"{cert.not_after:%Y-%m-%d}" if cert else "an unknown date",
        "left": left,
        "ago": _ago(cert.not_after, now) if cert and left < 0 else "",
        "warning": ctx.expiry_warning_days,
        "store": f"the CA bundle {ctx.ca_bundle}" if ctx.ca_bundle else "the system trust store",
        "ipv6": _IPV6_NOTE if ":" in addresses else "",
    }


def _has_server_name(host: str) -> bool:
    """Whether `host` can be sent as a TLS server name (not a name IDNA 2008 refuses)."""
    try:
        server_name(host)
    except ValueError:
        return False
    return True


def _soonest(probes: Sequence[TlsProbe]) -> CertificateInfo | None:
    certificates = [probe.certificate for probe in probes if probe.certificate is not None]
    return min(certificates, key=lambda cert: cert.not_after, default=None)


def _evidence(probes: Sequence[TlsProbe]) -> tuple[str, ...]:
    return tuple(_evidence_line(probe) for probe in probes)


def _evidence_line(probe: TlsProbe) -> str:
    parts = [f"{endpoint(probe.address)} {probe.outcome}"]
    cert = probe.certificate
    if cert is not None:
        parts += [f"issuer {cert.issuer}", f"SANs {', '.join(cert.sans) or '(none)'}"]
        parts.append(f"not after {cert.not_after:%Y-%m-%d %H:%M} UTC")
    if probe.error:
        parts.append(f"error: {probe.error}")
    return "; ".join(parts)


def _ago(not_after: dt.datetime, now: dt.datetime) -> str:
    """ ", N days ago" for an expired certificate, counting whole days elapsed."""
    elapsed = int((now - not_after).total_seconds() // 86400)
    return (
        ", earlier today" if elapsed == 0 else f", {elapsed} day{'s' if elapsed != 1 else ''} ago"
    )


_IPV6_NOTE = " If this machine has no IPv6 route, re-check from one that has."
_OK_DETAIL = (
    "Every address ({addresses}) completed a verified TLS handshake for {host}; the certificate "
    "from {issuers} is valid until {when}."
)
_TEXTS: dict[str, tuple[Severity, str, str, str]] = {
    "not_checked": (
        Severity.UNKNOWN,
        "TLS not checked",
        "TLS for {host} was not checked: {errors}.",
        "Point --ca-bundle (or the inventory's ca_bundle) at a readable PEM file of CAs.",
    ),
    "not_checked_name": (
        Severity.UNKNOWN,
        "TLS not checked",
        "TLS for {host} was not checked: {errors}.",
        "Correct the name where the ESP lists it: only names IDNA 2008 allows can be checked.",
    ),
    "unreachable": (
        Severity.FAIL,
        "nothing answers on port 443",
        "No server accepted a connection on port 443 at {addresses} ({errors}). Every tracked link "
        "in your mail points to https://{host}/, so clicks end in a connection error.",
        "Point {host} at the ESP's tracking target and enable HTTPS for it at the ESP.",
    ),
    "unreachable_some": (
        Severity.WARN,
        "port 443 unreachable at {count} of {total} addresses",
        "{addresses} refuse or drop connections on port 443 ({errors}) while {answering} other "
        "address(es) of {host} answer: recipients whose browser picks a dead address cannot open "
        "tracked links.{ipv6}",
        "Remove {addresses} from the A/AAAA records of {host} if they are yours; otherwise report "
        "them to the ESP.",
    ),
    "handshake_failed": (
        Severity.FAIL,
        "TLS handshake fails",
        "Port 443 accepts connections at {addresses}, but the TLS handshake for {host} fails "
        "({errors}): browsers show a connection error instead of following tracked links. Usually "
        "the ESP has no certificate for this host yet, or what listens on 443 is not a TLS server.",
        "Enable HTTPS (provision the certificate) for {host} at the ESP or the CDN in front of it.",
    ),
    "untrusted": (
        Severity.FAIL,
        "certificate for {host} is not trusted",
        "The certificate chain served at {addresses} does not verify against {store} ({errors}; "
        "issuer: {issuers}). Recipients who click a tracked link get a browser security warning.",
        "Re-provision the certificate for {host} at the ESP (or CDN) so a public CA issues it and "
        "its intermediate certificates are served with it.",
    ),
    "expired": (
        Severity.FAIL,
        "certificate expired on {when}{ago}",
        "The certificate served at {addresses} expired on {when}: tracked links open with a "
        "browser 'certificate expired' error, and most recipients will not click through.",
        "Re-provision the certificate for {host} at the ESP; renewal has stopped, usually because "
        "the CNAME or a CAA record no longer lets the CA validate the host.",
    ),
    "hostname_mismatch": (
        Severity.FAIL,
        "certificate does not cover {host}",
        "The certificate served at {addresses} is for {names}, not {host}: tracked links open "
        "with a browser name-mismatch warning. This is typical when HTTPS is not enabled for the "
        "custom domain at the ESP (its shared certificate is served) or a proxy sends its own.",
        "Enable HTTPS for {host} at the ESP (or re-provision its certificate) so it lists {host}.",
    ),
    "expiring": (
        Severity.WARN,
        "certificate expires in {left} days ({when})",
        "The certificate served at {addresses} expires on {when} ({left} days left; the warning "
        "starts at {warning}). Managed certificates normally renew well before this, so renewal is "
        "probably failing.",
        "Renew the certificate for {host} at the ESP before {when}; if it does not renew, check "
        "the CNAME and CAA records the CA validates.",
    ),
}
