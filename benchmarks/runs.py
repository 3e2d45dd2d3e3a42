"""One measured run of each kind, each in a child process against a started world, with the load
average of the machine when it started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bounds import Bounds, bounds
from benchmarks.world import World

ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    """The environment of a child: no trackdeck settings or secrets from the caller's (DQS key)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("TRACKDECK_")}


def run_child(module: str, *args: str) -> dict[str, object]:
    """Run `python -m module args`, returning the JSON line it prints."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, *args],
        capture_output=True, text=True, check=False, cwd=ROOT, env=child_env(),
    )  # fmt: skip
    if completed.returncode != 0 or not completed.stdout.strip():
        raise RuntimeError(f"{module} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    figures: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def load_average() -> float:
    """The 1-minute load average now."""
    return os.getloadavg()[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanRun:
    """One headless fleet scan and what the servers saw."""

    hosts: int
    concurrency: int
    wall: float
    cpu: float
    rss_mb: float
    digest: str
    questions: int
    bounds: Bounds
    load: float
    codes: dict[str, tuple[str, ...]]
    api_requests: int = 0
    """ESP API requests the scan made (domain lists, then the click figures)."""

    @property
    def per_host(self) -> float:
        """DNS questions per host, counted at the servers."""
        return self.questions / self.hosts

    @property
    def over_bound(self) -> float:
        """Wall time as a multiple of the larger bound."""
        return self.wall / self.bounds.larger


def scan_once(world: World, *, concurrency: int, first: int = 0) -> ScanRun:
    """Scan the world's fleet (or its `first` hosts) in a child process."""
    world.reset_logs()
    requests_before = world.api_requests()
    load = load_average()
    data = run_child(
        "benchmarks.scan_child", str(world.info_path),
        "--concurrency", str(concurrency), "--first", str(first),
    )  # fmt: skip
    hosts = world.hosts[:first] if first else world.hosts
    recursive = world.resolver.queries
    direct = (world.authoritative.queries, world.lame.queries)
    codes = data["codes"]
    assert isinstance(codes, dict)
    return ScanRun(
        codes={str(key): tuple(value) for key, value in codes.items()},
        hosts=len(hosts),
        concurrency=concurrency,
        wall=float(str(data["wall"])),
        cpu=float(str(data["cpu"])),
        rss_mb=float(str(data["rss_mb"])),
        digest=str(data["digest"]),
        questions=len(recursive) + sum(len(server) for server in direct),
        bounds=bounds(hosts, recursive, direct, delay=world.delay, concurrency=concurrency),
        load=load,
        api_requests=world.api_requests() - requests_before,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerRun:
    """The blocklist stage of both tools on the same domains, one right after the other."""

    trackdeck: dict[str, object]
    pydnsbl: dict[str, object]
    load: float

    @property
    def speedup(self) -> float:
        """pydnsbl's wall time over trackdeck's (above 1: trackdeck is faster)."""
        return float(str(self.pydnsbl["wall"])) / float(str(self.trackdeck["wall"]))


def peer_once(world: World, count: int, *, trackdeck_first: bool) -> PeerRun:
    """Both tools' blocklist stage over `count` domains (alternating which goes first)."""
    load = load_average()
    port = str(world.resolver.port)
    order = ("trackdeck", "pydnsbl") if trackdeck_first else ("pydnsbl", "trackdeck")
    results = {tool: run_child("benchmarks.peer_child", tool, port, str(count)) for tool in order}
    return PeerRun(trackdeck=results["trackdeck"], pydnsbl=results["pydnsbl"], load=load)
