"""Cloudflare's published anycast ranges, bundled so the check needs no fetch at run time.

Source: https://www.cloudflare.com/ips-v4 and /ips-v6 as copied in ../shared/reference/dns-checks.md §3.2.
Cloudflare adds ranges to that list before using them, so an old copy can miss a new range: update it
with each release.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

CLOUDFLARE_RANGES_AS_OF = "2025"

_RANGES_V4 = (
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
    "141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
    "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
    "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
)  # fmt: skip
_RANGES_V6 = (
    "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32",
    "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
)  # fmt: skip

CLOUDFLARE_NETWORKS = tuple(ipaddress.ip_network(cidr) for cidr in _RANGES_V4 + _RANGES_V6)


def is_cloudflare(address: str) -> bool:
    """Whether `address` lies in one of Cloudflare's published anycast ranges."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in CLOUDFLARE_NETWORKS)


def all_cloudflare(addresses: Iterable[str]) -> bool:
    """Whether there is at least one address and every one is Cloudflare's."""
    listed = list(addresses)
    return bool(listed) and all(is_cloudflare(address) for address in listed)
