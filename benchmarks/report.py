"""Figures as a table: each a median with its min and max, its goal, whether it is met, and the load
average of the machine while it was measured; the machine itself, for `benchmarks/results.md`."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Sample:
    """Several measurements of one thing."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def text(self, unit: str = "", digits: int = 2) -> str:
        """``median unit (min–max)``, or just the value when measured once."""
        middle = f"{self.median:.{digits}f}{unit}"
        if len(self.values) < 2:
            return middle
        return f"{middle} ({min(self.values):.{digits}f}–{max(self.values):.{digits}f})"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One row of the results table."""

    name: str
    value: str
    goal: str
    met: bool | None
    load: Sample

    @property
    def verdict(self) -> str:
        return {True: "met", False: "missed", None: "—"}[self.met]


def machine() -> dict[str, str]:
    """CPU model, cores, Python, OS: what the figures were measured on."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def commit() -> str:
    """The checked-out commit, marked when the working tree has changes."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(  # noqa: S603 - fixed git arguments
                ["git", *args], capture_output=True, text=True, check=False, timeout=10,  # noqa: S607 - git from PATH, as a developer runs it
                cwd=Path(__file__).resolve().parent,
            ).stdout.strip()  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head} + uncommitted changes" if git("status", "--porcelain") else head


def table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table (also readable as plain text)."""
    lines = [
        "| Figure | Measured: median (min–max) | Goal | Met | Load avg (1 min) |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {f.name} | {f.value} | {f.goal} | {f.verdict} | {f.load.text(digits=1)} |"
        for f in figures
    ]
    return "\n".join(lines)


def results_markdown(
    figures: Sequence[Figure], settings: dict[str, str], notes: Sequence[str]
) -> str:
    """`benchmarks/results.md`: the machine, date, commit, settings, the table and its notes."""
    box = machine()
    head = [
        "# trackdeck benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks`); every figure is the median of the runs,",
        "with min and max, measured on this machine while other work may have been running (the",
        "load average column says how busy it was).",
        "",
        f"- Machine: {box['cpu']}, {box['cores']} cores, {box['os']}",
        f"- Python: {box['python']}",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Commit: {commit()}",
    ]
    head += [f"- {key}: {value}" for key, value in settings.items()]
    body = ["", table(figures), ""]
    body += ["## Notes", ""] + [f"- {note}" for note in notes] if notes else []
    return "\n".join(head + body) + "\n"
