"""Simulated Mailgun Domains v4 and x509 v2 APIs: domains, verify, certificates and `web_scheme`.

The tracking host is `web_prefix.name`; `SimDomain.esp_id` is the sending domain (by default the host
without its first label). Like the real API, `web_scheme=https` is refused until the certificate is
active. Certificates are real self-signed PEMs, so the client can read their expiry.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import functools
import urllib.parse
from collections.abc import Mapping

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tui.sim.esp_apis import click_routes
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, reply, route, split_host

X509_WORDS = {"pending": "processing", "active": "active", "failed": "error", "expired": "expired"}
DEFAULT_ERRORS = {
    "pending": "Waiting for x509 key pair generation",
    "failed": "invalid CNAME record",
    "expired": "x509 certificate has expired",
}


def error(status: int, message: str) -> httpx.Response:
    """Mailgun's generic error body: `{"message": ...}`."""
    return reply({"message": message}, status)


def x509_error(status: int, description: str) -> httpx.Response:
    """The x509 API's error body: `{"Description": ...}`."""
    return reply({"Description": description}, status)


def prefix_and_name(domain: SimDomain) -> tuple[str, str]:
    """The `web_prefix` and sending domain name of `domain`."""
    prefix, _ = split_host(domain.host)
    return prefix, domain.key


def _summary(domain: SimDomain) -> dict[str, object]:
    prefix, name = prefix_and_name(domain)
    summary: dict[str, object] = {
        "name": name,
        "state": "active" if domain.verified else "unverified",
        "type": "custom",
        "web_prefix": prefix,
        "web_scheme": "https" if domain.https else "http",
        "is_disabled": False,
        "created_at": "Mon, 06 Jan 2025 10:00:00 GMT",
    }
    if f"{prefix}.{name}" != domain.host:
        summary["tracking_host"] = domain.host
    return summary


def _records(domain: SimDomain) -> list[dict[str, object]]:
    prefix, name = prefix_and_name(domain)
    seen = [domain.target] if domain.cname_valid else ["shared.esp-tracking.example"]
    return [
        {
            "record_type": "TXT",
            "name": name,
            "value": "v=spf1 include:mailgun.org ~all",
            "valid": "valid",
            "is_active": True,
            "cached": [],
        },
        {
            "record_type": "CNAME",
            "name": f"{prefix}.{name}",
            "value": domain.target,
            "valid": "valid" if domain.cname_valid else "invalid",
            "is_active": True,
            "cached": seen,
        },
    ]


def domain_body(domain: SimDomain) -> dict[str, object]:
    """The answer of `GET /v4/domains/{name}`."""
    return {
        "domain": _summary(domain),
        "receiving_dns_records": [],
        "sending_dns_records": _records(domain),
    }


def _list(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    query = request.url.params
    skip = int(query.get("skip", "0") or 0)
    limit = int(query.get("limit", "100") or 100)
    page = state.domains[skip : skip + limit]
    return reply({"total_count": len(state.domains), "items": [_summary(d) for d in page]})


def _get(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["name"])
    return error(404, "Domain not found") if domain is None else reply(domain_body(domain))


def _verify(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["name"])
    if domain is None:
        return error(404, "Domain not found")
    state.verify(domain)
    return reply({"message": "Domain DNS records have been updated", **domain_body(domain)})


def form_fields(request: httpx.Request) -> dict[str, str]:
    """The fields of a multipart/form-data or urlencoded request body."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        pairs = urllib.parse.parse_qsl(request.content.decode("utf-8", "replace"))
        return dict(pairs)
    if not kind.startswith("multipart/form-data"):
        return {}
    raw = f"Content-Type: {kind}\r\n\r\n".encode() + request.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode("utf-8", "replace")
    return fields


def _update(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["name"])
    if domain is None:
        return error(404, "Domain not found")
    scheme = form_fields(request).get("web_scheme")
    if scheme not in (None, "http", "https"):
        return error(400, "web_scheme must be http or https")
    if scheme == "https" and domain.certificate != "active":
        return error(400, f"web_scheme https needs an active certificate for {domain.host}")
    if scheme is not None:
        domain.https = scheme == "https"
    return reply({"message": "Domain has been updated"})


def _generate(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.by_host(params["host"])
    if domain is None:
        return x509_error(404, "domain not found")
    if domain.certificate == "pending":
        return x509_error(429, "x509 generation job is already in progress")
    if domain.certificate in ("active", "expired"):
        return x509_error(409, "x509 certificate generation already initiated")
    if not domain.cname_valid:
        return reply({"Reason": "invalid CNAME record"}, 400)
    state.start_certificate(domain)
    location = f"/v2/x509/{domain.host}/status"
    return reply({"message": "x509 generation started", "location": location}, 202)


def _regenerate(
    state: SimState, request: httpx.Request, params: Mapping[str, str]
) -> httpx.Response:
    domain = state.by_host(params["host"])
    if domain is None or domain.certificate == "none":
        return x509_error(404, "certificate not found")
    if domain.certificate == "pending":
        return x509_error(429, "x509 generation job is already in progress")
    if domain.certificate == "active":
        return x509_error(409, "x509 certificate is still valid")
    state.start_certificate(domain)
    return reply({"message": "x509 regeneration started"}, 202)


def _status(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.by_host(params["host"])
    if domain is None or domain.certificate == "none":
        return x509_error(404, "certificate not found")
    status = state.read_certificate(domain)
    body: dict[str, object] = {"status": X509_WORDS[status], "error": ""}
    if status != "active":
        body["error"] = domain.problems[0] if domain.problems else DEFAULT_ERRORS[status]
    if status in ("active", "expired"):
        body["certificate"] = certificate_pem(domain.host, expired=status == "expired")
    return reply(body)


@functools.lru_cache(maxsize=256)
def certificate_pem(host: str, *, expired: bool) -> str:
    """A self-signed PEM certificate for `host`, valid for 90 days (or expired yesterday)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(days=91 if expired else 1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
    )
    certificate = builder.sign(key, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def sending_domain(domain: SimDomain, index: int, account: str, taken: frozenset[str]) -> str:
    """The host without its first label; `mgN.` before it when another domain has that name.

    Mailgun allows one tracking host per sending domain, so extra hosts under one brand domain get a
    sending domain of their own and are served as its custom `tracking_host`.
    """
    base = split_host(domain.host)[1]
    candidates = [base] + [f"mg{n if n > 1 else ''}.{base}" for n in range(1, len(taken) + 2)]
    return next(name for name in candidates if name.lower() not in taken)


def basic_password(request: httpx.Request) -> str:
    """The password of the request's HTTP Basic credentials (empty when there are none)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def _target(region: str) -> str:
    return "eu.mailgun.org" if region == "eu" else "mailgun.org"


SHAPE = EspShape(
    esp="mailgun",
    prefix="",
    default_region="us",
    routes=(
        route("GET", "/v4/domains", _list),
        route("GET", "/v4/domains/{name}", _get),
        route("PUT", "/v4/domains/{name}", _update),
        route("PUT", "/v4/domains/{name}/verify", _verify),
        route("POST", "/v2/x509/{host}", _generate),
        route("PUT", "/v2/x509/{host}", _regenerate),
        route("GET", "/v2/x509/{host}/status", _status),
        *click_routes.MAILGUN,
    ),
    authorized=lambda request, state: basic_password(request) != "",
    unauthorized=lambda state: error(401, "Invalid private key"),
    error=error,
    default_target=_target,
    default_id=sending_domain,
)
