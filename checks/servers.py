"""Resolver addresses as users write them (``IP``, ``IP:PORT``, ``[IPv6]:PORT``), parsed and shown
without dnspython, so that reading an inventory does not load the DNS machinery."""

from __future__ import annotations

import ipaddress

Server = tuple[str, int]


def parse_server(text: str, default_port: int = 53) -> Server:
    """Parse ``IP``, ``IP:PORT`` or ``[IPv6]:PORT``; raise ValueError with a clear message."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _parse_port(rest.lstrip(":"), text)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _parse_port(port_text, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"resolver {text!r} is not an IP address (IP, IP:PORT or [IPv6]:PORT)"
        ) from None
    return host, port


def _parse_port(port_text: str, whole: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"resolver {whole!r} has an invalid port")
    return int(port_text)


def server_text(address: str, port: int) -> str:
    """A server as findings show it: ``IP``, ``IP:PORT`` or ``[IPv6]:PORT``."""
    shown = f"[{address}]" if ":" in address else address
    return shown if port == 53 else f"{shown}:{port}"
