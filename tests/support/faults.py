"""The fault matrix's cases: what each fault is, how it is injected, and what trackdeck must say.

`tests/faults/test_fault_matrix.py` runs every case (the ESP API ones are in `tests/support/esp_faults.py`);
`tests/support/fault_table.py` prints the README's Reliability table from the same cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import dns.zone
import httpx
import keyring.backends.fail
import keyring.errors

from checks.context import HOST_DNS_TIMEOUTS
from checks.model import Severity
from tests.support.fakes import RaisingKeyring, no_backend
from tui.sim.dns_server import Rule
from tui.sim.tls_world import HttpBehaviour
from tui.sim.zones import zones_from_text

DNS_TIMEOUT = 0.2
"""Seconds per DNS question in the matrix (each question is tried twice)."""
CONNECT_TIMEOUT = 0.5
"""Seconds for each TLS or HTTP exchange in the matrix."""
FAULTY = "links-eu.brand.example"
"""The faulty host of DNS rule and TLS cases: CNAME eu.mailgun.org, address 192.0.2.3."""
FAULTY_ADDRESS = "192.0.2.3"
HEALTHY = ("links-mg.brand.example", "links-sp.brand.example")
"""Hosts of the same fleet that must stay fully ok (valid certificates on 192.0.2.2 and .4)."""
HEALTHY_ADDRESSES = {"links-mg.brand.example": "192.0.2.2", "links-sp.brand.example": "192.0.2.4"}
CHAIN_HOPS = 20
DEAD_ZONE_HOST = "links.caa-ok.example"
"""The faulty host of the dead-zone case: a zone of its own, so the healthy hosts keep theirs."""
HOST_DNS = HOST_DNS_TIMEOUTS * DNS_TIMEOUT
"""A host's DNS deadline in the matrix: every DNS fault ends by then."""
WEB = HOST_DNS + 2 * CONNECT_TIMEOUT
"""A host's DNS deadline and one TLS and one HTTP exchange: every TLS/HTTP fault ends by then."""
HANG_FACTOR = 10
"""Each case's wall-clock bound is this many times the mechanism that ends its fault: it proves only
that nothing hung (how fast a fault ends is measured in benchmarks/, never asserted in a test)."""

Setup = Callable[["Faults"], None]
Responder = Callable[[httpx.Request], httpx.Response]


class Faults:
    """What a case may change: the resolver's and the name server's rules and the TLS world's
    faulty address."""

    def __init__(
        self,
        set_rules: Callable[[list[Rule]], None],
        serve: Callable[..., None],
        set_authoritative_rules: Callable[[list[Rule]], None],
    ) -> None:
        self.set_rules = set_rules
        self.serve = serve
        self.set_authoritative_rules = set_authoritative_rules


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultCase:
    """One fault: where it is injected, the finding it must produce, and what ends it.

    `absent` are the codes that would claim the concern clean (a false clean); `fleet_wide` marks a
    fault of a resource every host shares (the resolver), where every row must carry the finding;
    `said_once` a finding that exactly one row of the fleet carries (a dead resolver) and that
    says nothing about that row's own host; `evidence` words the faulty host's `code` finding must
    show in its title, detail or evidence (how the fault was ended); `mechanism` the seconds within which what ends the fault acts
    (the case may take at most HANG_FACTOR times that); `lost` that answers were lost and asked for
    again (the resolver saw some question more than once).
    """

    klass: str
    name: str
    code: str
    severity: Severity
    mechanism: float
    host: str = FAULTY
    setup: Setup | None = None
    absent: tuple[str, ...] = ()
    fleet_wide: bool = False
    resolver: str = "world"
    needs_tcp: bool = False
    esp: str = ""
    responder: Callable[[], Responder] | None = None
    waits: float = 0.0
    keyring: Callable[[], object] | None = None
    said_once: str = ""
    evidence: str = ""
    lost: bool = False

    @property
    def id(self) -> str:
        """The pytest id: class and fault (and ESP)."""
        suffix = f"-{self.esp}" if self.esp else ""
        return f"{self.klass}-{self.name}{suffix}".replace(" ", "_").replace("/", "_")


def _rules(*rules: Rule) -> Setup:
    return lambda faults: faults.set_rules(list(rules))


def _dead_zone(faults: Faults) -> None:
    """The zone's name servers do not answer: its name server drops every question, and the
    resolver answers SERVFAIL only after its own timeouts, long after ours."""
    zone = f"*{DEAD_ZONE_HOST.split('.', 1)[1]}"
    faults.set_rules([Rule(name=zone, delay=20 * DNS_TIMEOUT, rcode="SERVFAIL")])
    faults.set_authoritative_rules([Rule(name=zone, drop=True)])


def _serve(**changes: object) -> Setup:
    return lambda faults: faults.serve(**changes)


def chain_zone() -> dict[str, dns.zone.Zone]:
    """`links.chain.example`: a CNAME chain of CHAIN_HOPS hops, past every resolver's limit."""
    hops = [f"c{index}.chain.example." for index in range(1, CHAIN_HOPS)]
    names = ["links.chain.example.", *hops]
    lines = [f"{name} IN CNAME {target}" for name, target in itertools.pairwise(names)]
    lines.append(f"{names[-1]} IN CNAME mailgun.org.")
    text = "\n".join(
        [
            "$ORIGIN chain.example.",
            "$TTL 300",
            "@ IN SOA ns1.chain.example. hostmaster.chain.example. 1 3600 600 86400 60",
            "@ IN NS ns1.chain.example.",
            "ns1 IN A 127.0.0.2",
            *lines,
        ]
    )
    return zones_from_text({"chain.example": text + "\n"})


LOSS_SEED = 5
"""A seed that loses, among this small fleet's few dozen answers, the first answer to a healthy
host's A (most seeds lose none of them)."""
_BUDGET = f"timeout after {2 * DNS_TIMEOUT:g}s"
"""How a question that got no answer ends: its budget, two timeouts, spent."""
_DOWN = "(dns.resolver_down)"
"""How a question not asked of a dead resolver ends."""

DNS_CASES = (
    FaultCase(klass="DNS", name="timeout (the host's questions dropped)", code="dns.lookup_failed",
              severity=Severity.UNKNOWN, mechanism=HOST_DNS,
              setup=_rules(Rule(name=FAULTY, drop=True)), absent=("dns.ok",), evidence=_BUDGET),
    FaultCase(klass="DNS", name="SERVFAIL", code="dns.lookup_failed", severity=Severity.UNKNOWN,
              mechanism=HOST_DNS, setup=_rules(Rule(name=FAULTY, rcode="SERVFAIL")),
              absent=("dns.ok",), evidence="SERVFAIL from"),
    FaultCase(klass="DNS", name="REFUSED", code="dns.lookup_failed", severity=Severity.UNKNOWN,
              mechanism=HOST_DNS, setup=_rules(Rule(name=FAULTY, rcode="REFUSED")),
              absent=("dns.ok",), evidence="REFUSED from"),
    FaultCase(klass="DNS", name="truncated UDP answer (TCP retry)", code="dns.ok",
              severity=Severity.OK, mechanism=HOST_DNS,
              setup=_rules(Rule(name=FAULTY, truncate_udp=True)), needs_tcp=True),
    FaultCase(klass="DNS", name="malformed answer", code="dns.lookup_failed",
              severity=Severity.UNKNOWN, mechanism=HOST_DNS,
              setup=_rules(Rule(name=FAULTY, malformed=True)), absent=("dns.ok",),
              evidence="malformed answer"),
    FaultCase(klass="DNS", name="CNAME loop", code="dns.cname_loop", severity=Severity.FAIL,
              mechanism=HOST_DNS, host="loop1.brand.example", absent=("dns.ok",)),
    FaultCase(klass="DNS", name=f"chain of {CHAIN_HOPS} hops (limit 16)", code="dns.chain_too_long",
              severity=Severity.FAIL, mechanism=HOST_DNS, host="links.chain.example",
              absent=("dns.ok",)),
    FaultCase(klass="DNS", name="NXDOMAIN at the target", code="dns.dangling",
              severity=Severity.FAIL, mechanism=HOST_DNS, host="dangling.brand.example",
              absent=("dns.ok",)),
    FaultCase(klass="DNS", name="lame authoritative server", code="dns.lame_nameserver",
              severity=Severity.WARN, mechanism=HOST_DNS, host="links.lame.example"),
    FaultCase(klass="DNS", name="the zone's name servers dead (the resolver SERVFAILs late)",
              code="dns.lookup_failed", severity=Severity.UNKNOWN, mechanism=HOST_DNS,
              host=DEAD_ZONE_HOST, setup=_dead_zone, absent=("dns.ok",), evidence=_BUDGET),
    FaultCase(klass="DNS", name="resolver port closed (every host)", code="dns.lookup_failed",
              severity=Severity.UNKNOWN, mechanism=HOST_DNS, fleet_wide=True, resolver="closed",
              absent=("dns.ok",), said_once="dns.resolver_down", evidence=_DOWN),
    FaultCase(klass="DNS", name="resolver swallows every question (every host)",
              code="dns.lookup_failed", severity=Severity.UNKNOWN, mechanism=HOST_DNS,
              fleet_wide=True, resolver="silent", absent=("dns.ok",),
              said_once="dns.resolver_down", evidence=_DOWN),
    FaultCase(klass="DNS", name="first resolver's port closed, second answers", code="dns.ok",
              severity=Severity.OK, mechanism=HOST_DNS, resolver="closed first",
              said_once="dns.resolver_down"),
    FaultCase(klass="DNS", name="first resolver swallows every question, second answers",
              code="dns.ok", severity=Severity.OK, mechanism=HOST_DNS, resolver="silent first",
              said_once="dns.resolver_down"),
    FaultCase(klass="DNS", name="5 % of UDP answers lost (seeded)", code="dns.ok",
              severity=Severity.OK, mechanism=HOST_DNS,
              setup=_rules(Rule(loss=0.05, transports=("udp",), seed=LOSS_SEED)), lost=True),
)  # fmt: skip

_TLS = "TLS/HTTP"
TLS_CASES = (
    FaultCase(klass=_TLS, name="connection refused", code="tls.unreachable", severity=Severity.FAIL,
              mechanism=WEB, setup=lambda faults: faults.serve(refuse=True), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="reset mid-handshake", code="tls.handshake_failed",
              severity=Severity.FAIL, mechanism=WEB,
              setup=_serve(behaviour=HttpBehaviour(mode="reset_handshake")), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="accepts and never speaks", code="tls.handshake_failed",
              severity=Severity.FAIL, mechanism=WEB,
              setup=_serve(behaviour=HttpBehaviour(mode="hang_after_accept")), absent=("tls.ok",),
              evidence="timed out"),
    FaultCase(klass=_TLS, name="expired certificate", code="tls.expired", severity=Severity.FAIL,
              mechanism=WEB, setup=_serve(kind="expired"), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="wrong name", code="tls.hostname_mismatch", severity=Severity.FAIL,
              mechanism=WEB, setup=_serve(kind="wrong_name"), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="untrusted chain", code="tls.untrusted", severity=Severity.FAIL,
              mechanism=WEB, setup=_serve(kind="untrusted"), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="HTTPS answer never finishes its headers", code="http.error",
              severity=Severity.UNKNOWN, mechanism=WEB,
              setup=_serve(behaviour=HttpBehaviour(mode="hang_headers")), absent=("http.ok",),
              evidence=f"no complete HTTP answer within {CONNECT_TIMEOUT:g}s"),
)  # fmt: skip


# Keyring --------------------------------------------------------------------------------------


KEYRING_CASES = (
    FaultCase(klass="keyring", name="no backend", code="esp.no_credentials",
              severity=Severity.UNKNOWN, mechanism=WEB, keyring=no_backend, absent=("esp.ok",)),
    FaultCase(klass="keyring", name="locked", code="esp.no_credentials", severity=Severity.UNKNOWN,
              mechanism=WEB,
              keyring=lambda: RaisingKeyring(keyring.errors.KeyringLocked("locked")),
              absent=("esp.ok",)),
    FaultCase(klass="keyring", name="backend raises", code="esp.no_credentials",
              severity=Severity.UNKNOWN, mechanism=WEB,
              keyring=lambda: RaisingKeyring(RuntimeError("org.freedesktop.DBus.Error")),
              absent=("esp.ok",)),
)  # fmt: skip
KEYRING_WORDS = {
    "no backend": "no OS keyring backend",
    "locked": "the OS keyring is locked",
    "backend raises": "the OS keyring failed (RuntimeError)",
}
