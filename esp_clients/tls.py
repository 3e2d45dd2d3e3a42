"""Which certificate authorities the ESP API calls trust, and how a certificate failure reads.

By default the operating system's trust store (through `truststore`): a corporate network's
TLS-inspecting proxy is trusted exactly when the machine trusts it, as browsers and curl do, where
certifi's bundle would not know it. A CA bundle given with `--ca-bundle` (or the inventory's
`ca_bundle`), else `SSL_CERT_FILE` / `SSL_CERT_DIR`, replaces the system store.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping

import httpx
import truststore


def api_tls_context(
    ca_bundle: str | None = None, environ: Mapping[str, str] | None = None
) -> ssl.SSLContext:
    """The client context for ESP APIs: `ca_bundle`, else SSL_CERT_FILE / SSL_CERT_DIR from
    `environ` (the process environment by default), else the system trust store."""
    env = os.environ if environ is None else environ
    cafile = ca_bundle or env.get("SSL_CERT_FILE") or None
    capath = None if ca_bundle else env.get("SSL_CERT_DIR") or None
    return _context(cafile, capath)


@functools.lru_cache(maxsize=8)
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """One context per trust setting, shared by every client (contexts are thread-safe to use)."""
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def certificate_failure(error: BaseException) -> str | None:
    """What the TLS library said when `error` (an httpx.ConnectError, say) comes from a
    certificate the trust store does not accept, else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return getattr(current, "verify_message", None) or str(current)
        current = current.__cause__ or current.__context__
    text = str(error)
    if isinstance(error, httpx.TransportError) and "CERTIFICATE_VERIFY_FAILED" in text:
        return text.split("certificate verify failed:", 1)[-1].strip(" )") or "verify failed"
    return None
