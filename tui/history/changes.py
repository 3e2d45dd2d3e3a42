"""Comparing a scan with the state before it, as pure functions: the history of each finding
(new, worse, better, same, and since when) and the problems that resolved."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from checks.model import Finding, Severity
from tui.history.model import (
    PROBLEMS,
    Change,
    FindingHistory,
    Resolved,
    SeenFinding,
    Subject,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Known:
    """A finding code's state as the store holds it."""

    severity: Severity
    title: str
    since: dt.datetime


def seen(findings: Iterable[Finding]) -> tuple[SeenFinding, ...]:
    """One entry per code: the worst severity of that code, and its title (two lists untested are
    one `blocklist.not_tested`), in the order the codes first appear."""
    worst: dict[str, Finding] = {}
    for finding in findings:
        kept = worst.get(finding.code)
        if kept is None or finding.severity.rank < kept.severity.rank:
            worst[finding.code] = finding
    return tuple(
        SeenFinding(code=code, severity=finding.severity, title=finding.title)
        for code, finding in worst.items()
    )


def compare(
    subject: Subject,
    before: Mapping[str, Known],
    now: Iterable[SeenFinding],
    at: dt.datetime,
) -> tuple[dict[str, FindingHistory], list[Resolved]]:
    """Each finding's history against `before` (the host's previous state), and the problems gone."""
    histories: dict[str, FindingHistory] = {}
    present: set[str] = set()
    resolved: list[Resolved] = []
    for finding in now:
        present.add(finding.code)
        known = before.get(finding.code)
        if known is not None and known.severity is finding.severity:  # the usual case, first
            histories[finding.code] = unchanged(known.since)
            continue
        change = change_of(known.severity if known else None, finding.severity)
        histories[finding.code] = FindingHistory(since=at, change=change)
        if known is not None and known.severity in PROBLEMS and finding.severity not in PROBLEMS:
            resolved.append(_resolved(subject, finding.code, known))
    for code, known in before.items():
        if code not in present and known.severity in PROBLEMS:
            resolved.append(_resolved(subject, code, known))
    return histories, resolved


@functools.lru_cache(maxsize=1024)
def unchanged(since: dt.datetime) -> FindingHistory:
    """The history of a finding that stayed as it was (shared: a fleet has few distinct instants)."""
    return FindingHistory(since=since, change=Change.SAME)


def change_of(before: Severity | None, after: Severity) -> Change:
    """New, worse, better or the same."""
    if before is None:
        return Change.NEW
    if before is after:
        return Change.SAME
    if after.rank < before.rank:
        return Change.WORSE
    if after.rank > before.rank:
        return Change.BETTER
    return Change.SAME


def _resolved(subject: Subject, code: str, known: Known) -> Resolved:
    return Resolved(
        subject=subject, code=code, severity=known.severity, title=known.title, since=known.since
    )
