"""A headless fleet scan in its own process (so its peak RSS is its own): prints one JSON line with
the wall time, the peak RSS and a digest of every row's finding codes."""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.fleet import make_fleet
from benchmarks.memory import peak_rss_mb
from benchmarks.session import bench_session, load_info
from tui.fleet.rows import row_key


def codes_by_row(rows: dict[str, tuple[str, ...]]) -> str:
    """A digest of every row's sorted finding codes: equal digests mean identical findings."""
    text = "\n".join(f"{key} {' '.join(sorted(codes))}" for key, codes in sorted(rows.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def first_keys(info: Path, count: int) -> tuple[str, ...]:
    """The row keys of the fleet's first `count` hosts (spread over the brands)."""
    size = int(str(load_info(info)["size"]))
    return tuple(row_key(host.account, host.host) for host in make_fleet(size)[:count])


def run_scan(
    info: Path,
    concurrency: int,
    first: int = 0,
    *,
    keys: tuple[str, ...] = (),
    resolvers: tuple[str, ...] = (),
) -> dict[str, object]:
    """Scan the fleet (or its `first` hosts, or the rows `keys`) once, through the world's
    resolver or `resolvers`; the figures of that run."""
    keys = keys or (first_keys(info, first) if first else ())
    with tempfile.TemporaryDirectory(prefix="trackdeck-bench-audit-") as directory:
        audit = Path(directory) / "audit.jsonl"
        with bench_session(
            info, concurrency=concurrency, audit=audit, scan_in_child=False, resolvers=resolvers
        ) as session:
            fleet = session.fleet_scan(only_keys=keys)
            started = time.perf_counter()
            rows = {row.key: tuple(f.code for f in row.findings) for row in fleet.run()}
            wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rows": len(rows),
        "digest": codes_by_row(rows),
        "codes": rows,
        "rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.scan_child WORLD_JSON --concurrency N`."""
    parser = argparse.ArgumentParser(prog="benchmarks.scan_child")
    parser.add_argument("info", type=Path)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--first", type=int, default=0, help="scan only the first N hosts")
    parser.add_argument("--key", action="append", default=[], help="scan only this row")
    parser.add_argument("--resolver", action="append", default=[], help="instead of the world's")
    args = parser.parse_args(argv)
    figures = run_scan(
        args.info,
        args.concurrency,
        args.first,
        keys=tuple(args.key),
        resolvers=tuple(args.resolver),
    )
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
