"""The DNS figures: the batch's own speed, and fleet scans on a broken network beside the clean run
(a resolver that swallows every question, the name servers of 10 % of the brands dead, 5 % of the
UDP answers lost)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from benchmarks.batch_child import ZONE, zone_text
from benchmarks.fast_dns import DelayedDnsServer
from benchmarks.fleet import BRANDS, brand_domain
from benchmarks.report import Figure, Sample
from benchmarks.runs import ScanRun, load_average, run_child
from benchmarks.world import RESOLVER_ADDRESS, World
from tui.fleet.rows import row_key
from tui.sim.dns_server import Rule
from tui.sim.zones import zones_from_text

Log = Callable[[str], None]
DEAD_BRANDS = (2, 12, 22, 32, 42)
"""The brands whose name servers are dead: 10 % of the 50 (none of the brand-wide failures)."""
LOSS = 0.05
LOSS_SEED = 1
"""Which answers are lost depends on this seed and the question only: every run loses the same."""
LOST = "dns.lookup_failed"
"""The code of a row whose DNS could not be read."""


# The batch ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRun:
    """One batch of distinct questions against the undelayed server."""

    asked: int
    answered: int
    wall: float
    cpu: float
    per_second: float
    load: float


@contextmanager
def batch_server() -> Iterator[DelayedDnsServer]:
    """An undelayed loopback server for the batch figure (a wildcard zone)."""
    zones = zones_from_text({ZONE: zone_text()})
    with DelayedDnsServer(zones, host=RESOLVER_ADDRESS, delay=0.0) as server:
        yield server


def batch_once(port: int, count: int, *, one_socket: bool = False) -> BatchRun:
    """`count` distinct questions asked at once by `benchmarks.batch_child` (from a pool of
    sockets on random ports, or with `one_socket` from one socket, as before the pool)."""
    load = load_average()
    extra = ("--one-socket",) if one_socket else ()
    data = run_child("benchmarks.batch_child", str(port), str(count), *extra)
    return BatchRun(
        asked=int(str(data["asked"])),
        answered=int(str(data["answered"])),
        wall=float(str(data["wall"])),
        cpu=float(str(data["cpu"])),
        per_second=float(str(data["per_second"])),
        load=load,
    )


def batch_figure(runs: list[BatchRun], questions: int, one_socket: list[BatchRun]) -> Figure:
    """The DNS batch's own speed: questions per second with nothing to wait for, beside the same
    batch sent from one socket (as before the pool of random source ports)."""
    rates = [run.per_second for run in runs]
    before = Sample(tuple(run.per_second for run in one_socket))
    compared = (
        f"; from one socket per address family, as before the pool of random ports: "
        f"{before.median:,.0f}/s ({min(before.values):,.0f}–{max(before.values):,.0f})"
        if one_socket
        else ""
    )
    wall = Sample(tuple(run.wall for run in runs))
    cpu = Sample(tuple(run.cpu / run.wall for run in runs))
    answered = min(run.answered for run in runs)
    return Figure(
        name=f"DNS batch, {questions:,} distinct questions, undelayed server",
        value=f"{Sample(tuple(rates)).median:,.0f} questions/s ({min(rates):,.0f}–"
        f"{max(rates):,.0f}); {wall.text(' s')}, the client's CPU busy {cpu.text('×', 2)} the "
        f"wall time; answered {answered:,} of {questions:,}{compared}",
        goal="(no goal: the batch's own cost)",
        met=None,
        load=Sample(tuple(run.load for run in runs)),
    )


# Scans on a broken network ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DegradedRun:
    """One headless scan on a broken network: its wall time, every row's finding codes, and the
    questions the world's servers (and a dead resolver) received."""

    wall: float
    codes: dict[str, tuple[str, ...]]
    questions: int
    swallowed: int
    load: float

    def rows_with(self, code: str) -> int:
        """How many rows carry `code`."""
        return sum(code in codes for codes in self.codes.values())


@dataclass(slots=True)
class Degraded:
    """Every degraded run, by scenario."""

    dead_resolver: list[DegradedRun] = field(default_factory=list)
    dead_zones: list[DegradedRun] = field(default_factory=list)
    dead_zone_host: list[DegradedRun] = field(default_factory=list)
    lossy: list[DegradedRun] = field(default_factory=list)


def degraded_once(
    world: World,
    *,
    concurrency: int,
    rules: tuple[Rule, ...] = (),
    dead_resolver: bool = False,
    keys: tuple[str, ...] = (),
) -> DegradedRun:
    """Scan (all rows, or `keys`) with `rules` on every server of the world, or through a resolver
    that swallows every question; the world's servers are healthy again afterwards."""
    world.reset_logs()
    for server in world.servers:
        server.set_rules(rules)
    load = load_average()
    args = [str(world.info_path), "--concurrency", str(concurrency)]
    args += [arg for key in keys for arg in ("--key", key)]
    try:
        with DelayedDnsServer({}, host=RESOLVER_ADDRESS, rules=[Rule(drop=True)]) as dead:
            if dead_resolver:
                args += ["--resolver", f"{RESOLVER_ADDRESS}:{dead.port}"]
            data = run_child("benchmarks.scan_child", *args)
            swallowed = len(dead.queries)
    finally:
        for server in world.servers:
            server.set_rules(())
    codes = data["codes"]
    assert isinstance(codes, dict)
    return DegradedRun(
        wall=float(str(data["wall"])),
        codes={str(key): tuple(value) for key, value in codes.items()},
        questions=world.questions(),
        swallowed=swallowed,
        load=load,
    )


def dead_zone_rules(timeout: float) -> tuple[Rule, ...]:
    """The dead brands' zones: every server answers their questions SERVFAIL only after three of
    our timeouts (as a resolver does after its own timeouts), which is to say never in time."""
    return tuple(
        Rule(name=f"*{brand_domain(brand)}", delay=3 * timeout, rcode="SERVFAIL")
        for brand in DEAD_BRANDS
    )


def lossy_rules() -> tuple[Rule, ...]:
    """5 % of every server's UDP answers lost (the same ones in every run)."""
    return (Rule(loss=LOSS, seed=LOSS_SEED, transports=("udp",)),)


def dead_zone_key(world: World) -> str:
    """The row of one healthy host of the first dead brand."""
    host = next(h for h in world.hosts if h.brand == DEAD_BRANDS[0] and h.kind == "healthy")
    return row_key(host.account, host.host)


def collect_degraded(world: World, runs: int, concurrency: int, log: Log) -> Degraded:
    """Every degraded scenario `runs` times in the started world."""
    got = Degraded()
    dead_zones = dead_zone_rules(world.timeout)
    for _run in range(runs):
        got.dead_resolver.append(degraded_once(world, concurrency=concurrency, dead_resolver=True))
        got.dead_zones.append(degraded_once(world, concurrency=concurrency, rules=dead_zones))
        key = dead_zone_key(world)
        got.dead_zone_host.append(
            degraded_once(world, concurrency=concurrency, rules=dead_zones, keys=(key,))
        )
        got.lossy.append(degraded_once(world, concurrency=concurrency, rules=lossy_rules()))
        log(
            f"  dead resolver {got.dead_resolver[-1].wall:.2f} s, dead zones "
            f"{got.dead_zones[-1].wall:.2f} s (one host {got.dead_zone_host[-1].wall:.2f} s), "
            f"5 % lost {got.lossy[-1].wall:.2f} s"
        )
    return got


def _in_dead_zone(key: str) -> bool:
    return any(key.endswith(brand_domain(brand)) for brand in DEAD_BRANDS)


def degraded_figures(got: Degraded, clean: list[ScanRun], timeout: float) -> list[Figure]:
    """Each broken network beside the clean run of the same world."""
    if not got.dead_resolver or not clean:
        return []
    clean_wall = Sample(tuple(run.wall for run in clean))
    clean_codes = clean[0].codes
    bound = 3 * timeout
    return [
        _dead_resolver_figure(got.dead_resolver, bound, timeout),
        _dead_zones_figure(got.dead_zones, clean_wall, clean_codes),
        _dead_zone_host_figure(got.dead_zone_host, bound, timeout),
        _lossy_figure(got.lossy, clean_wall, clean_codes, clean[0].questions),
    ]


def _load(runs: list[DegradedRun]) -> Sample:
    return Sample(tuple(run.load for run in runs))


def _dead_resolver_figure(runs: list[DegradedRun], bound: float, timeout: float) -> Figure:
    wall = Sample(tuple(run.wall for run in runs))
    rows = len(runs[0].codes)
    unknown = min(run.rows_with(LOST) for run in runs)
    said = sorted({run.rows_with("dns.resolver_down") for run in runs})
    swallowed = Sample(tuple(float(run.swallowed) for run in runs))
    return Figure(
        name=f"Dead resolver (swallows every question), {rows:,} hosts, timeout {timeout:g} s",
        value=f"{wall.text(' s')} = {wall.median / timeout:.2f}× the timeout; "
        f"{unknown:,} of {rows:,} rows unknown ({LOST}); dns.resolver_down on "
        f"{' / '.join(str(count) for count in said)} row(s); "
        f"{swallowed.text(' questions', 0)} reached the dead resolver",
        goal=f"≤ 3 × the timeout ({bound:g} s), said once",
        met=wall.median <= bound and said == [1] and unknown == rows,
        load=_load(runs),
    )


def _dead_zones_figure(
    runs: list[DegradedRun], clean_wall: Sample, clean_codes: dict[str, tuple[str, ...]]
) -> Figure:
    wall = Sample(tuple(run.wall for run in runs))
    dead = [key for key in clean_codes if _in_dead_zone(key)]
    unknown = min(sum(LOST in run.codes[key] for key in dead) for run in runs)
    others = all(
        run.codes[key] == clean_codes[key] for run in runs for key in clean_codes if key not in dead
    )
    return Figure(
        name=f"Dead name servers for {len(DEAD_BRANDS)} of {BRANDS} brands (10 %), "
        f"{len(clean_codes):,} hosts",
        value=f"{wall.text(' s')} = {wall.median / clean_wall.median:.2f}× the clean run "
        f"({clean_wall.median:.2f} s); {unknown} of their {len(dead)} rows unknown ({LOST}); "
        f"the other {len(clean_codes) - len(dead):,} rows as in the clean run: "
        f"{'yes' if others else 'NO'}",
        goal="dead rows unknown, the rest unchanged",
        met=unknown == len(dead) and others,
        load=_load(runs),
    )


def _dead_zone_host_figure(runs: list[DegradedRun], bound: float, timeout: float) -> Figure:
    wall = Sample(tuple(run.wall for run in runs))
    verdicts = {codes for run in runs for codes in run.codes.values()}
    unknown = all(LOST in codes for codes in verdicts)
    return Figure(
        name=f"One host in a zone whose name servers are dead, alone, timeout {timeout:g} s",
        value=f"{wall.text(' s')} = {wall.median / timeout:.2f}× the timeout; "
        f"{'unknown' if unknown else 'NOT unknown'} ({LOST})",
        goal=f"≤ 3 × the timeout ({bound:g} s)",
        met=wall.median <= bound and unknown,
        load=_load(runs),
    )


def _lossy_figure(
    runs: list[DegradedRun],
    clean_wall: Sample,
    clean_codes: dict[str, tuple[str, ...]],
    clean_questions: int,
) -> Figure:
    wall = Sample(tuple(run.wall for run in runs))
    ratio = Sample(tuple(run.wall / clean_wall.median for run in runs))
    changed = max(
        sum(run.codes[key] != codes for key, codes in clean_codes.items()) for run in runs
    )
    asked = Sample(tuple(float(run.questions) for run in runs))
    return Figure(
        name=f"{LOSS:.0%} of UDP answers lost (seeded), {len(clean_codes):,} hosts",
        value=f"{wall.text(' s')} = {ratio.text('×')} the clean run ({clean_wall.median:.2f} s); "
        f"rows whose findings differ from the clean run: {changed}; questions "
        f"{asked.text('', 0)} (clean {clean_questions:,})",
        goal="≤ 1.5× the clean run, no row changed",
        met=ratio.median <= 1.5 and changed == 0,
        load=_load(runs),
    )
