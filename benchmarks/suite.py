"""The benchmark suite's runs: which worlds to start and which runs to make in each (the figures
they give are in `benchmarks.figures`)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

from benchmarks.dashboard import run_dashboard
from benchmarks.figures import history_figures
from benchmarks.history import generated, inventory_subjects, run_history
from benchmarks.network import batch_once, batch_server, collect_degraded
from benchmarks.plan import Collected, Log, Plan
from benchmarks.report import Figure
from benchmarks.runs import load_average, peer_once, scan_once
from benchmarks.session import load_info
from benchmarks.world import World, bench_world


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
        for _run in range(plan.runs):  # the two ways in turn, so that load falls on both
            got.batches.append(batch_once(server.port, plan.batch_questions))
            got.one_socket_batches.append(
                batch_once(server.port, plan.batch_questions, one_socket=True)
            )
            log(
                f"  batch: {got.batches[-1].per_second:,.0f} questions/s "
                f"(one socket: {got.one_socket_batches[-1].per_second:,.0f})"
            )


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
