"""The blocklist stage of one tool over the comparison's registered domains, in its own process:
trackdeck's (the engine's batched list questions, then `check_blocklists` on the scan's worker
threads) or pydnsbl's (`DNSBLDomainChecker.bulk_check`). Prints one JSON line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.fleet import peer_domains
from checks.blocklist_queries import list_queries
from checks.blocklists import ListVerdict, check_blocklists
from checks.context import BlocklistSettings, CheckContext
from checks.engine import PREFETCH_WINDOW
from tui.fleet.network import NetworkOptions, build_context

ZONES = ("dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com")
URIBL = "URIBL"


def _verdict_of(verdicts: tuple[ListVerdict, ...], name: str) -> str:
    return next((verdict.status for verdict in verdicts if verdict.list_name == name), "absent")


def trackdeck_stage(port: int, count: int, concurrency: int) -> dict[str, object]:
    """trackdeck: every list question asked at once (`PREFETCH_WINDOW` in flight, as a scan asks
    them), then each domain judged on the scan's worker threads."""
    options = NetworkOptions(resolvers=(f"127.0.0.1:{port}",), timeout=2.0)
    ctx: CheckContext = build_context(options).for_new_scan()
    ctx = dataclasses.replace(ctx, blocklists=BlocklistSettings())
    domains = peer_domains(count)
    started = time.perf_counter()
    names = list_queries(domains, ctx.blocklists)
    ctx.blocklist_resolver.prefetch(((name, "A") for name in names), window=PREFETCH_WINDOW)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda domain: check_blocklists(domain, ctx), domains))
    wall = time.perf_counter() - started
    uribl = [_verdict_of(verdicts, URIBL) for _findings, verdicts in results]
    listed = sum(any(v.status == "listed" for v in verdicts) for _findings, verdicts in results)
    return {
        "wall": wall,
        "listed": listed,
        "uribl_listed": uribl.count("listed"),
        "uribl_clean": uribl.count("clean"),
        "uribl_unknown": uribl.count("not_tested"),
    }


def pydnsbl_stage(port: int, count: int) -> dict[str, object]:
    """pydnsbl with its defaults (200 questions in flight, 5 s timeout, 2 tries) on the same server."""
    import aiodns  # noqa: PLC0415 - the bench extra
    import pydnsbl  # noqa: PLC0415 - the bench extra
    from pydnsbl.providers import Provider  # noqa: PLC0415 - the bench extra

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    checker = pydnsbl.DNSBLDomainChecker(providers=[Provider(zone) for zone in ZONES], loop=loop)
    # pydnsbl has no resolver option: give its aiodns resolver the loopback server's port
    checker._resolver = aiodns.DNSResolver(
        nameservers=["127.0.0.1"], udp_port=port, tcp_port=port, timeout=5, tries=2, loop=loop
    )
    domains = list(peer_domains(count))
    started = time.perf_counter()
    results = checker.bulk_check(domains)
    wall = time.perf_counter() - started
    loop.close()
    uribl_listed = sum("multi.uribl.com" in result.detected_by for result in results)
    uribl_failed = sum(
        any(p.host == "multi.uribl.com" for p in result.failed_providers) for result in results
    )
    return {
        "wall": wall,
        "listed": sum(bool(result.blacklisted) for result in results),
        "uribl_listed": uribl_listed,
        "uribl_clean": len(results) - uribl_listed - uribl_failed,
        "uribl_unknown": uribl_failed,
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.peer_child trackdeck|pydnsbl PORT COUNT`."""
    parser = argparse.ArgumentParser(prog="benchmarks.peer_child")
    parser.add_argument("tool", choices=("trackdeck", "pydnsbl"))
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    if args.tool == "trackdeck":
        figures = trackdeck_stage(args.port, args.count, args.concurrency)
    else:
        figures = pydnsbl_stage(args.port, args.count)
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
