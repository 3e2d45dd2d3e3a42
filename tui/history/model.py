"""The values the history store takes and gives: what a scan saw of each host, and what changed."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from checks.model import Severity
from esp_clients.engagement import ClickSeries

INVENTORY = "inventory"
"""The scope of hosts scanned from the inventory (`scan`, the dashboard)."""
CHECK = "check"
"""The scope of hosts checked by name (`check --record`), kept apart from the inventory's."""

PROBLEMS = frozenset({Severity.FAIL, Severity.UNKNOWN, Severity.WARN})
"""Severities that are a problem: one that goes away is `resolved`."""


class Change(enum.StrEnum):
    """How a finding compares with the previous scan of its host."""

    NEW = "new"
    WORSE = "worse"
    BETTER = "better"
    SAME = "same"


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """One tracking host as history knows it: in a scope, under an account (`""` for `check`)."""

    scope: str
    account: str
    host: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeenFinding:
    """A finding code as one scan saw it on one host (the worst severity of that code there)."""

    code: str
    severity: Severity
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScannedHost:
    """What one scan saw of one host: its findings, the observed values worth a timeline and the
    ESP's daily click figures of its click scope (one object shared by the hosts of that scope,
    whose days the store keeps once per scope)."""

    subject: Subject
    brand: str
    findings: tuple[SeenFinding, ...]
    observed: Mapping[str, str] = field(default_factory=dict)
    clicks: ClickSeries | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanInfo:
    """The small row every scan leaves, whatever it found."""

    scope: str
    command: str
    started_at: dt.datetime
    finished_at: dt.datetime
    counts: Mapping[Severity, int]
    version: str
    resolver: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingHistory:
    """A finding's history as of a scan: since when it has had its current severity, and how it
    compares with the previous scan."""

    since: dt.datetime
    change: Change


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """A problem the previous scan of a host saw and this one did not."""

    subject: Subject
    code: str
    severity: Severity
    title: str
    since: dt.datetime
    """When the problem had begun."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """What recording a scan found out, for the outputs: each finding's history, and what resolved."""

    scan_id: int
    at: dt.datetime
    previous_at: dt.datetime | None
    findings: Mapping[Subject, Mapping[str, FindingHistory]]
    resolved: tuple[Resolved, ...]

    def of(self, subject: Subject, code: str) -> FindingHistory | None:
        """The history of one finding of one host, if the scan saw it."""
        return self.findings.get(subject, {}).get(code)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """A finding appeared (`before` None), changed severity, or went away (`after` None)."""

    at: dt.datetime
    subject: Subject
    code: str
    before: Severity | None
    after: Severity | None
    title: str

    @property
    def noteworthy(self) -> bool:
        """Anything but a passing check seen for the first time (a host's first scan adds one of
        those per check, which says nothing)."""
        return not (self.before is None and self.after in (Severity.OK, Severity.INFO))


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """An observed value as it changed (`value` None: no longer observed)."""

    at: dt.datetime
    subject: Subject
    name: str
    value: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """A host's (or the fleet's) history: transitions and observed values, oldest first."""

    transitions: tuple[Transition, ...]
    observations: tuple[Observation, ...]
    scans: int
    first_scan: dt.datetime | None
    click_line: str = ""
    """For one host (the details): when its click rate fell, from the kept daily figures."""
