"""How long the email reader takes on adversarial input (benchmarks/email_inputs.py): the slowest
family at about 700 KB, and how much slower each gets from 700 KB to 4.2 MB (6× for a linear parse,
36× for a quadratic one; before the parse was made linear, 112 KB of some families took 25–40 s)."""

from __future__ import annotations

import contextlib
import time

from benchmarks.email_inputs import FAMILIES
from benchmarks.report import Figure, Sample
from benchmarks.runs import load_average
from tui.email.parse import EmailParseError, parse_input

SMALL = 700 * 1024
LARGE = 6 * SMALL
GOAL_SECONDS = 1.0
GOAL_GROWTH = 9.0
"""Large/small time ratio allowed: 6 for linear work, with room for the machine's noise."""


def _parse_seconds(data: bytes) -> float:
    started = time.perf_counter()
    with contextlib.suppress(EmailParseError):  # a clear refusal is an answer too (deep nesting)
        parse_input(data)
    return time.perf_counter() - started


def _best_of(data: bytes, runs: int) -> float:
    """The fastest of `runs` parses: the cost of the work, not of whatever else ran meanwhile."""
    return min(_parse_seconds(data) for _ in range(runs))


def email_figures(runs: int = 3, small: int = SMALL, large: int = LARGE) -> list[Figure]:
    """The slowest family at `small` bytes, and the largest growth from `small` to `large`."""
    loads = [load_average()]
    timings: dict[str, tuple[float, float]] = {}
    for name, build in FAMILIES.items():
        timings[name] = (_best_of(build(small), runs), _best_of(build(large), runs))
    loads.append(load_average())
    slowest = max(timings, key=lambda name: timings[name][0])
    growth = {name: big / max(tiny, 1e-4) for name, (tiny, big) in timings.items()}
    steepest = max(growth, key=lambda name: growth[name])
    load = Sample(tuple(loads))
    return [
        Figure(
            name=f"Email reader, slowest adversarial input of {small // 1024} KB",
            value=f"{timings[slowest][0]:.2f} s ({slowest})",
            goal=f"≤ {GOAL_SECONDS:g} s",
            met=timings[slowest][0] <= GOAL_SECONDS,
            load=load,
        ),
        Figure(
            name=f"Email reader, time growth {small // 1024} KB → {large // 1024} KB",
            value=f"{growth[steepest]:.1f}× ({steepest}; {len(FAMILIES)} families)",
            goal=f"≤ {GOAL_GROWTH:g}× (linear: {large / small:g}×)",
            met=growth[steepest] <= GOAL_GROWTH,
            load=load,
        ),
    ]
