"""The benchmark world, started on loopback: a delayed resolver, the zones' name server, a lame
name server, TLS servers serving every host by SNI and the simulated ESP APIs over HTTP; described
to child processes by a JSON file."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dns.name
import dns.rdatatype
import dns.zone

from benchmarks.esp_server import EspHttpServer
from benchmarks.fast_dns import DelayedDnsServer
from benchmarks.fleet import (
    CLOUDFLARE_ADDRESS,
    LAME_ADDRESS,
    NS_ADDRESS,
    Host,
    blocklist_zones,
    inventory_text,
    make_fleet,
    zone_texts,
)
from checks.context import utc_now
from esp_clients import API_ESPS
from tui.inventory.load import parse_inventory
from tui.inventory.model import Inventory
from tui.sim.certificates import TestCertificates
from tui.sim.demo import addresses_of, free_port_on
from tui.sim.demo_fleet import CLOUDFLARE_PASS_THROUGH
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps
from tui.sim.tls_world import NOT_FOUND, HttpBehaviour, TlsServer, TlsWorld
from tui.sim.zones import zones_from_text

RESOLVER_ADDRESS = "127.0.0.1"
DEFAULT_DELAY = 0.05
DEFAULT_TIMEOUT = 2.0
_TLS_KINDS = {"expired": "expired", "expiring": "expiring", "untrusted": "untrusted"}
_TLS_KINDS |= {"wrong_name": "wrong_name"}


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    """A started world: its servers, fleet, and the JSON file that tells children how to reach it."""

    hosts: tuple[Host, ...]
    resolver: DelayedDnsServer
    authoritative: DelayedDnsServer
    lame: DelayedDnsServer
    tls: TlsWorld
    info_path: Path
    delay: float
    esps: SimulatedEsps | None = None
    """The simulated ESP accounts the world serves (their calls are counted)."""
    timeout: float = DEFAULT_TIMEOUT

    def api_requests(self) -> int:
        """ESP API requests the simulated accounts have answered so far."""
        return sum(len(esp.calls) for esp in self.esps.esps) if self.esps is not None else 0

    @property
    def servers(self) -> tuple[DelayedDnsServer, ...]:
        """Every DNS server, for counting questions."""
        return (self.resolver, self.authoritative, self.lame)

    def reset_logs(self) -> None:
        """Forget the questions received so far (before a measured run)."""
        for server in self.servers:
            server.reset_log()

    def questions(self) -> int:
        """Questions received by all servers since the last reset."""
        return sum(len(server.queries) for server in self.servers)

    def distinct_questions(self) -> int:
        """Distinct (server, name, type, RD) questions since the last reset."""
        return sum(server.distinct_questions() for server in self.servers)

    def use_refusing_uribl(self, refusing: bool) -> None:
        """Serve URIBL as refusing every query (127.0.0.1), or as normal again."""
        texts = zone_texts(self.hosts, authoritative=False)
        listed = tuple(host.host for host in self.hosts if host.kind == "dbl_listed")
        texts.update(blocklist_zones(listed, refusing_uribl=refusing))
        self.resolver.replace_zones(zones_from_text(texts))


def serve_tls(
    tls: TlsWorld, zones: dict[str, dns.zone.Zone], hosts: tuple[Host, ...]
) -> dict[str, int]:
    """Serve each host by SNI at every address it resolves to; returns address → loopback port."""
    now = utc_now()
    ports: dict[str, int] = {}
    for host in hosts:
        if host.kind == "not_cname":
            continue
        behaviour: HttpBehaviour = NOT_FOUND
        if host.kind == "proxied":
            behaviour = CLOUDFLARE_PASS_THROUGH
        kind = _TLS_KINDS.get(host.kind, "valid")
        for address in addresses_of(zones, host.host):
            server: TlsServer = tls.add_host(
                address, kind=kind, host=host.host, behaviour=behaviour, now=now
            )
            ports[address] = server.port
    return ports


def simulated_esps(inventory: Inventory) -> SimulatedEsps:
    """One simulated API account per inventory account, listing its hosts verified with HTTPS."""
    esps = []
    for account in inventory.accounts:
        if account.esp not in API_ESPS:
            continue
        https = account.esp not in ("mandrill", "resend")  # no HTTPS setting at these ESPs
        domains = [
            SimDomain(host=entry.host, https=https, certificate="active" if https else "none")
            for entry in inventory.entries_for(account.name)
        ]
        esps.append(SimulatedEsp(account.esp, account.name, domains, region=account.region))
    return SimulatedEsps(esps)


def _dns_servers(
    stack: ExitStack, hosts: tuple[Host, ...], delay: float
) -> tuple[DelayedDnsServer, ...]:
    resolver_zones = zones_from_text(zone_texts(hosts, authoritative=False))
    resolver = stack.enter_context(
        DelayedDnsServer(resolver_zones, host=RESOLVER_ADDRESS, delay=delay)
    )
    port = free_port_on(NS_ADDRESS, LAME_ADDRESS)
    held = zones_from_text(zone_texts(hosts, authoritative=True))
    authoritative = DelayedDnsServer(
        held, host=NS_ADDRESS, port=port, authoritative=True, delay=delay
    )
    stack.enter_context(authoritative)
    lame = DelayedDnsServer({}, host=LAME_ADDRESS, port=port, authoritative=True, delay=delay)
    stack.enter_context(lame)
    return resolver, authoritative, lame


@contextmanager
def bench_world(
    size: int, *, delay: float = DEFAULT_DELAY, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[World]:
    """Start the world for a fleet of `size` hosts; stop everything and remove its files on exit."""
    hosts = make_fleet(size)
    with ExitStack() as stack:
        directory = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="trackdeck-bench-"))
        )
        certificates = TestCertificates()
        stack.callback(certificates.cleanup)
        resolver, authoritative, lame = _dns_servers(stack, hosts, delay)
        tls = stack.enter_context(TlsWorld(certificates))
        ports = serve_tls(tls, zones_from_text(zone_texts(hosts, authoritative=False)), hosts)
        settings: dict[str, object] = {
            "resolvers": [f"{RESOLVER_ADDRESS}:{resolver.port}"],
            "ca_bundle": str(certificates.ca_bundle_path),
            "timeout": timeout,
        }
        inventory = directory / "inventory.toml"
        inventory.write_text(inventory_text(hosts, settings), encoding="utf-8")
        esps = stack.enter_context(simulated_esps(parse_inventory(inventory.read_text())))
        apis = stack.enter_context(EspHttpServer(esps))
        info = {
            "inventory": str(inventory),
            "esp_apis": {
                esp.account: {"base": apis.base_url(esp), "region": esp.region} for esp in esps.esps
            },
            "authoritative_port": authoritative.port,
            "tls_ports": ports,
            "size": size,
            "delay": delay,
            "cloudflare": CLOUDFLARE_ADDRESS,
        }
        info_path = directory / "world.json"
        info_path.write_text(json.dumps(info), encoding="utf-8")
        yield World(
            hosts=hosts,
            resolver=resolver,
            authoritative=authoritative,
            lame=lame,
            tls=tls,
            info_path=info_path,
            delay=delay,
            esps=esps,
            timeout=timeout,
        )
