"""Registered-domain helpers over the Public Suffix List bundled with `publicsuffixlist`."""

from __future__ import annotations

import functools
import ipaddress
import threading

from publicsuffixlist import PublicSuffixList

from checks.names import normalize

_LOCK = threading.Lock()
_INSTANCES: dict[str, PublicSuffixList] = {}


def _suffix_list() -> PublicSuffixList:
    """The ICANN section of the bundled list, parsed once per process (parsing takes ~50 ms)."""
    with _LOCK:
        if "icann" not in _INSTANCES:
            _INSTANCES["icann"] = PublicSuffixList(only_icann=True)
        return _INSTANCES["icann"]


def is_ip_literal(host: str) -> bool:
    """Whether `host` is an IPv4 or IPv6 address (brackets allowed), not a name."""
    name = host.rstrip(".")
    if name[-1:].isalpha() and ":" not in name:  # the common case, without an exception
        return False  # an IPv4 address ends in a digit, an IPv6 one has colons
    try:
        ipaddress.ip_address(normalize(host).strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=16384)
def registered_domain(host: str) -> str | None:
    """The registrable domain of `host` (``links.brand.co.uk`` → ``brand.co.uk``).

    None for an IP literal, an empty name or a public suffix itself (``co.uk``). Remembered: a
    scan asks it of every host several times (interleaving, zone cuts, every blocklist).
    """
    name = normalize(host)
    if not name or is_ip_literal(name):
        return None
    found = _suffix_list().privatesuffix(name)
    return normalize(found) if isinstance(found, str) else None


def is_apex(host: str) -> bool:
    """Whether `host` is its own registered domain (``brand.com``, not ``links.brand.com``)."""
    name = normalize(host)
    return bool(name) and registered_domain(name) == name
