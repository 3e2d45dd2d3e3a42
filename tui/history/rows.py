"""The dashboard's view of history, per fleet row: since when its worst problem has stood, and how
the latest recorded scan changed it (`RowHistory`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from tui.fleet.rows import FleetRow, RowHistory
from tui.history.changes import Known
from tui.history.model import INVENTORY, PROBLEMS, Change, Recorded, Subject


def subject_of(row: FleetRow) -> Subject:
    """The row as the history store names it."""
    return Subject(INVENTORY, row.account, row.host)


def from_state(
    rows: Iterable[FleetRow], known: Mapping[Subject, Mapping[str, Known]], as_of: dt.datetime
) -> dict[str, RowHistory]:
    """Before this session's first scan is recorded: since when each row's worst stored problem
    has stood, and no change marked."""
    histories = {}
    for row in rows:
        state = known.get(subject_of(row))
        if state is None:
            continue
        problems = [item for item in state.values() if item.severity in PROBLEMS]
        worst = min(problems, key=lambda item: (item.severity.rank, item.since), default=None)
        histories[row.key] = RowHistory(as_of=as_of, since=worst.since if worst else None)
    return histories


def from_record(rows: Iterable[FleetRow], recorded: Recorded) -> dict[str, RowHistory]:
    """After a scan was recorded: each scanned row's worst problem's age, and its change (none
    after the very first scan, where everything is new)."""
    resolved = {item.subject for item in recorded.resolved}
    histories = {}
    for row in rows:
        subject = subject_of(row)
        findings = recorded.findings.get(subject)
        if findings is None:
            continue
        problems = [f for f in row.findings if f.severity in PROBLEMS and f.code in findings]
        worst = min(problems, key=lambda finding: finding.severity.rank, default=None)
        history = findings[worst.code] if worst else None
        change = ""
        if recorded.previous_at is not None:
            changes = {item.change for item in findings.values()} - {Change.SAME}
            if history is not None and history.change in (Change.NEW, Change.WORSE):
                change = history.change.value
            elif subject in resolved:
                change = "resolved"
            elif Change.BETTER in changes:
                change = Change.BETTER.value
        histories[row.key] = RowHistory(
            as_of=recorded.at, since=history.since if history else None, change=change
        )
    return histories
