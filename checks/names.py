"""Host names as trackdeck accepts them, from the command line, an inventory or an email: one rule."""

from __future__ import annotations

import ipaddress
import re

import idna

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalize(name: str) -> str:
    """Lower-case `name` without the trailing dot, the form every check compares (no validation)."""
    return name.strip().rstrip(".").lower()


def normalize_host(raw: str) -> str:
    """`raw` as a lower-case ASCII DNS name without a trailing dot; ValueError says what is wrong,
    worded as "it …" so that callers can name the value first."""
    host = raw.strip().removesuffix(".")
    if not host:
        raise ValueError("it is empty")
    if host.lower().startswith(("http://", "https://")) or "/" in host:
        raise ValueError("it is a URL, not a host name (give just the host, e.g. links.brand.com)")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValueError("it is an IP address; tracking hosts are DNS names")
    if not host.isascii():
        try:
            host = to_ascii(host)
        except UnicodeError:
            raise ValueError("it is not a valid internationalised name") from None
    return _check_labels(host.lower())


def to_ascii(name: str) -> str:
    """`name` in lower-case A-labels by IDNA 2008 with the UTS 46 mapping (non-transitional:
    `straße` stays `xn--strae-oqa`, where the IDNA 2003 codec would make it `strasse`, another
    domain); ASCII labels stay as they are (underscores too). UnicodeError when it cannot be one."""
    mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
    return ".".join(
        label if label.isascii() else idna.alabel(label).decode("ascii")
        for label in mapped.split(".")
    )


def server_name(host: str) -> str:
    """`host` as the name a TLS handshake (SNI) and an HTTP Host header carry: as it is when ASCII,
    else its A-labels by `to_ascii`, so that Python's IDNA 2003 codec never picks the name (it
    would send `strasse` for `straße`). ValueError naming `host` when it cannot be one."""
    if host.isascii():
        return host
    try:
        return to_ascii(host)
    except UnicodeError:
        raise ValueError(
            f"{host[:80]!r} is not a valid internationalised name (IDNA 2008), so no server name "
            "can be sent for it"
        ) from None


def unicode_form(host: str) -> str | None:
    """The Unicode form of an A-label `host` (`links.xn--strae-oqa.de` → `links.straße.de`) when it
    differs, else None; a label that is not a valid A-label leaves the host as it is."""
    if "xn--" not in host.lower():
        return None
    try:
        shown = ".".join(
            idna.ulabel(label) if label.lower().startswith("xn--") else label
            for label in host.split(".")
        )
    except UnicodeError:
        return None
    return shown if shown != host else None


def display_host(host: str) -> str:
    """`host` for people: the A-label with its Unicode form beside it when they differ."""
    shown = unicode_form(host)
    return f"{host} ({shown})" if shown else host


def _check_labels(host: str) -> str:
    if len(host) > 253:
        raise ValueError("it is longer than 253 characters")
    labels = host.split(".")
    if len(labels) < 2:
        raise ValueError("it needs at least two labels, like links.example.com")
    for label in labels:
        if not label:
            raise ValueError("it has an empty label")
        if len(label) > 63:
            raise ValueError("a label is longer than 63 characters")
        if not _LABEL.fullmatch(label):
            raise ValueError(f"label {label!r} may hold only letters, digits and inner hyphens")
    if labels[-1].isdigit():
        raise ValueError("its last label is numeric")
    return host


def host_of(raw: str) -> str:
    """The host of a pasted URL (``https://links.brand.com/ls/click?…``, with or without its scheme)
    or of a plain name, normalised; ValueError as `normalize_host`."""
    text = raw.strip()
    if "://" in text:
        netloc = text.split("://", 1)[1]
    elif "/" in text or "?" in text:
        netloc = text
    else:
        return normalize_host(text)
    authority = re.split(r"[/?#]", netloc, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return normalize_host(host)
