"""How history reads in a cell or a line: a finding's age (`new`, `3d`, `2h`) and its change."""

from __future__ import annotations

import datetime as dt

from tui.history.model import Change, FindingHistory


def age(since: dt.datetime, now: dt.datetime) -> str:
    """`45m`, `5h`, `3d`, `7w` — how long ago `since` was, in one short word."""
    seconds = max(0.0, (now - since).total_seconds())
    for unit, size in (("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size * (2 if unit == "w" else 1):
            return f"{int(seconds // size)}{unit}"
    return "now"


def history_word(history: FindingHistory, now: dt.datetime) -> str:
    """`new`, `worse`, `better`, or the age of an unchanged finding (`since 3d`)."""
    if history.change is Change.SAME:
        return f"since {age(history.since, now)}"
    return history.change.value
