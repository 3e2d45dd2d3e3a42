"""One TLS probe: a handshake on 443 with SNI at one address, and what its certificate says."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from checks.context import CheckContext
from checks.names import server_name

_EXPIRED_CODE = 10  # OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
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
    """A client context on the system store (or only `ca_bundle`); the name is checked by us.

    Contexts are shared by every probe of the process (loading the system store takes ~20 ms): a
    bundle is reloaded when its size or modification time changes."""
    if not verify:
        return _unverified_context()
    if ca_bundle is None:
        return _verified_context(None, (0, 0))
    try:
        stat = os.stat(ca_bundle)
    except OSError:
        return _load_context(ca_bundle)  # raises the error the probe reports
    return _verified_context(ca_bundle, (stat.st_mtime_ns, stat.st_size))


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@functools.lru_cache(maxsize=8)
def _verified_context(ca_bundle: str | None, _stamp: tuple[int, int]) -> ssl.SSLContext:
    return _load_context(ca_bundle)


def _load_context(ca_bundle: str | None) -> ssl.SSLContext:
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
    """Handshake with `address` using SNI `host` (its A-labels when it is internationalised),
    verify the chain, and judge the certificate."""
    try:
        host = server_name(host)
    except ValueError as error:
        return _failed(address, "not_checked", str(error))
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
