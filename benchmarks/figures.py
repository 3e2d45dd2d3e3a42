"""The figures of a benchmark run: each measured value beside its goal, from what the runs
collected (`benchmarks.plan.Collected`)."""

from __future__ import annotations

from benchmarks.network import batch_figure, degraded_figures
from benchmarks.plan import Collected, Plan
from benchmarks.report import Figure, Sample, percentile
from benchmarks.runs import ScanRun, load_average


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


def broken_network_figures(plan: Plan, got: Collected) -> list[Figure]:
    """The scans on a broken network, beside the clean one of the same world."""
    return degraded_figures(got.degraded, got.scans.get(plan.reference, []), got.timeout)


def batch_figures(plan: Plan, got: Collected) -> list[Figure]:
    """The DNS batch's own speed."""
    return (
        [batch_figure(got.batches, plan.batch_questions, got.one_socket_batches)]
        if got.batches
        else []
    )


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
