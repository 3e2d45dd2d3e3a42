"""The fault matrix: every fault of tests/support/faults.py injected on real loopback servers into a small
fleet. Each case must end without a crash, with the expected finding and severity (never a false
clean), ended by the mechanism that should end it (its evidence), and with the healthy hosts of the
same fleet still fully ok. The wall clock is asserted only generously (HANG_FACTOR times the
mechanism), to prove that nothing hung: speed is measured in benchmarks/."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import httpx
import pytest

from checks.context import CheckContext
from checks.dnsclient import DnsClient
from checks.engine import Target, scan
from checks.model import HostReport, Severity
from checks.servers import Server
from esp_clients import EspClient, EspSecret, make_client
from esp_clients.http import MAX_HEADER_WAIT
from tests.support.esp_faults import ESP_CASES
from tests.support.fakes import MemoryKeyring
from tests.support.faults import (
    CONNECT_TIMEOUT,
    DNS_CASES,
    DNS_TIMEOUT,
    FAULTY,
    FAULTY_ADDRESS,
    HANG_FACTOR,
    HEALTHY,
    HEALTHY_ADDRESSES,
    KEYRING_CASES,
    KEYRING_WORDS,
    TLS_CASES,
    FaultCase,
    Faults,
    chain_zone,
)
from tests.support.worlds import (
    AUTH_ADDRESS,
    DnsWorld,
    authoritative_zones,
    free_port_on,
    world_zones,
)
from tui.cli.formats.document import from_reports
from tui.cli.formats.write import FORMATS, render
from tui.fleet.expectations import guess_for_target
from tui.fleet.network import DQS_ACCOUNT
from tui.fleet.scan import FleetScan
from tui.inventory.credentials import CredentialStore
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account
from tui.sim.certificates import TestCertificates
from tui.sim.dns_server import DnsServer, Rule
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps
from tui.sim.tls_world import NOT_FOUND, HttpBehaviour, TlsWorld

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
"""OpenSSL checks certificates against the real clock, so the checks' clock stays close to it."""
BAD_API = "bad.fault.invalid"
FAULTY_ACCOUNTS = ("bad", "ring-mg")
"""The accounts a fleet case makes faulty: none of their rows counts as healthy."""
REGIONS = {"sendgrid": "global", "mailgun": "us", "sparkpost": "us", "ses": "us-east-1"}


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsWorld]:
    """The test zones plus `chain.example`, on a resolver and an authoritative server."""
    port = free_port_on("127.0.0.1", AUTH_ADDRESS)
    resolver = DnsServer({**world_zones(), **chain_zone()}, host="127.0.0.1")
    authority = DnsServer(
        {**authoritative_zones(), **chain_zone()}, host=AUTH_ADDRESS, port=port, authoritative=True
    )
    with resolver, authority:
        yield DnsWorld(resolver=resolver, authoritative=authority)


@pytest.fixture(scope="module")
def silent() -> Iterator[DnsServer]:
    """A resolver that swallows every question."""
    with DnsServer(world_zones(), rules=[Rule(drop=True)]) as started:
        yield started


@pytest.fixture(scope="module")
def tls() -> Iterator[TlsWorld]:
    """Valid certificates for the healthy hosts and, until a case changes it, the faulty one."""
    certificates = TestCertificates()
    with TlsWorld(certificates) as world:
        for host, address in HEALTHY_ADDRESSES.items():
            world.add(address, kind="valid", host=host, now=NOW)
        yield world
    certificates.cleanup()


@dataclass
class Rig:
    """The module's worlds, restored to health after each case."""

    dns: DnsWorld
    tls: TlsWorld
    closed_port: int
    silent: Server
    waits: list[float] = field(default_factory=list)

    def serve(
        self, kind: str = "valid", behaviour: HttpBehaviour = NOT_FOUND, refuse: bool = False
    ) -> None:
        """Serve the faulty address with `kind` and `behaviour` (or refuse connections)."""
        self.tls.add(FAULTY_ADDRESS, kind=kind, host=FAULTY, now=NOW, behaviour=behaviour)
        if refuse:
            self.tls.refuse(FAULTY_ADDRESS)

    def faults(self) -> Faults:
        return Faults(
            set_rules=self.dns.resolver.set_rules,
            serve=self.serve,
            set_authoritative_rules=self.dns.authoritative.set_rules,
        )

    def context(self, resolver: str = "world") -> CheckContext:
        """The checks' context; `resolver` may put a closed port or a silent resolver first, or
        alone (for the resolver and the lists alike)."""
        ctx = self.dns.context(
            timeout=DNS_TIMEOUT,
            dialer=self.tls.dialer,
            ca_bundle=str(self.tls.certificates.ca_bundle_path),
            connect_timeout=CONNECT_TIMEOUT,
            clock=lambda: NOW,
        )
        dead = self.silent if resolver.startswith("silent") else ("127.0.0.1", self.closed_port)
        servers = [dead, self.dns.resolver.server] if resolver.endswith("first") else [dead]
        if resolver == "world":
            servers = [self.dns.resolver.server]
        client = DnsClient(servers, timeout=DNS_TIMEOUT)
        return replace(ctx, resolver=client, blocklist_resolver=client)


@pytest.fixture
def rig(dns: DnsWorld, tls: TlsWorld, silent: DnsServer) -> Iterator[Rig]:
    dns.resolver.reset_log()
    started = Rig(dns, tls, free_port_on("127.0.0.1"), silent.server)
    yield started
    dns.resolver.set_rules([])
    dns.authoritative.set_rules([])
    started.serve()


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A fleet scan's reports, how long it took, and the waits the ESP clients asked for."""

    reports: tuple[HostReport, ...]
    elapsed: float
    waits: tuple[float, ...] = ()


def run_checks(case: FaultCase, rig: Rig) -> Outcome:
    """DNS and TLS faults: the check engine over the faulty host and the healthy ones."""
    if case.setup is not None:
        case.setup(rig.faults())
    targets = [Target(host=host) for host in (case.host, *HEALTHY)]
    ctx = rig.context(case.resolver)
    started = time.monotonic()
    reports = scan(targets, ctx, guess=guess_for_target)
    return Outcome(reports=tuple(reports), elapsed=time.monotonic() - started)


def fleet_inventory(faulty_account: str, esp: str, good_base: str, bad_base: str = "") -> str:
    """Two accounts: the faulty one (host FAULTY) and a healthy Mailgun (host HEALTHY[0])."""
    region = f'region = "{REGIONS[esp]}"\n' if esp in REGIONS else ""
    api = f'api_base = "{bad_base}"\n' if bad_base else ""
    return (
        f'[accounts.{faulty_account}]\nesp = "{esp}"\n{region}{api}\n'
        f'[accounts.good-mg]\nesp = "mailgun"\napi_base = "{good_base}"\n\n'
        f'[[brands]]\nname = "Faulty"\ntracking = [{{ host = "{FAULTY}", '
        f'account = "{faulty_account}" }}]\n\n'
        f'[[brands]]\nname = "Healthy"\ntracking = [{{ host = "{HEALTHY[0]}", '
        'account = "good-mg" }]\n'
    )


def run_fleet(
    rig: Rig,
    inventory_text: str,
    store: CredentialStore,
    handler: Callable[[httpx.Request], httpx.Response],
) -> Outcome:
    """A fleet scan whose ESP clients talk to `handler` and record the waits they ask for."""
    waits: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:

        def factory(account: Account, secret: EspSecret) -> EspClient:
            return make_client(account.ref(), secret, http_client=http, sleep=waits.append)

        fleet = FleetScan(parse_inventory(inventory_text), rig.context(), store,
                          client_factory=factory)  # fmt: skip
        started = time.monotonic()
        rows = list(fleet.run())
        elapsed = time.monotonic() - started
    reports = tuple(row.merged_report() for row in rows)
    return Outcome(reports=reports, elapsed=elapsed, waits=tuple(waits))


def healthy_esp(*accounts: str) -> SimulatedEsps:
    """Simulated Mailgun accounts whose only domain, HEALTHY[0], is verified with HTTPS on."""
    return SimulatedEsps(
        [
            SimulatedEsp(
                "mailgun", name, [SimDomain(host=HEALTHY[0], https=True, certificate="active")]
            )
            for name in accounts
        ]
    )


def run_esp(case: FaultCase, rig: Rig) -> Outcome:
    """ESP API faults: one faulty account of `case.esp` beside a healthy simulated Mailgun."""
    assert case.responder is not None
    sims = healthy_esp("good-mg")
    respond = case.responder()

    def handler(request: httpx.Request) -> httpx.Response:
        return respond(request) if request.url.host == BAD_API else sims.handler(request)

    text = fleet_inventory("bad", case.esp, sims.esp("good-mg").base_url, f"https://{BAD_API}")
    environ = {"TRACKDECK_SECRET_BAD": "AKIDFAULTS:fault-secret", "TRACKDECK_SECRET_GOOD_MG": "k"}
    store = CredentialStore(environ=environ, keyring_backend=MemoryKeyring())
    return run_fleet(rig, text, store, handler)


def run_keyring(case: FaultCase, rig: Rig) -> Outcome:
    """Keyring faults: a keyring account beside an account whose key is in the environment."""
    assert case.keyring is not None
    sims = healthy_esp("ring-mg", "good-mg")
    text = fleet_inventory("ring-mg", "mailgun", sims.esp("good-mg").base_url)
    store = CredentialStore(
        environ={"TRACKDECK_SECRET_GOOD_MG": "env-key"}, keyring_backend=case.keyring()
    )
    assert store.named_secret(DQS_ACCOUNT) is None
    status = store.status(parse_inventory(text).account("ring-mg"))
    assert status.source == "unavailable" and KEYRING_WORDS[case.name] in status.detail
    assert "TRACKDECK_SECRET_RING_MG" in status.detail
    return run_fleet(rig, text, store, sims.handler)


ALL_CASES = DNS_CASES + TLS_CASES + ESP_CASES + KEYRING_CASES
RUNNERS: dict[str, Callable[[FaultCase, Rig], Outcome]] = {
    "DNS": run_checks,
    "TLS/HTTP": run_checks,
    "ESP API": run_esp,
    "keyring": run_keyring,
}


def rendered(reports: tuple[HostReport, ...]) -> str:
    """The scan in every output format, as `trackdeck check` and `scan` write them."""
    now = dt.datetime.now(dt.UTC)
    document = from_reports("check", reports, now, now)
    stream = io.StringIO()
    for name in FORMATS:
        render(document, name, stream, verbose=True)
    return stream.getvalue()


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_fault(case: FaultCase, rig: Rig) -> None:
    outcome = RUNNERS[case.klass](case, rig)
    faulty = [r for r in outcome.reports if case.fleet_wide or r.host == case.host]
    healthy = [r for r in outcome.reports if r.key.split("/")[0] not in FAULTY_ACCOUNTS]
    healthy = [r for r in healthy if r not in faulty]
    assert faulty and (healthy or case.fleet_wide)
    for report in outcome.reports:
        assert "check.crashed" not in report.codes(), report.findings
    for report in faulty:
        found = [finding for finding in report.findings if finding.code == case.code]
        assert found, f"{case.code} missing from {report.codes()}"
        assert {finding.severity for finding in found} == {case.severity}
        assert not set(case.absent) & set(report.codes()), "a false clean"
        assert report.health.rank <= case.severity.rank
        assert all(case.evidence in f"{f.title} {f.detail} {' '.join(f.evidence)}" for f in found)
    for report in healthy:
        assert own_health(report, case) is Severity.OK, (report.host, report.findings)
    if case.said_once:
        said = [
            f for report in outcome.reports for f in report.findings if f.code == case.said_once
        ]
        assert len(said) == 1, said
    assert outcome.elapsed < HANG_FACTOR * case.mechanism, f"hung: {outcome.elapsed:.2f} s"
    assert sum(outcome.waits) <= case.waits + 0.5 and all(
        wait <= MAX_HEADER_WAIT for wait in outcome.waits
    )
    assert case.code in rendered(outcome.reports)
    if case.needs_tcp:
        tcp = [q for q in rig.dns.resolver.queries if q.qname == case.host and q.transport == "tcp"]
        assert tcp, "the truncated UDP answer was not retried over TCP"
    if case.lost:
        asked = [(q.qname, q.rdtype) for q in rig.dns.resolver.queries if q.transport == "udp"]
        assert len(asked) > len(set(asked)), "no answer was lost and asked for again"


def own_health(report: HostReport, case: FaultCase) -> Severity:
    """A row's health without the finding said once for the whole fleet (a dead resolver)."""
    return Severity.worst(f.severity for f in report.findings if f.code != case.said_once)
