"""Keeping API keys out of what is shown, and off the wire in clear: each form a key takes in text
(itself, URL-encoded, inside an HTTP Basic value), the credentials inside an API address, and which
addresses may carry a key at all."""

from __future__ import annotations

import base64
import ipaddress
import urllib.parse
from collections.abc import Sequence

MIN_BASE64_CORE = 8
"""Shorter base64 cores are not redacted: they would match ordinary text."""


def base64_cores(secret: str) -> tuple[str, ...]:
    """The base64 characters that encode `secret` wherever it sits in a longer encoded value, one
    per alignment (three): an HTTP Basic value (base64 of `api:KEY` for Mailgun) holds one of them
    whatever the user name. The characters at the edges, which also encode the neighbours, are left
    out."""
    data = secret.encode()
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        first = -(-8 * shift // 6)  # the first character made of the secret's bits only
        last = 8 * (shift + len(data)) // 6  # one past the last such character
        core = encoded[first:last]
        if len(core) >= MIN_BASE64_CORE:
            cores.append(core)
    return tuple(cores)


def secret_forms(secret: str) -> tuple[str, ...]:
    """`secret` as it can appear in text: itself, URL-encoded, and inside base64 (Basic auth)."""
    if not secret:
        return ()
    return (secret, urllib.parse.quote(secret, safe=""), *base64_cores(secret))


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret (also URL-encoded, or inside a base64 value) replaced by `***`."""
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, "***")
    return text


def without_userinfo(url: str) -> str:
    """`url` with any `user:password@` removed: what may be shown of an API address."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def url_secrets(url: str) -> tuple[str, ...]:
    """The user name and password inside `url`, if any (never shown)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ()
    user = parts.username if parts.username and len(parts.username) >= MIN_BASE64_CORE else None
    return tuple(part for part in (user, parts.password) if part)


def is_loopback_url(url: str) -> bool:
    """Whether `url`'s host is this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_api_problem(url: str, *, allowed: bool) -> str | None:
    """Why `url` may not carry an API key, or None: plain http sends the key in clear to every
    network in between, so only loopback (a local proxy or test server) or an explicit opt-in
    (`allow_insecure_api = true`) may use it."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "it is not a URL"
    if parts.scheme.lower() != "http" or allowed or is_loopback_url(url):
        return None
    return (
        "plain http:// would send the API key in clear to every network on the way; use https://, "
        "or set allow_insecure_api = true in this account if the path is private (an internal proxy)"
    )
