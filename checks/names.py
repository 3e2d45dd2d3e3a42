"""Validating host names given on the command line or in an inventory."""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_host(text: str) -> str:
    """The host in canonical form (lower case, A-labels, no trailing dot); ValueError if invalid."""
    host = text.strip().rstrip(".").lower()
    if not host:
        raise ValueError("empty host name")
    if host.startswith(("http://", "https://")) or "/" in host:
        raise ValueError(
            f"{text!r} is a URL, not a host name (give just the host, e.g. links.brand.com)"
        )
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValueError(f"{text!r} is an IP address; a tracking host is a DNS name")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{text!r} is not a valid host name") from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{text!r} is not a valid host name")
    return host
