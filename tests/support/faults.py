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

Setup = Callable[["Faults"], None]
Responder = Callable[[httpx.Request], httpx.Response]


class Faults:
    """What a case may change: the resolver's rules and the TLS world's faulty address."""

    def __init__(self, set_rules: Callable[[list[Rule]], None], serve: Callable[..., None]):
        self.set_rules = set_rules
        self.serve = serve


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultCase:
    """One fault: where it is injected, the finding it must produce, and how long it may take.

    `absent` are the codes that would claim the concern clean (a false clean); `fleet_wide` marks a
    fault of a resource every host shares (the resolver), where every row must carry the finding.
    """

    klass: str
    name: str
    code: str
    severity: Severity
    within: float
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

    @property
    def id(self) -> str:
        """The pytest id: class and fault (and ESP)."""
        suffix = f"-{self.esp}" if self.esp else ""
        return f"{self.klass}-{self.name}{suffix}".replace(" ", "_").replace("/", "_")


def _rules(*rules: Rule) -> Setup:
    return lambda faults: faults.set_rules(list(rules))


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


_QUESTION = 2 * DNS_TIMEOUT
"""The most one unanswered DNS question costs: two attempts."""

DNS_CASES = (
    FaultCase(klass="DNS", name="timeout", code="dns.lookup_failed", severity=Severity.UNKNOWN,
              within=6 * _QUESTION + 1.5, setup=_rules(Rule(name=FAULTY, drop=True)),
              absent=("dns.ok",)),
    FaultCase(klass="DNS", name="SERVFAIL", code="dns.lookup_failed", severity=Severity.UNKNOWN,
              within=1.5, setup=_rules(Rule(name=FAULTY, rcode="SERVFAIL")), absent=("dns.ok",)),
    FaultCase(klass="DNS", name="REFUSED", code="dns.lookup_failed", severity=Severity.UNKNOWN,
              within=1.5, setup=_rules(Rule(name=FAULTY, rcode="REFUSED")), absent=("dns.ok",)),
    FaultCase(klass="DNS", name="truncated UDP answer (TCP retry)", code="dns.ok",
              severity=Severity.OK, within=1.5, setup=_rules(Rule(name=FAULTY, truncate_udp=True)),
              needs_tcp=True),
    FaultCase(klass="DNS", name="malformed answer", code="dns.lookup_failed",
              severity=Severity.UNKNOWN, within=1.5, setup=_rules(Rule(name=FAULTY, malformed=True)),
              absent=("dns.ok",)),
    FaultCase(klass="DNS", name="CNAME loop", code="dns.cname_loop", severity=Severity.FAIL,
              within=1.5, host="loop1.brand.example", absent=("dns.ok",)),
    FaultCase(klass="DNS", name=f"chain of {CHAIN_HOPS} hops (limit 16)", code="dns.chain_too_long",
              severity=Severity.FAIL, within=1.5, host="links.chain.example", absent=("dns.ok",)),
    FaultCase(klass="DNS", name="NXDOMAIN at the target", code="dns.dangling",
              severity=Severity.FAIL, within=1.5, host="dangling.brand.example",
              absent=("dns.ok",)),
    FaultCase(klass="DNS", name="lame authoritative server", code="dns.lame_nameserver",
              severity=Severity.WARN, within=_QUESTION * 2 + 1.5, host="links.lame.example"),
    FaultCase(klass="DNS", name="resolver port closed", code="dns.lookup_failed",
              severity=Severity.UNKNOWN, within=8 * _QUESTION + 1.5, fleet_wide=True,
              resolver="closed", absent=("dns.ok",)),
    FaultCase(klass="DNS", name="first resolver's port closed, second answers", code="dns.ok",
              severity=Severity.OK, within=20 * DNS_TIMEOUT + 1.5, resolver="closed first"),
)  # fmt: skip

_TLS = "TLS/HTTP"
TLS_CASES = (
    FaultCase(klass=_TLS, name="connection refused", code="tls.unreachable", severity=Severity.FAIL,
              within=1.5, setup=lambda faults: faults.serve(refuse=True), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="reset mid-handshake", code="tls.handshake_failed",
              severity=Severity.FAIL, within=1.5,
              setup=_serve(behaviour=HttpBehaviour(mode="reset_handshake")), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="accepts and never speaks", code="tls.handshake_failed",
              severity=Severity.FAIL, within=CONNECT_TIMEOUT + 1.5,
              setup=_serve(behaviour=HttpBehaviour(mode="hang_after_accept")), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="expired certificate", code="tls.expired", severity=Severity.FAIL,
              within=1.5, setup=_serve(kind="expired"), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="wrong name", code="tls.hostname_mismatch", severity=Severity.FAIL,
              within=1.5, setup=_serve(kind="wrong_name"), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="untrusted chain", code="tls.untrusted", severity=Severity.FAIL,
              within=1.5, setup=_serve(kind="untrusted"), absent=("tls.ok",)),
    FaultCase(klass=_TLS, name="HTTPS answer never finishes its headers", code="http.error",
              severity=Severity.UNKNOWN, within=CONNECT_TIMEOUT + 1.5,
              setup=_serve(behaviour=HttpBehaviour(mode="hang_headers")), absent=("http.ok",)),
)  # fmt: skip


# Keyring --------------------------------------------------------------------------------------


KEYRING_CASES = (
    FaultCase(klass="keyring", name="no backend", code="esp.no_credentials",
              severity=Severity.UNKNOWN, within=1.5, keyring=no_backend, absent=("esp.ok",)),
    FaultCase(klass="keyring", name="locked", code="esp.no_credentials", severity=Severity.UNKNOWN,
              within=1.5, keyring=lambda: RaisingKeyring(keyring.errors.KeyringLocked("locked")),
              absent=("esp.ok",)),
    FaultCase(klass="keyring", name="backend raises", code="esp.no_credentials",
              severity=Severity.UNKNOWN, within=1.5,
              keyring=lambda: RaisingKeyring(RuntimeError("org.freedesktop.DBus.Error")),
              absent=("esp.ok",)),
)  # fmt: skip
KEYRING_WORDS = {
    "no backend": "no OS keyring backend",
    "locked": "the OS keyring is locked",
    "backend raises": "the OS keyring failed (RuntimeError)",
}
