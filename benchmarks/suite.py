"""The benchmark suite: which worlds to start, which runs to make in each, and the figures they give."""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.dashboard import DashboardFigures, run_dashboard
from benchmarks.history import HistoryFigures, generated, inventory_subjects, run_history
from benchmarks.network import (
    BatchRun,
    Degraded,
    batch_figure,
    batch_once,
    batch_server,
    collect_degraded,
    degraded_figures,
)
from benchmarks.report import Figure, Sample, percentile
from benchmarks.runs import PeerRun, ScanRun, load_average, peer_once, scan_once
from benchmarks.session import load_info
from benchmarks.world import World, bench_world

Log = Callable[[str], None]
PARTS = ("scans", "serial", "peers", "dashboard", "memory", "batch", "degraded")
"""What `python -m benchmarks --only` can select (every part when none is named)."""
BATCH_QUESTIONS = 20000
"""Questions of the batch-speed figure (`benchmarks/batch_child.py`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What to measure; `smoke()` is the seconds-long version `make test` runs."""

    sizes: tuple[int, ...] = (100, 1000, 10000)
    reference: int = 1000
    runs: int = 3
    delay: float = 0.05
    concurrency: int = 32
    serial: tuple[int, int] = (100, 200)
    dashboard_size: int = 1000
    presses: int = 200
    peer_domains: int = 1000
    memory_size: int = 10000
    warm_up: bool = True
    history_hosts: int = 10000
    history_scans: int = 8760
    """A year of hourly scans of the dashboard's fleet."""
    only: frozenset[str] = frozenset()
    batch_questions: int = BATCH_QUESTIONS

    def wants(self, part: str) -> bool:
        """Whether `part` (one of PARTS) is measured in this run."""
        return not self.only or part in self.only

    def parts_at(self, size: int) -> set[str]:
        """The selected parts that run in the world of `size` hosts."""
        parts = {"scans"} if self.wants("scans") else set()
        if size == self.reference:
            parts |= {part for part in ("serial", "peers", "degraded") if self.wants(part)}
            if "degraded" in parts:
                parts.add("scans")  # the clean run the broken networks are compared with
        if size == self.dashboard_size and self.wants("dashboard"):
            parts.add("dashboard")
        if size == self.memory_size and self.wants("memory"):
            parts.add("memory")
        return parts

    @classmethod
    def smoke(cls) -> Plan:
        """One run of everything, tiny where the size is free, 2 ms of delay."""
        return cls(
            sizes=(1000,), runs=1, delay=0.002, serial=(10, 20), dashboard_size=100,
            presses=5, peer_domains=100, memory_size=1000, warm_up=False,
            history_hosts=500, history_scans=24,
            batch_questions=2000,
        )  # fmt: skip


@dataclass(slots=True)
class Collected:
    """Every run made, by kind."""

    scans: dict[int, list[ScanRun]] = field(default_factory=dict)
    serial: dict[int, list[tuple[ScanRun, ScanRun]]] = field(default_factory=dict)
    dashboards: list[DashboardFigures] = field(default_factory=list)
    large_dashboard: DashboardFigures | None = None
    large_dashboard_load: float = 0.0
    dashboard_loads: list[float] = field(default_factory=list)
    peers: list[PeerRun] = field(default_factory=list)
    refusing: PeerRun | None = None
    history: HistoryFigures | None = None
    history_dashboard: DashboardFigures | None = None
    batches: list[BatchRun] = field(default_factory=list)
    degraded: Degraded = field(default_factory=Degraded)
    timeout: float = 0.0


def collect(plan: Plan, log: Log) -> Collected:
    """Start each world once and make every selected run that belongs to it."""
    got = Collected()
    for size in plan.sizes:
        parts = plan.parts_at(size)
        if parts:
            log(f"starting a world of {size} hosts (delay {plan.delay * 1000:g} ms)")
            with bench_world(size, delay=plan.delay) as world:
                _world_runs(world, parts, plan, got, log)
    if plan.wants("dashboard") and plan.dashboard_size not in plan.sizes:
        log(f"starting a world of {plan.dashboard_size} hosts for the dashboard")
        with bench_world(plan.dashboard_size, delay=plan.delay) as world:
            _dashboard_runs(world, plan, got, log)
    if plan.wants("batch"):
        _batch_runs(plan, got, log)
    return got


def _world_runs(world: World, parts: set[str], plan: Plan, got: Collected, log: Log) -> None:
    """The selected runs in the started world."""
    size = len(world.hosts)
    if "scans" in parts:
        got.scans[size] = []
        for run in range(plan.runs):
            got.scans[size].append(scan_once(world, concurrency=plan.concurrency))
            log(f"  scan {run + 1}/{plan.runs}: {got.scans[size][-1].wall:.2f} s")
    if "serial" in parts:
        _serial_runs(world, plan, got, log)
    if "peers" in parts:
        _peer_runs(world, plan, got, log)
    if "degraded" in parts:
        got.degraded = collect_degraded(world, plan.runs, plan.concurrency, log)
        got.timeout = world.timeout
    if "dashboard" in parts:
        _dashboard_runs(world, plan, got, log)
    if "memory" in parts:  # one dashboard over the largest fleet, for its memory
        got.large_dashboard_load = load_average()
        got.large_dashboard = run_dashboard(world.info_path, presses=0, timeout=600.0)
        log(f"  dashboard over {size} hosts: {got.large_dashboard.rss_mb:.0f} MB")


def _batch_runs(plan: Plan, got: Collected, log: Log) -> None:
    """The batch's questions per second against an undelayed server (after one warm-up run, so
    that the server answers every question from a reply it built before)."""
    with batch_server() as server:
        batch_once(server.port, plan.batch_questions)
        for _run in range(plan.runs):
            got.batches.append(batch_once(server.port, plan.batch_questions))
            log(f"  batch: {got.batches[-1].per_second:,.0f} questions/s")


def _serial_runs(world: World, plan: Plan, got: Collected, log: Log) -> None:
    for first in plan.serial:
        got.serial[first] = []
        for _run in range(plan.runs):
            one = scan_once(world, concurrency=1, first=first)
            many = scan_once(world, concurrency=plan.concurrency, first=first)
            got.serial[first].append((one, many))
            log(
                f"  {first} hosts: concurrency 1 {one.wall:.2f} s, {plan.concurrency} {many.wall:.2f} s"
            )


def _peer_runs(world: World, plan: Plan, got: Collected, log: Log) -> None:
    if importlib.util.find_spec("pydnsbl") is None:
        log("  pydnsbl is not installed (pip install -e '.[bench]'): no comparison")
        return
    if plan.warm_up:  # the server builds each answer once: both tools then find it built
        peer_once(world, plan.peer_domains, trackdeck_first=True)
    for run in range(plan.runs):
        got.peers.append(peer_once(world, plan.peer_domains, trackdeck_first=run % 2 == 1))
        log(f"  blocklists: {got.peers[-1].speedup:.2f}× pydnsbl's speed")
    world.use_refusing_uribl(True)
    try:
        got.refusing = peer_once(world, plan.peer_domains, trackdeck_first=True)
    finally:
        world.use_refusing_uribl(False)


def _dashboard_runs(world: World, plan: Plan, got: Collected, log: Log) -> None:
    for run in range(plan.runs):
        got.dashboard_loads.append(load_average())
        got.dashboards.append(run_dashboard(world.info_path, presses=plan.presses))
        log(
            f"  dashboard {run + 1}/{plan.runs}: first frame {got.dashboards[-1].first_frame:.2f} s"
        )
    _history_runs(world, plan, got, log)


def _history_runs(world: World, plan: Plan, got: Collected, log: Log) -> None:
    """The history figures, then the dashboard over this world with a year of its history."""
    inventory = Path(str(load_info(world.info_path)["inventory"]))
    with tempfile.TemporaryDirectory(prefix="trackdeck-bench-year-") as scratch:
        year = Path(scratch) / "history.sqlite"
        got.history = run_history(
            record_hosts=plan.history_hosts,
            year_subjects=inventory_subjects(inventory),
            year_scans=plan.history_scans,
            year_path=year,
            log=log,
        )
        got.history_dashboard = run_dashboard(world.info_path, presses=0, history=year)
        log(
            f"  dashboard with a year of history: first frame {got.history_dashboard.first_frame:.2f} s"
        )


def _loads(runs: list[ScanRun]) -> Sample:
    return Sample(tuple(run.load for run in runs))


def scan_figures(plan: Plan, got: Collected) -> list[Figure]:
    """Wall time against the bounds, per fleet size."""
    figures = []
    for size, runs in got.scans.items():
        wall = Sample(tuple(run.wall for run in runs))
        over = Sample(tuple(run.over_bound for run in runs))
        first = runs[0].bounds
        figures.append(
            Figure(
                name=f"Fleet scan, {size:,} hosts, concurrency {plan.concurrency}",
                value=f"{wall.text(' s')}; bounds {first.throughput:.2f} s throughput "
                f"({first.distinct:,} distinct questions), {first.critical_path:.2f} s critical path "
                f"({first.chain} questions); wall = {over.text('×')} the larger; "
                f"{runs[0].api_requests:,} ESP API requests",
                goal="≤ 1.5× the larger bound",
                met=over.median <= 1.5,
                load=_loads(runs),
            )
        )
    return figures


def serial_figures(plan: Plan, got: Collected) -> list[Figure]:
    """The same engine at concurrency 1: measured on small fleets, extrapolated to the reference."""
    figures = []
    small, large = plan.serial
    for first, pairs in got.serial.items():
        ratio = Sample(tuple(one.wall / many.wall for one, many in pairs))
        one = Sample(tuple(one.wall for one, _many in pairs))
        ceiling = Sample(tuple(one.wall / many.bounds.larger for one, many in pairs))
        figures.append(
            Figure(
                name=f"Concurrency 1 vs {plan.concurrency}, {first} hosts (both measured)",
                value=f"{one.text(' s')} at concurrency 1: {ratio.text('×')} slower; a scan "
                f"at its larger bound would be {ceiling.text('×')} faster",
                goal="≥ 20×",
                met=ratio.median >= 20,
                load=Sample(tuple(p[0].load for p in pairs)),
            )
        )
    if small in got.serial and large in got.serial and plan.reference in got.scans:
        t_small = Sample(tuple(p[0].wall for p in got.serial[small])).median
        t_large = Sample(tuple(p[0].wall for p in got.serial[large])).median
        per_host = (t_large - t_small) / (large - small)
        estimate = t_large + per_host * (plan.reference - large)
        wall = Sample(tuple(run.wall for run in got.scans[plan.reference])).median
        bound = got.scans[plan.reference][0].bounds.larger
        figures.append(
            Figure(
                name=f"Concurrency 1 vs {plan.concurrency}, {plan.reference:,} hosts (extrapolated)",
                value=f"concurrency 1 estimated {estimate:.0f} s ({per_host * 1000:.0f} ms per "
                f"host beyond {large}, from the runs above) vs {wall:.2f} s: "
                f"{estimate / wall:.0f}× slower; at its larger bound ({bound:.2f} s) a scan would "
                f"be {estimate / bound:.0f}× faster",
                goal="≥ 20×",
                met=estimate / wall >= 20,
                load=Sample(tuple(p[0].load for p in got.serial[large])),
            )
        )
    return figures


def question_figures(plan: Plan, got: Collected) -> list[Figure]:
    """DNS questions per host, counted at the servers, and whether the findings stayed identical."""
    if not got.scans:
        return []
    figures = []
    for size, runs in got.scans.items():
        per_host = sorted({round(run.per_host, 3) for run in runs})
        goal = size == plan.reference
        figures.append(
            Figure(
                name=f"DNS questions per host, {size:,} hosts, 50 brands",
                value=f"{' / '.join(f'{value:.2f}' for value in per_host)} "
                f"({runs[0].questions:,} questions; every run the same: {len(per_host) == 1})",
                goal="≤ 6" if goal else "(goal is for 1,000 hosts)",
                met=per_host[-1] <= 6 if goal else None,
                load=_loads(runs),
            )
        )
    digests = {run.digest for runs in got.scans.values() for run in runs[:1]}
    same = all(len({run.digest for run in runs}) == 1 for runs in got.scans.values())
    same = same and all(one.digest == many.digest for p in got.serial.values() for one, many in p)
    figures.append(
        Figure(
            name="Findings identical across runs and concurrencies",
            value=f"{'yes' if same else 'NO'} ({len(digests)} fleet sizes, digests of every row's codes)",
            goal="identical",
            met=same,
            load=Sample((load_average(),)),
        )
    )
    return figures


def memory_figures(plan: Plan, got: Collected) -> list[Figure]:
    """Peak RSS of the headless scan and of the dashboard."""
    figures = []
    if plan.memory_size in got.scans:
        runs = got.scans[plan.memory_size]
        rss = Sample(tuple(run.rss_mb for run in runs))
        figures.append(
            Figure(
                name=f"Peak RSS, headless scan of {plan.memory_size:,} hosts",
                value=rss.text(" MB", 0),
                goal="≤ 150 MB",
                met=rss.median <= 150,
                load=_loads(runs),
            )
        )
    dashboards = [
        (plan.dashboard_size, run, load)
        for run, load in zip(got.dashboards, got.dashboard_loads, strict=True)
    ]
    if got.large_dashboard is not None:
        dashboards.append((plan.memory_size, got.large_dashboard, got.large_dashboard_load))
    for size in dict.fromkeys(size for size, _, _ in dashboards):
        shown = [run for each, run, _ in dashboards if each == size]
        loads = Sample(tuple(load for each, _, load in dashboards if each == size))
        rss = Sample(tuple(run.rss_mb for run in shown))
        child = Sample(tuple(run.child_rss_mb for run in shown))
        figures.append(
            Figure(
                name=f"Peak RSS, dashboard scanning {size:,} hosts",
                value=f"dashboard process {rss.text(' MB', 0)}; its scan child {child.text(' MB', 0)}",
                goal="(no goal)",
                met=None,
                load=loads,
            )
        )
    return figures


def dashboard_figures(plan: Plan, got: Collected) -> list[Figure]:
    """First frame and key-press latency during a scan."""
    if not got.dashboards:
        return []
    loads = Sample(tuple(got.dashboard_loads))
    first = Sample(tuple(run.first_frame for run in got.dashboards))
    presses = [latency for run in got.dashboards for latency in run.latencies]
    p50, p99 = percentile(presses, 0.5) * 1000, percentile(presses, 0.99) * 1000
    scan = Sample(tuple(run.scan_wall for run in got.dashboards))
    return [
        Figure(
            name=f"Dashboard: process start → first frame with the {plan.dashboard_size:,} hosts",
            value=first.text(" s"), goal="≤ 0.5 s", met=first.median <= 0.5, load=loads,
        ),
        Figure(
            name="Dashboard: key press → screen update during the scan",
            value=f"p50 {p50:.0f} ms, p99 {p99:.0f} ms ({len(presses)} presses; scan took "
            f"{scan.text(' s')} in the dashboard)",
            goal="p99 ≤ 50 ms", met=p99 <= 50, load=loads,
        ),
    ]  # fmt: skip


def peer_figures(plan: Plan, got: Collected) -> list[Figure]:
    """trackdeck's blocklist stage against pydnsbl's."""
    if not got.peers:
        return []
    speedup = Sample(tuple(run.speedup for run in got.peers))
    ours = Sample(tuple(float(str(run.trackdeck["wall"])) for run in got.peers))
    theirs = Sample(tuple(float(str(run.pydnsbl["wall"])) for run in got.peers))
    figures = [
        Figure(
            name=f"Blocklist stage vs pydnsbl, {plan.peer_domains:,} domains × 3 lists",
            value=f"trackdeck {ours.text(' s')}, pydnsbl {theirs.text(' s')}: trackdeck "
            f"{speedup.text('×')} as fast",
            goal="faster (> 1×)", met=speedup.median > 1,
            load=Sample(tuple(run.load for run in got.peers)),
        )
    ]  # fmt: skip
    if got.refusing is not None:
        ours_r, theirs_r = got.refusing.trackdeck, got.refusing.pydnsbl
        honest = ours_r["uribl_listed"] == ours_r["uribl_clean"] == 0
        figures.append(
            Figure(
                name="Refusing list (URIBL answers 127.0.0.1 to every query)",
                value=f"trackdeck: {ours_r['uribl_unknown']} not tested, {ours_r['uribl_listed']} "
                f"listed, {ours_r['uribl_clean']} clean; pydnsbl: {theirs_r['uribl_listed']} "
                f"listed, {theirs_r['uribl_clean']} clean, {theirs_r['uribl_unknown']} failed",
                goal="trackdeck alone honest",
                met=honest and theirs_r["uribl_listed"] != 0,
                load=Sample((got.refusing.load,)),
            )
        )
    return figures


def history_figures(plan: Plan, got: Collected) -> list[Figure]:
    """Recording, a year's size, one host's timeline, and the first frame over that year."""
    found = got.history
    if found is None:
        return []
    load = Sample((load_average(),))
    record = Sample(found.record_seconds)
    timeline = Sample(found.timeline_ms)
    years = found.year_scans / 8760
    figures = [
        Figure(
            name=f"History: recording a {found.record_hosts:,}-host scan",
            value=record.text(" s"),
            goal="≤ 1 s added to the scan",
            met=record.median <= 1.0,
            load=load,
        ),
        Figure(
            name=f"History: file after {found.year_scans:,} hourly scans of {found.year_hosts:,} hosts",
            value=f"{found.year_megabytes:.1f} MB (written in {found.year_seconds:.0f} s)",
            goal="≤ 50 MB after a year",
            met=found.year_megabytes <= 50 * years if years else None,
            load=load,
        ),
        Figure(
            name="History: one host's timeline from that file",
            value=f"{timeline.text(' ms')} ({found.timeline_events} events)",
            goal="≤ 50 ms",
            met=timeline.median <= 50,
            load=load,
        ),
    ]
    if got.history_dashboard is not None and got.dashboards:
        plain = Sample(tuple(run.first_frame for run in got.dashboards))
        first = got.history_dashboard.first_frame
        figures.append(
            Figure(
                name="History: dashboard first frame with that year of history",
                value=f"{first:.2f} s (without history: {plain.text(' s')})",
                goal="the same budget as without history",
                met=first <= max(plain.values) * 1.1 + 0.05,
                load=load,
            )
        )
    return figures


def history_only(plan: Plan, log: Log) -> list[Figure]:
    """The history's figures over a generated fleet the size of the dashboard's."""
    got = Collected()
    with tempfile.TemporaryDirectory(prefix="trackdeck-bench-year-") as scratch:
        got.history = run_history(
            record_hosts=plan.history_hosts,
            year_subjects=generated(plan.dashboard_size),
            year_scans=plan.history_scans,
            year_path=Path(scratch) / "history.sqlite",
            log=log,
        )
    return history_figures(plan, got)


def broken_network_figures(plan: Plan, got: Collected) -> list[Figure]:
    """The scans on a broken network, beside the clean one of the same world."""
    return degraded_figures(got.degraded, got.scans.get(plan.reference, []), got.timeout)


def batch_figures(plan: Plan, got: Collected) -> list[Figure]:
    """The DNS batch's own speed."""
    return [batch_figure(got.batches, plan.batch_questions)] if got.batches else []


def figures(plan: Plan, got: Collected) -> list[Figure]:
    """Every figure, in the order of the issue."""
    return [
        *scan_figures(plan, got),
        *broken_network_figures(plan, got),
        *serial_figures(plan, got),
        *question_figures(plan, got),
        *dashboard_figures(plan, got),
        *memory_figures(plan, got),
        *peer_figures(plan, got),
        *batch_figures(plan, got),
        *history_figures(plan, got),
    ]


__all__ = ["Collected", "Plan", "collect", "figures"]
