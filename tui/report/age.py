"""How long ago, in one short word: `45m`, `5h`, `3d`, `7w` (cells, lines and timelines)."""

from __future__ import annotations

import datetime as dt


def age(since: dt.datetime, now: dt.datetime) -> str:
    """`now` for under a minute; then minutes, hours, days, and weeks from two weeks on."""
    seconds = max(0.0, (now - since).total_seconds())
    for unit, size in (("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size * (2 if unit == "w" else 1):
            return f"{int(seconds // size)}{unit}"
    return "now"
