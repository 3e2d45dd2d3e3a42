"""The HTTP check: one `GET /` over TLS to the tracking host, looking for 5xx and proxy error pages."""

from __future__ import annotations

import re
import ssl
import time
from dataclasses import dataclass, replace

from checks.context import CheckContext
from checks.model import Finding, Severity, ok
from checks.names import server_name
from checks.tls_probe import clean_text, describe_error, endpoint

MAX_BODY = 64 * 1024
_MAX_HEAD = 16 * 1024
_UNSAFE = re.compile(r"[\x00-\x20\x7f]+")
_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})(?:\s|$)")
_CLOUDFLARE_CODE = (
    re.compile(r"cf-error-code[^>]*>\s*(1\d{3})\b", re.IGNORECASE),
    re.compile(r"\berror(?:\s+code)?\s*:?\s*(1\d{3})\b", re.IGNORECASE),
)
CLOUDFLARE_ERRORS = {
    1000: "DNS points to a prohibited IP",
    1001: "DNS resolution error",
    1002: "DNS points to a prohibited IP",
    1003: "direct IP access not allowed",
    1004: "host not configured to serve web traffic",
    1014: "CNAME cross-user banned",
    1016: "origin DNS error",
    1018: "could not find host",
    1020: "access denied by a firewall rule",
}
"""The Cloudflare 1xxx errors a proxied tracking CNAME can show, with Cloudflare's own names."""
_CLOUDFLARE_WHY = {
    1014: " The record is proxied (orange cloud) and its CNAME points into another Cloudflare "
    "account, the ESP's, which Cloudflare forbids.",
    1016: " The record is proxied and Cloudflare cannot resolve the origin it points to.",
}
_GREY_CLOUD = (
    "In Cloudflare DNS, set the record for {host} to DNS only (grey cloud) so the CNAME reaches "
    "the ESP directly."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpProbe:
    """What `GET /` on one address answered; `status` is None when no complete head arrived."""

    address: str
    status: int | None
    server: str | None
    cf_ray: str | None
    cloudflare_error: int | None
    error: str
    status_line: str = ""
    location: str | None = None

    @property
    def via_cloudflare(self) -> bool:
        """Whether Cloudflare served the answer (a CF-Ray header or `Server: cloudflare`)."""
        return bool(self.cf_ray) or "cloudflare" in (self.server or "").lower()


def parse_cloudflare_error(body: str) -> int | None:
    """The 1xxx code of a Cloudflare error page ("Error 1014", "error code: 1016"), if any."""
    for pattern in _CLOUDFLARE_CODE:
        match = pattern.search(body)
        if match:
            return int(match.group(1))
    return None


def dechunk(body: bytes) -> bytes:
    """Decode a chunked body as far as it is well-formed (enough to search it)."""
    decoded, rest = bytearray(), body
    while rest:
        size_line, separator, rest = rest.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            return bytes(decoded) or body
        if not separator or size == 0:
            break
        decoded += rest[:size]
        rest = rest[size + 2 :]
    return bytes(decoded)


def probe_http(
    host: str, address: str, ctx: CheckContext, port: int = 443, path: str = "/"
) -> HttpProbe:
    """Send `GET path` to `address` with Host (and SNI) `host`, its A-labels when it is
    internationalised; everything within one `connect_timeout`."""
    try:
        host = server_name(host)
    except ValueError as error:
        return _no_answer(address, f"not asked: {error}")
    deadline = time.monotonic() + ctx.connect_timeout
    try:
        raw, timed_out = _exchange(host, address, port, path, ctx, deadline=deadline)
    except OSError as error:  # ssl.SSLError is an OSError
        return _no_answer(address, f"no HTTP answer: {describe_error(error)}")
    return parse_response(address, raw, timed_out=timed_out, timeout=ctx.connect_timeout)


def _exchange(
    host: str, address: str, port: int, path: str, ctx: CheckContext, *, deadline: float
) -> tuple[bytes, bool]:
    """Connect, handshake without verification (TLS is judged by the TLS check), send, read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with ctx.dialer(address, port, ctx.connect_timeout) as sock:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        with context.wrap_socket(sock, server_hostname=host) as tls:
            tls.sendall(build_request(host, path))
            return _read_response(tls, deadline)


def build_request(host: str, path: str) -> bytes:
    """The request bytes; control characters and spaces are dropped so nothing can be injected."""
    host, path = _UNSAFE.sub("", host), _UNSAFE.sub("", path) or "/"
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: trackdeck\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    )
    return request.encode("ascii", "replace")


def _read_response(tls: ssl.SSLSocket, deadline: float) -> tuple[bytes, bool]:
    """Read until the answer is complete, the peer closes, or the deadline; True when timed out."""
    data = bytearray()
    while not _complete(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(data), True
        tls.settimeout(remaining)
        try:
            chunk = tls.recv(16384)
        except TimeoutError:
            return bytes(data), True
        except OSError:
            if not data:
                raise
            break  # a peer closing without close_notify after answering is common
        if not chunk:
            break
        data += chunk
    return bytes(data), False


def _complete(data: bytes | bytearray) -> bool:
    """Whether `data` holds a whole answer (framed by length or chunks) or as much as we read."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return len(data) > _MAX_HEAD
    head, body = bytes(data[:head_end]).lower(), data[head_end + 4 :]
    if len(body) >= MAX_BODY:
        return True
    length = re.search(rb"\ncontent-length:\s*(\d+)", head)
    if length:
        return len(body) >= int(length.group(1))
    return b"chunked" in head and bytes(body).endswith(b"0\r\n\r\n")


def parse_response(address: str, raw: bytes, *, timed_out: bool, timeout: float) -> HttpProbe:
    """Turn the bytes read into a probe: status, the headers we care about, a Cloudflare code."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        why = f"within {timeout:g}s" if timed_out else "before the connection closed"
        return _no_answer(address, f"no complete HTTP answer {why}", _first_line(raw))
    lines = head.decode("latin-1").split("\r\n")
    status_line = clean_text(lines[0], 160)
    match = _STATUS_LINE.match(lines[0])
    if match is None or not 100 <= int(match.group(1)) <= 599:
        return _no_answer(address, "the answer is not HTTP", status_line)
    headers = _headers(lines[1:])
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = dechunk(body)
    probe = HttpProbe(
        address=address,
        status=int(match.group(1)),
        server=_optional(headers.get("server")),
        cf_ray=_optional(headers.get("cf-ray")),
        cloudflare_error=None,
        error="",
        status_line=status_line,
        location=_optional(headers.get("location"), 300),
    )
    return _with_cloudflare_error(probe, body[:MAX_BODY].decode("utf-8", "replace"))


def _with_cloudflare_error(probe: HttpProbe, body: str) -> HttpProbe:
    """Read a 1xxx code only from an error answer that Cloudflare plausibly produced."""
    from_cloudflare = probe.via_cloudflare or "cloudflare" in body.lower()
    if probe.status is None or probe.status < 400 or not from_cloudflare:
        return probe
    code = parse_cloudflare_error(body)
    return probe if code is None else replace(probe, cloudflare_error=code)


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in lines:
        name, separator, value = line.partition(":")
        if separator:
            headers.setdefault(name.strip().lower(), value.strip())
    return headers


def _optional(value: str | None, limit: int = 120) -> str | None:
    return None if value is None else clean_text(value, limit)


def _first_line(raw: bytes) -> str:
    return clean_text(raw.split(b"\r\n", 1)[0].decode("latin-1"), 160)


def _no_answer(address: str, error: str, status_line: str = "") -> HttpProbe:
    return HttpProbe(
        address=address,
        status=None,
        server=None,
        cf_ray=None,
        cloudflare_error=None,
        error=clean_text(error),
        status_line=status_line,
    )


def check_http(host: str, address: str, ctx: CheckContext) -> tuple[tuple[Finding, ...], HttpProbe]:
    """Ask `address` for `https://host/` and judge the answer."""
    probe = probe_http(host, address, ctx)
    return (explain_http(host, probe),), probe


def explain_http(host: str, probe: HttpProbe) -> Finding:
    """One finding for one answer: unknown without an answer, fail on 5xx or a proxy error page."""
    evidence = _evidence(host, probe)
    if probe.status is None:
        return Finding(
            code="http.error",
            severity=Severity.UNKNOWN,
            title=probe.error,
            detail=(
                f"GET https://{host}/ at {probe.address}: {probe.error}. Whether tracked links "
                "redirect is unknown."
            ),
            fix=f"Re-check; if it persists, ask the ESP why {probe.address} does not answer HTTPS.",
            evidence=evidence,
        )
    if probe.cloudflare_error is not None:
        return _cloudflare_finding(host, probe, probe.cloudflare_error, evidence)
    if probe.status >= 500:
        return _server_error_finding(host, probe, evidence)
    title = f"HTTPS answers {probe.status}"
    if probe.location:
        title += f" (redirect to {clean_text(probe.location, 80)})"
    detail = (
        f"https://{host}/ answers '{probe.status_line}'. A tracking host normally answers 404 or "
        "a redirect on /, which is fine: only tracked link paths redirect to your pages."
    )
    return ok("http.ok", title, detail, evidence)


def _cloudflare_finding(
    host: str, probe: HttpProbe, code: int, evidence: tuple[str, ...]
) -> Finding:
    meaning = CLOUDFLARE_ERRORS.get(code)
    named = f"{code} ({meaning})" if meaning else str(code)
    fix = _GREY_CLOUD.format(host=host)
    if code not in _CLOUDFLARE_WHY:
        fix += f" If this ESP requires the proxy, fix the Cloudflare setting behind error {code}."
    return Finding(
        code="http.error",
        severity=Severity.FAIL,
        title=f"Cloudflare error {code}: {meaning}" if meaning else f"Cloudflare error {code}",
        detail=(
            f"https://{host}/ at {probe.address} answers '{probe.status_line}' with Cloudflare's "
            f"error page {named}: every tracked link shows this page instead of redirecting."
            f"{_CLOUDFLARE_WHY.get(code, '')}"
        ),
        fix=fix,
        evidence=evidence,
    )


def _server_error_finding(host: str, probe: HttpProbe, evidence: tuple[str, ...]) -> Finding:
    via = ""
    fix = (
        f"Report the {probe.status} answer to the ESP's support, with the time, {probe.address} "
        "and the status line below."
    )
    if probe.via_cloudflare:
        via = f" Cloudflare answered (CF-Ray {probe.cf_ray or 'absent'})."
        fix = (
            f"If the ESP does not require a proxy, set the record for {host} to DNS only (grey "
            "cloud) in Cloudflare; otherwise check the proxy's origin and SSL settings."
        )
    return Finding(
        code="http.error",
        severity=Severity.FAIL,
        title=f"HTTPS answers {probe.status}",
        detail=(
            f"https://{host}/ at {probe.address} answers '{probe.status_line}': the tracking server "
            f"fails, so tracked links show an error page instead of redirecting.{via}"
        ),
        fix=fix,
        evidence=evidence,
    )


def _evidence(host: str, probe: HttpProbe) -> tuple[str, ...]:
    lines = [f"GET https://{host}/ at {endpoint(probe.address)}"]
    lines += [f"status line: {probe.status_line}"] if probe.status_line else []
    named = (("Server", probe.server), ("CF-Ray", probe.cf_ray), ("Location", probe.location))
    lines += [f"{name}: {value}" for name, value in named if value]
    lines += [f"error: {probe.error}"] if probe.error else []
    return tuple(lines)
