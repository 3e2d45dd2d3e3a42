"""The demo world: the demo fleet's zones on a loopback resolver and name server, and its HTTPS hosts in
a TLS world, so `trackdeck demo` (and the dashboard and screenshots) show every failure mode offline.

The resolver (127.0.0.1) answers from `demo_zones/` as a recursive resolver would; the name server
(127.0.0.2) holds the zones' authoritative copy, which differs where a zone file says so: a line
ending in ``; resolver-only`` is only in the resolver's (stale) view, and a line starting with
``;authoritative:`` is only in the name server's. Nothing listens on 127.0.0.3 (a lame name server).
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dns.name
import dns.rdatatype
import dns.zone

from checks.context import BlocklistSettings, CheckContext, utc_now
from checks.engine import Target, scan
from checks.model import Expectation, HostReport
from esp_clients.facts import facts_for
from tui.fleet.expectations import expectation_from_facts
from tui.fleet.network import Environment, NetworkOptions, build_context
from tui.sim.certificates import TestCertificates
from tui.sim.demo_fleet import DEMO_FLEET, EXPIRING_DAYS_LEFT, TIMEOUT_FAULT, DemoHost
from tui.sim.dns_server import DnsServer, Rule
from tui.sim.tls_world import TlsWorld
from tui.sim.zones import resolve, zones_from_text

DEMO_ZONES = Path(__file__).parent / "demo_zones"
DEMO_INVENTORY = Path(__file__).parent / "demo_inventory.toml"
RESOLVER_ADDRESS = "127.0.0.1"
AUTHORITATIVE_ADDRESS = "127.0.0.2"
LAME_ADDRESS = "127.0.0.3"
TIMEOUT = 1.0
"""Seconds per DNS question: short, so the host whose lookups time out does not stall the demo, yet
long enough that a loaded machine answers every other question in time (the snapshots rely on it)."""
RESOLVER_ONLY = "; resolver-only"
AUTHORITATIVE_ONLY = ";authoritative:"


def zone_texts() -> dict[str, str]:
    """Every demo zone file's text, keyed by origin (the file name without ``.zone``)."""
    return {
        path.name.removesuffix(".zone"): path.read_text(encoding="utf-8")
        for path in sorted(DEMO_ZONES.glob("*.zone"))
    }


def authoritative_text(text: str) -> str:
    """A zone's name-server copy: resolver-only lines left out, authoritative-only lines put in."""
    lines = (
        line.removeprefix(AUTHORITATIVE_ONLY).strip()
        if line.startswith(AUTHORITATIVE_ONLY)
        else line
        for line in text.splitlines()
        if RESOLVER_ONLY not in line
    )
    return "\n".join(lines) + "\n"


def resolver_zones() -> dict[str, dns.zone.Zone]:
    """The zones as the loopback resolver serves them."""
    return zones_from_text(zone_texts())


def authoritative_zones() -> dict[str, dns.zone.Zone]:
    """The zones as their own name server holds them."""
    return zones_from_text({origin: authoritative_text(t) for origin, t in zone_texts().items()})


def addresses_of(zones: dict[str, dns.zone.Zone], host: str) -> tuple[str, ...]:
    """The IPv4 addresses `host` resolves to in `zones` (CNAMEs followed), looked up in memory."""
    by_origin = {zone.origin or dns.name.from_text(key): zone for key, zone in zones.items()}
    answer = resolve(by_origin, dns.name.from_text(host), dns.rdatatype.A, authoritative=False)
    return tuple(
        rdata.to_text()
        for rrset in answer.answer
        if rrset.rdtype == dns.rdatatype.A
        for rdata in rrset
    )


def fault_rules(fleet: Sequence[DemoHost]) -> tuple[Rule, ...]:
    """The resolver's fault rules: A and CNAME questions about a timeout host are dropped."""
    hosts = dict.fromkeys(host.host for host in fleet if host.dns_fault == TIMEOUT_FAULT)
    return tuple(
        Rule(name=host, rdtype=rdtype, drop=True) for host in hosts for rdtype in ("A", "CNAME")
    )


def serve_fleet_tls(
    tls: TlsWorld, zones: dict[str, dns.zone.Zone], fleet: Sequence[DemoHost]
) -> None:
    """Serve each host's certificate and behaviour by SNI at every address it resolves to."""
    now = utc_now()  # OpenSSL judges validity by the real clock, so certificates are dated from it
    served: set[str] = set()
    for entry in fleet:
        if entry.tls is None or entry.host in served:
            continue
        served.add(entry.host)
        for address in addresses_of(zones, entry.host):
            tls.add_host(
                address,
                kind=entry.tls,
                host=entry.host,
                behaviour=entry.http,
                now=now,
                expiring_days=EXPIRING_DAYS_LEFT,
            )


def expectation_for(entry: DemoHost) -> Expectation:
    """The expectation built from the host's ESP facts, as the inventory would build it."""
    facts = facts_for(entry.esp)
    if facts is None:
        raise ValueError(f"demo host {entry.host}: unknown ESP {entry.esp!r}")
    return expectation_from_facts(facts)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoWorld:
    """The started demo world: its DNS servers, its TLS world, and how to check the fleet in it."""

    resolver: DnsServer
    authoritative: DnsServer
    tls: TlsWorld
    fleet: tuple[DemoHost, ...] = DEMO_FLEET

    @property
    def dns_text(self) -> str:
        """The resolver as ``IP:PORT``, for the banner and `--resolver`."""
        address, port = self.resolver.server
        return f"{address}:{port}"

    @property
    def tls_count(self) -> int:
        """How many TLS servers run on loopback (each serves several hosts by SNI)."""
        return self.tls.server_count

    @property
    def environment(self) -> Environment:
        """TLS connections go to the TLS world; authoritative questions to the demo name server."""
        return Environment(dialer=self.tls.dialer, authoritative_port=self.authoritative.port)

    def options(self) -> NetworkOptions:
        """The network settings that point every check at this world."""
        return NetworkOptions(
            resolvers=(self.dns_text,),
            blocklist_resolvers=(self.dns_text,),
            ca_bundle=str(self.tls.certificates.ca_bundle_path),
            timeout=TIMEOUT,
        )

    def context(self) -> CheckContext:
        """A CheckContext for this world; the blocklists' public zones are used even when a DQS key
        is set in the environment, since the demo serves only those."""
        ctx = build_context(self.options(), self.environment)
        return dataclasses.replace(ctx, blocklists=BlocklistSettings())

    def targets(self) -> tuple[Target, ...]:
        """The fleet as scan targets, each with the expectation of its ESP, in fleet order."""
        return tuple(
            Target(host=entry.host, expectation=expectation_for(entry)) for entry in self.fleet
        )

    def entry_for(self, report: HostReport) -> DemoHost | None:
        """The fleet entry a report belongs to (a host listed twice is told apart by its ESP)."""
        return next(
            (
                entry
                for entry in self.fleet
                if entry.host == report.host and entry.esp == report.expectation.esp
            ),
            None,
        )


def _port_free(address: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with closing(socket.socket(socket.AF_INET, kind)) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


def free_port_on(*addresses: str) -> int:
    """A port free for UDP and TCP on every one of `addresses` (when it was probed)."""
    for _attempt in range(50):
        with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        if all(_port_free(address, port) for address in addresses[1:]):
            return port
    raise OSError(f"no port is free on all of {', '.join(addresses)}")


def start_name_server(zones: dict[str, dns.zone.Zone]) -> DnsServer:
    """The authoritative server on 127.0.0.2, on a port that is free (so silent) on 127.0.0.3."""
    error: OSError | None = None
    for _attempt in range(5):
        port = free_port_on(AUTHORITATIVE_ADDRESS, LAME_ADDRESS)
        server = DnsServer(zones, host=AUTHORITATIVE_ADDRESS, port=port, authoritative=True)
        try:
            return server.start()
        except OSError as bind_error:  # taken between the probe and the bind: try another
            error = bind_error
    raise OSError(f"cannot start the demo name server on {AUTHORITATIVE_ADDRESS}: {error}")


@contextmanager
def demo_world(fleet: tuple[DemoHost, ...] = DEMO_FLEET) -> Iterator[DemoWorld]:
    """Start the demo world (fresh CA, TLS servers, resolver, name server); stop it all on exit."""
    with ExitStack() as stack:
        certificates = TestCertificates()
        stack.callback(certificates.cleanup)
        tls = stack.enter_context(TlsWorld(certificates))
        zones = resolver_zones()
        serve_fleet_tls(tls, zones, fleet)
        resolver = DnsServer(zones, host=RESOLVER_ADDRESS, rules=fault_rules(fleet))
        stack.enter_context(resolver)
        authoritative = start_name_server(authoritative_zones())
        stack.callback(authoritative.stop)
        yield DemoWorld(resolver=resolver, authoritative=authoritative, tls=tls, fleet=fleet)


def scan_demo(world: DemoWorld) -> list[HostReport]:
    """Check the whole fleet in the demo world; reports in fleet order."""
    reports = scan(world.targets(), world.context(), concurrency=world.options().concurrency)
    position = {(entry.host, entry.esp): index for index, entry in enumerate(world.fleet)}
    return sorted(
        reports, key=lambda report: position.get((report.host, report.expectation.esp or ""), 0)
    )
