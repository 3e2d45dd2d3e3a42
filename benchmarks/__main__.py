"""`make bench`: measure every figure of the benchmark suite, print the table, write the results."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.email_parse import email_figures
from benchmarks.figures import figures
from benchmarks.fleet import BRANDS
from benchmarks.plan import PARTS, Plan
from benchmarks.report import Figure, results_markdown, table
from benchmarks.suite import collect, history_only

RESULTS = Path(__file__).parent / "results.md"
NOTES = (
    f"World: N hosts over {BRANDS} brands and six ESP targets, 88 % healthy and 1 % each of twelve "
    "failures (wrong or stale CNAME, Cloudflare proxy, dangling, missing, A record with nothing on "
    "443, expired / expiring / untrusted / wrong-name certificate, DBL listing, conflicting records) "
    "plus four brand-wide ones (CAA for DigiCert only, a lame name server, SURBL and URIBL "
    "listings); zones generated in memory; the ESP APIs simulated by the world process and served "
    "over loopback HTTP (benchmarks/esp_server.py), so the measured processes use the real ESP "
    "clients.",
    "DNS: a loopback resolver, the zones' name server and a lame one, each answering every "
    "question after the delay (benchmarks/fast_dns.py: the test server's `resolve()`, each answer "
    "built once, replies sent by a timer thread; the thread-per-request test server tops out near "
    "1,000 questions/s here and would measure itself). Questions are counted at these servers.",
    "TLS: loopback servers holding one certificate per host, chosen by SNI (TlsWorld.add_host).",
    "Bounds: throughput = distinct questions × delay / concurrency; critical path = the longest "
    "chain of one host's questions that each need the previous answer × delay "
    "(benchmarks/bounds.py).",
    "Concurrency 1: scans of the first hosts of the 1,000-host world; the 1,000-host figure is "
    "extrapolated linearly from two of them, since measuring it would take minutes per run. The "
    "ceiling beside each ratio is concurrency 1 divided by the concurrency-32 run's larger bound: "
    "the ratio a scan finishing exactly at its bound would reach.",
    "Dashboard: the real TrackdeckApp with Textual's terminal driver in a pseudo-terminal "
    "(benchmarks/dashboard.py), timed from process start until the terminal shows a host of the "
    "inventory; key presses are down arrows while the scan runs, timed until the moved cursor was "
    "painted (the next press waits for it, with 20–60 ms pauses). The dashboard runs the scan in a "
    "child process (tui/fleet/child.py), as `trackdeck` does on the real network; its peak RSS "
    "figure is the dashboard's own process, the scan's is the headless figure's.",
    "pydnsbl runs with its defaults (200 questions in flight, 5 s timeout, 2 tries), its aiodns "
    "resolver pointed at the same loopback server; each pair of runs alternates which tool goes "
    "first, after one warm-up pair. The refusing pass serves a URIBL that answers 127.0.0.1 (its "
    "'refused' code) to everything. trackdeck asks three questions more (its test points) and keeps "
    "256 questions in flight (PREFETCH_WINDOW) where pydnsbl keeps 200.",
    "Questions per host at 10,000 hosts differ a little between runs: that scan takes about a "
    "minute, longer than some answers may be kept (a TTL-0 answer 10 s, a negative one 60 s), and "
    "an expired answer is asked again, as it must be.",
    "Email reader: each adversarial family of benchmarks/email_inputs.py (unclosed tags, comments, "
    "MSO sections, CSS strings, List-Unsubscribe brackets, titles; long headers; nested multiparts) "
    "parsed in this process, the fastest of the runs; growth is each family's time at 4.2 MB over "
    "its time at 700 KB (6× for linear work). `python -m benchmarks --only email` measures these "
    "alone.",
    "Broken networks (benchmarks/network.py), each beside the clean scan of the same 1,000-host "
    "world and timed the same way: a resolver that swallows every question (the scan pointed at a "
    "server that drops everything); the name servers of 5 of the 50 brands dead (every server "
    "answers their names SERVFAIL only after three of our timeouts, as a resolver does after its "
    "own), and one healthy host of such a brand scanned alone; 5 % of every server's UDP answers "
    "lost, the same ones in every run (seeded by question and arrival). 'As in the clean run' "
    "compares every row's finding codes.",
    "DNS batch: distinct questions asked at once through DnsClient.prefetch (256 in flight, as a "
    "scan asks them) against the undelayed loopback server of benchmarks/fast_dns.py, after one "
    "warm-up run so that it answers from replies it built before: the client's own cost.",
    "Peak RSS is each child's own VmHWM (/proc/self/status): on Linux ru_maxrss carries the "
    "parent's peak over fork and exec, so a child of the world process (about 270 MB with 10,000 "
    "hosts' certificates) would report the world's size. The dashboard's scan child is measured "
    "from the dashboard with RUSAGE_CHILDREN, which on Linux is the child's own peak or, if that "
    "was smaller, the dashboard's size when it started the child.",
)


def main(argv: list[str] | None = None) -> int:
    """Run the suite (or its smoke version), print the table, write the results file."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run of everything")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3)")
    parser.add_argument("--delay", type=float, help="seconds before every DNS answer (0.05)")
    parser.add_argument(
        "--out", type=Path, help=f"results file (default {RESULTS}, none for --smoke or --only)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=(*PARTS, "email", "history"),
        default=[],
        help="measure only these figures (repeatable; default: all); history alone runs over a "
        "generated fleet, without the dashboard's first frame",
    )
    parser.add_argument(
        "--sizes", type=_sizes, help="fleet sizes to scan, comma-separated (default 100,1000,10000)"
    )
    args = parser.parse_args(argv)
    wanted = frozenset(args.only)
    plan = Plan.smoke() if args.smoke else Plan()
    plan = replace(
        plan,
        runs=args.runs or plan.runs,
        delay=args.delay or plan.delay,
        sizes=args.sizes or plan.sizes,
        only=wanted & frozenset(PARTS),
    )
    started = time.monotonic()
    rows: list[Figure] = []
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731 - a one-line logger
    if not wanted or plan.only:
        rows = figures(plan, collect(plan, log))
    if "history" in wanted:
        rows += history_only(plan, log)
    if not wanted or "email" in wanted:
        email_sizes = {"small": 16 * 1024, "large": 96 * 1024} if args.smoke else {}
        rows += email_figures(plan.runs, **email_sizes)
    print(table(rows))
    settings = {
        "Settings": f"delay {plan.delay * 1000:g} ms per DNS answer, concurrency {plan.concurrency}, "
        f"{plan.runs} runs per figure, {time.monotonic() - started:.0f} s in all",
    }
    out = args.out or (None if args.smoke or wanted else RESULTS)
    if out is not None:
        out.write_text(results_markdown(rows, settings, NOTES), encoding="utf-8")
        print(f"\nwritten to {out}", file=sys.stderr)
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    """`100,1000` as (100, 1000)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


if __name__ == "__main__":
    raise SystemExit(main())
