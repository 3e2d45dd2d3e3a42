"""The benchmark suite at smoke size (2 ms of delay, one run of each figure) runs end to end, the
generated world shows every failure it claims to, and the deterministic figures meet their goals:
at most 6 DNS questions per host on the 1,000-host, 50-brand fleet; a dead resolver said once and
every row unknown; the rows of dead zones unknown and the others unchanged. Timings are never
asserted here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from benchmarks.__main__ import main
from benchmarks.fleet import EXPECTED, expected_codes
from benchmarks.runs import run_child
from benchmarks.world import bench_world


def test_the_generated_world_shows_every_failure_it_claims() -> None:
    with bench_world(100, delay=0.0) as world:
        data = run_child("benchmarks.scan_child", str(world.info_path))
        hosts = world.hosts
    codes = data["codes"]
    assert isinstance(codes, dict)
    by_host = {str(key).split("/", 1)[1]: set(value) for key, value in codes.items()}
    assert len(by_host) == 100
    for host in hosts:
        assert set(expected_codes(host)) <= by_host[host.host], host
    assert {host.kind for host in hosts} == {"healthy", *EXPECTED}
    assert any("caa.blocks_issuer" in found for found in by_host.values())


def _row(text: str, figure: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {figure}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_smoke_benchmark_runs_and_asks_at_most_six_questions_per_host(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    assert main(["--smoke", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "- Machine: " in text and "- Commit: " in text and "- Python: " in text
    per_host = _row(text, "DNS questions per host, 1,000 hosts, 50 brands")
    assert float(per_host[1].split()[0]) <= 6
    assert per_host[3] == "met"
    assert "every run the same: True" in per_host[1]
    assert _row(text, "Findings identical across runs and concurrencies")[3] == "met"
    for figure in (
        "Fleet scan, 1,000 hosts",
        "Concurrency 1 vs 32, 1,000 hosts (extrapolated)",
        "Dashboard: process start → first frame",
        "Dashboard: key press → screen update",
        "Peak RSS, headless scan",
        "Peak RSS, dashboard",
        "DNS batch, 2,000 distinct questions",
    ):
        assert _row(text, figure)[1], figure
    assert "answered 2,000 of 2,000" in _row(text, "DNS batch")[1]
    dead = _row(text, "Dead resolver")[1]  # what the broken networks show, never their timings
    assert "1,000 of 1,000 rows unknown" in dead and "dns.resolver_down on 1 row" in dead
    zones = _row(text, "Dead name servers")[1]
    assert "100 of their 100 rows unknown" in zones and "as in the clean run: yes" in zones
    assert "unknown (dns.lookup_failed)" in _row(text, "One host in a zone")[1]
    assert _row(text, "5% of UDP answers lost")[1]
    if importlib.util.find_spec("pydnsbl") is not None:
        refusing = _row(text, "Refusing list")
        assert refusing[3] == "met"
        assert "trackdeck: 100 not tested, 0 listed, 0 clean" in refusing[1]


def test_only_measures_the_selected_figures(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    assert main(["--smoke", "--only", "batch", "--out", str(out)]) == 0
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "---",
        "DNS batch, 2,000 distinct questions, undelayed server",
    ]
