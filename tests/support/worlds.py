"""The loopback worlds the tests share: a resolver and an authoritative server over the test zones,
a TLS world, and a CheckContext wired to them. Nothing here can reach the internet."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace

import dns.zone

from checks.context import BlocklistSettings, CheckContext
from checks.dnsclient import AnswerCache, DnsClient
from tests.support.data import ZONES
from tui.sim.certificates import TestCertificates
from tui.sim.dns_server import DnsServer
from tui.sim.tls_world import TlsWorld
from tui.sim.zones import load_zones, zones_from_text

FIXED_NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
AUTH_ADDRESS = "127.0.0.2"

AUTHORITATIVE_CHANGES = {
    "brand.example": ("stale IN CNAME mailgun.org.", "stale IN CNAME eu.mailgun.org."),
}
"""Where the authoritative copy differs from what the resolver has cached (dns.not_propagated)."""


def world_zones() -> dict[str, dns.zone.Zone]:
    """Every zone of the test world: brands, ESP stand-ins and blocklists."""
    zones = load_zones(ZONES / "world")
    blocklists = ZONES / "blocklists"
    if blocklists.is_dir():
        zones.update(load_zones(blocklists))
    return zones


def authoritative_zones() -> dict[str, dns.zone.Zone]:
    """The zones as their own name servers hold them (newer than the resolver's cache)."""
    texts: dict[str, str] = {}
    for path in sorted((ZONES / "world").glob("*.zone")):
        origin = path.name.removesuffix(".zone")
        text = path.read_text()
        old, new = AUTHORITATIVE_CHANGES.get(origin, ("", ""))
        texts[origin] = text.replace(old, new) if old else text
    return zones_from_text(texts)


def free_port_on(*addresses: str) -> int:
    """A port number free for UDP and TCP on every one of `addresses`."""
    for _attempt in range(50):
        with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        if all(_free(address, port) for address in addresses):
            return port
    raise RuntimeError("no free port on loopback")


def _free(address: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with closing(socket.socket(socket.AF_INET, kind)) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsWorld:
    """A recursive server on 127.0.0.1 and the zones' authoritative server on 127.0.0.2."""

    resolver: DnsServer
    authoritative: DnsServer

    def context(self, *, timeout: float = 0.5, **changes: object) -> CheckContext:
        """A CheckContext asking these servers (TLS refused unless a dialer is given)."""
        cache = AnswerCache()
        ctx = CheckContext(
            resolver=DnsClient([self.resolver.server], timeout=timeout, cache=cache),
            blocklist_resolver=DnsClient([self.resolver.server], timeout=timeout, cache=cache),
            authoritative_port=self.authoritative.port,
            authoritative_timeout=timeout,
            dialer=_refuse,
            connect_timeout=1.0,
            clock=lambda: FIXED_NOW,
            blocklists=BlocklistSettings(enabled=False),
        )
        return replace(ctx, **changes)  # type: ignore[arg-type]  # **changes: checked at run time by replace()


def _refuse(address: str, port: int, timeout: float) -> socket.socket:
    raise ConnectionRefusedError(f"test dialer: {address}:{port} is not part of the test world")


@contextmanager
def dns_world(zones: Mapping[str, dns.zone.Zone] | None = None) -> Iterator[DnsWorld]:
    """Start both servers; stop them on exit."""
    port = free_port_on("127.0.0.1", AUTH_ADDRESS)
    resolver = DnsServer(zones or world_zones(), host="127.0.0.1", port=0)
    authoritative = DnsServer(
        authoritative_zones(), host=AUTH_ADDRESS, port=port, authoritative=True
    )
    with resolver, authoritative:
        yield DnsWorld(resolver=resolver, authoritative=authoritative)


@contextmanager
def tls_world() -> Iterator[TlsWorld]:
    """A TLS world with a fresh test CA."""
    certificates = TestCertificates()
    try:
        with TlsWorld(certificates) as world:
            yield world
    finally:
        certificates.cleanup()
