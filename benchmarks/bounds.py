"""The two physical bounds of a scan, from the questions the servers logged in that very run.

Throughput: every distinct question takes one delay and the scan keeps `concurrency` hosts in flight,
so it cannot finish sooner than distinct × delay / concurrency (the blocklist questions, asked ahead
in a wider window, are counted too, which makes this bound generous to the engine).
Critical path: the longest chain of questions of one host where each needs the answer before:
A (the CNAME chain) → the zone-cut walk (SOA, one per level tried) → NS → the name servers'
addresses → the question to each name server (ANY; CNAME and A after a refusal), or A → the CAA
climb (one question per name tried); the list questions depend on nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.fleet import Host
from tui.sim.dns_server import QueryRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class Bounds:
    """Both bounds in seconds, and the figures they come from."""

    distinct: int
    chain: int
    delay: float
    concurrency: int

    @property
    def throughput(self) -> float:
        """distinct questions × delay / concurrency."""
        return self.distinct * self.delay / self.concurrency

    @property
    def critical_path(self) -> float:
        """longest dependent chain × delay."""
        return self.chain * self.delay

    @property
    def larger(self) -> float:
        """The bound that binds."""
        return max(self.throughput, self.critical_path)


def _parents(name: str) -> list[str]:
    labels = name.split(".")
    return [".".join(labels[index:]) for index in range(len(labels))]


def host_chain(host: Host, asked: dict[str, set[str]]) -> int:
    """The longest dependent chain of `host`'s questions, given who asked what (name → types)."""
    names = _parents(host.host)
    soa_walk = sum(1 for name in names if "SOA" in asked.get(name, set()))
    brand = names[1]
    ns_steps = 2 if "NS" in asked.get(brand, set()) else 0
    auth = asked.get(f"@{host.host}", set())
    auth_steps = (1 if "ANY" in auth else 0) + (1 if auth & {"CNAME", "A"} else 0)
    zone_chain = 1 + soa_walk + ns_steps + auth_steps
    caa_chain = 1 + sum(1 for name in names[1:] if "CAA" in asked.get(name, set())) + 1
    return max(zone_chain, caa_chain, 1)


def asked_by_name(
    recursive: Iterable[QueryRecord], direct: Iterable[Sequence[QueryRecord]]
) -> dict[str, set[str]]:
    """Question types by name; questions to name servers (no recursion) are keyed ``@name``."""
    asked: dict[str, set[str]] = defaultdict(set)
    for record in recursive:
        asked[record.qname].add(record.rdtype)
    for server in direct:
        for record in server:
            asked[f"@{record.qname}"].add(record.rdtype)
    return asked


def bounds(
    hosts: Sequence[Host],
    recursive: Sequence[QueryRecord],
    direct: Sequence[Sequence[QueryRecord]],
    *,
    delay: float,
    concurrency: int,
) -> Bounds:
    """Both bounds of one run."""
    distinct = len({(r.qname, r.rdtype, r.recursion_desired) for r in recursive})
    distinct += sum(len({(r.qname, r.rdtype) for r in server}) for server in direct)
    asked = asked_by_name(recursive, direct)
    chain = max((host_chain(host, asked) for host in hosts), default=0)
    return Bounds(distinct=distinct, chain=chain, delay=delay, concurrency=concurrency)
