"""The DNS batch's own speed, in its own process: distinct questions asked at once through
`DnsClient.prefetch` (the way a scan asks its independent questions) against a loopback server that
answers at once from replies it built before, so that what is measured is the client. Prints one
JSON line with the questions asked, the seconds and the questions per second.

`--one-socket` asks the same batch from a single socket per address family, reused for every try
(the pool made a size of one and its sockets' use unlimited): how the batch sent before it spread
its tries over random source ports, so that the table shows what the ports cost."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from checks import dnsbatch, dnssend
from checks.dnsclient import AnswerCache, DnsClient
from checks.engine import PREFETCH_WINDOW

ZONE = "batch.bench.example"
"""A wildcard zone: every name under it answers one A record."""


def zone_text() -> str:
    """The zone the batch asks about (served by the benchmark's undelayed server)."""
    return (
        f"$ORIGIN {ZONE}.\n$TTL 300\n"
        f"@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 60\n"
        f"@ IN NS ns1.{ZONE}.\nns1 IN A 127.0.0.2\n* IN A 192.0.2.1\n"
    )


def questions(count: int) -> list[tuple[str, str]]:
    """`count` distinct A questions under the zone."""
    return [(f"q{index}.{ZONE}", "A") for index in range(count)]


def ask_batch(port: int, count: int, window: int) -> dict[str, object]:
    """Ask `count` distinct questions at once, `window` in flight; the figures of that run."""
    client = DnsClient([("127.0.0.1", port)], timeout=2.0, cache=AnswerCache())
    wanted = questions(count)
    started, cpu_started = time.perf_counter(), _cpu()
    asked = client.prefetch(wanted, window=window)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu_started
    answered = sum(
        1 for name, rdtype in wanted if client.query(name, rdtype).records == ("192.0.2.1",)
    )
    return {
        "asked": asked,
        "answered": answered,
        "wall": wall,
        "cpu": cpu,
        "per_second": asked / wall,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.batch_child PORT COUNT [--window N]`."""
    parser = argparse.ArgumentParser(prog="benchmarks.batch_child")
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--window", type=int, default=PREFETCH_WINDOW)
    parser.add_argument("--one-socket", action="store_true", help="one port for every try")
    args = parser.parse_args(argv)
    if args.one_socket:  # this process only: the pool's size and each socket's tries
        vars(dnsbatch)["POOL_SIZE"] = 1  # its copy of dnssend's constant
        dnssend.SOCKET_USES = 1 << 30
    sys.stdout.write(json.dumps(ask_batch(args.port, args.count, args.window)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
