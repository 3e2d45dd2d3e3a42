"""How a finding's history reads in a line: its change, or how long it has stood (`since 3d`)."""

from __future__ import annotations

import datetime as dt

from tui.history.model import Change, FindingHistory
from tui.report.age import age


def history_word(history: FindingHistory, now: dt.datetime) -> str:
    """`new`, `worse`, `better`, or the age of an unchanged finding (`since 3d`)."""
    if history.change is Change.SAME:
        return f"since {age(history.since, now)}"
    return history.change.value
