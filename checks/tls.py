"""The TLS check: a handshake on 443 with SNI at every address, and what the certificate says."""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from checks.context import CheckContext
from checks.model import Finding, Severity, ok

_EXPIRED_CODE = 10  # OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_MAX_PARALLEL = 4
_SSL_SOURCE = re.compile(r"\s*\(_ssl\.c:\d+\)")
OUTCOMES = (
    "not_checked",
    "unreachable",
    "handshake_failed",
    "untrusted",
    "expired",
    "hostname_mismatch",
    "expiring",
    "ok",
)
"""Every probe outcome, worst first; each is also a finding code, `tls.<outcome>`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateInfo:
    """The fields of a server certificate an operator needs to judge it."""

    subject_cn: str | None
    issuer: str
    sans: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    serial: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsProbe:
    """What one address answered on 443; `problems` lists every outcome found, worst first."""

    address: str
    outcome: str
    certificate: CertificateInfo | None
    error: str
    verified: bool
    problems: tuple[str, ...] = ()
    days_left: int | None = None


class _DialError(Exception):
    """The TCP connection failed before any TLS was spoken."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def clean_text(text: str, limit: int = 200) -> str:
    """Network text made safe for a finding: control characters replaced, length capped."""
    cleaned = _CONTROL.sub(" ", text).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def hostname_matches(host: str, sans: Sequence[str]) -> bool:
    """Whether a name in `sans` covers `host` (RFC 6125: `*` only as the whole left-most label)."""
    wanted = host.rstrip(".").lower()
    return bool(wanted) and any(_name_matches(wanted, san.rstrip(".").lower()) for san in sans)


def _name_matches(host: str, san: str) -> bool:
    if not san.startswith("*."):
        return "*" not in san and san == host
    suffix = san[2:]
    first, _, rest = host.partition(".")
    return "*" not in suffix and "." in suffix and bool(first) and rest == suffix


def endpoint(address: str, port: int = 443) -> str:
    """`address:port`, with IPv6 addresses in brackets."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def days_left(not_after: dt.datetime, now: dt.datetime) -> int:
    """Whole days from `now` until `not_after`, negative once expired."""
    return int((not_after - now).total_seconds() // 86400)


def _ago(not_after: dt.datetime, now: dt.datetime) -> str:
    """ ", N days ago" for an expired certificate, counting whole days elapsed."""
    elapsed = int((now - not_after).total_seconds() // 86400)
    return (
        ", earlier today" if elapsed == 0 else f", {elapsed} day{'s' if elapsed != 1 else ''} ago"
    )


def parse_certificate(der: bytes) -> CertificateInfo:
    """Read the operator-relevant fields of a DER certificate; raises ValueError when malformed."""
    cert = x509.load_der_x509_certificate(der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = _attribute_text(names[0].value) if names else None
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = tuple(clean_text(name) for name in extension.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        sans = ()
    return CertificateInfo(
        subject_cn=common_name,
        issuer=clean_text(cert.issuer.rfc4514_string()),
        sans=sans,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        serial=format(cert.serial_number, "X"),
    )


def _attribute_text(value: str | bytes) -> str:
    return clean_text(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)


def _client_context(ca_bundle: str | None, *, verify: bool) -> ssl.SSLContext:
    """A client context on the system store (or only `ca_bundle`); the name is checked by us."""
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = (
        ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    )
    context.check_hostname = False
    return context


def _handshake(
    host: str, address: str, port: int, ctx: CheckContext, context: ssl.SSLContext
) -> bytes:
    """Dial and handshake within one `connect_timeout` deadline; returns the DER certificate."""
    deadline = time.monotonic() + ctx.connect_timeout
    try:
        sock: socket.socket = ctx.dialer(address, port, ctx.connect_timeout)
    except OSError as error:
        raise _DialError(error) from error
    with sock:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True) or b""


def probe_tls(host: str, address: str, ctx: CheckContext, port: int = 443) -> TlsProbe:
    """Handshake with `address` using SNI `host`, verify the chain, and judge the certificate."""
    try:
        context = _client_context(ctx.ca_bundle, verify=True)
    except OSError as error:  # ssl.SSLError is an OSError
        return _failed(
            address, "not_checked", f"cannot load the CA bundle {ctx.ca_bundle}: {error}"
        )
    try:
        der = _handshake(host, address, port, ctx, context)
    except _DialError as error:
        return _failed(address, "unreachable", describe_error(error.cause, "no connection"))
    except ssl.SSLCertVerificationError as error:
        return _judge(host, address, _read_unverified(host, address, port, ctx), ctx, error)
    except OSError as error:
        return _failed(address, "handshake_failed", describe_error(error, "handshake failed"))
    return _judge(host, address, der, ctx, None)


def _read_unverified(host: str, address: str, port: int, ctx: CheckContext) -> bytes:
    """Handshake again without verification, only to read the certificate as evidence."""
    try:
        return _handshake(host, address, port, ctx, _client_context(None, verify=False))
    except (_DialError, OSError):
        return b""


def describe_error(error: OSError, fallback: str = "connection failed") -> str:
    """A short reason for an operator: `Connection refused`, `wrong version number`, `timed out`."""
    if isinstance(error, TimeoutError):
        return "timed out waiting for the server"
    text = str(error) if isinstance(error, ssl.SSLError) else error.strerror or str(error)
    return clean_text(_SSL_SOURCE.sub("", text)) or fallback


def _failed(address: str, outcome: str, error: str) -> TlsProbe:
    return TlsProbe(
        address=address,
        outcome=outcome,
        certificate=None,
        error=clean_text(error),
        verified=False,
        problems=(outcome,),
    )


def _judge(
    host: str,
    address: str,
    der: bytes,
    ctx: CheckContext,
    verify_error: ssl.SSLCertVerificationError | None,
) -> TlsProbe:
    """Classify one handshake's certificate into its problems, worst first."""
    error = (
        "" if verify_error is None else f"certificate verify failed: {verify_error.verify_message}"
    )
    try:
        certificate = parse_certificate(der) if der else None
    except ValueError as parse_error:
        certificate, error = None, f"{error}; unreadable certificate: {parse_error}".lstrip("; ")
    now = ctx.clock()
    code = None if verify_error is None else verify_error.verify_code
    problems = evaluate_certificate(host, certificate, now, code, ctx.expiry_warning_days)
    return TlsProbe(
        address=address,
        outcome=problems[0] if problems else "ok",
        certificate=certificate,
        error=clean_text(error),
        verified=verify_error is None,
        problems=problems,
        days_left=days_left(certificate.not_after, now) if certificate else None,
    )


def evaluate_certificate(
    host: str,
    certificate: CertificateInfo | None,
    now: dt.datetime,
    verify_code: int | None,
    warning: int,
) -> tuple[str, ...]:
    """The problems of one certificate, worst first; `verify_code` is None when it verified."""
    expired = verify_code == _EXPIRED_CODE or (
        certificate is not None and certificate.not_after <= now
    )
    problems = ["untrusted"] if verify_code not in (None, _EXPIRED_CODE) else []
    problems += ["expired"] if expired else []
    if certificate is not None and not hostname_matches(host, certificate.sans):
        problems.append("hostname_mismatch")
    if certificate is not None and not expired and days_left(certificate.not_after, now) < warning:
        problems.append("expiring")
    return tuple(problems)


def check_tls(
    host: str, addresses: Sequence[str], ctx: CheckContext
) -> tuple[tuple[Finding, ...], tuple[TlsProbe, ...]]:
    """Probe every address in parallel (each bounded by `connect_timeout`); merge the findings."""
    unique = tuple(dict.fromkeys(addresses))
    if not unique:
        return (), ()
    with ThreadPoolExecutor(max_workers=min(len(unique), _MAX_PARALLEL)) as pool:
        probes = tuple(pool.map(lambda address: probe_tls(host, address, ctx), unique))
    return explain_probes(host, probes, ctx), probes


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
    severity, title, detail, fix = _TEXTS["unreachable_some" if partial else outcome]
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
