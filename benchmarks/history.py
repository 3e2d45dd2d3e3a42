"""The history's figures: recording a 10,000-host scan, a year of hourly scans of 1,000 hosts (the
file's size), and one host's timeline read from that year. The store is the real one, on a real
file; the scans are generated (a fleet's worth of findings and observed values, a little churn).

Churn per hourly scan, chosen to be worse than a quiet fleet: 0.5 % of hosts flap a finding (a
lookup that times out, then recovers), and every host's certificate is renewed every 60 days (a new
serial and end date: two observed values), spread over the fleet. Each scan carries its ESPs'
daily click figures (the 31 days before it) for one click scope per 5 hosts of an account; the
day before a scan is revised during its first hours (the ESPs count late clicks).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from checks.model import Severity
from esp_clients.engagement import ClickScope, ClickSeries, DailyClicks
from tui.history.model import INVENTORY, ScanInfo, ScannedHost, SeenFinding, Subject
from tui.history.store import HistoryStore
from tui.inventory.load import parse_inventory

START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
PASSING = tuple(
    SeenFinding(code=code, severity=Severity.OK, title=f"{code} passed")
    for code in ("dns.ok", "caa.ok", "tls.ok", "http.ok", "blocklist.clean", "esp.ok")
)
FLAP = SeenFinding(code="dns.lookup_failed", severity=Severity.UNKNOWN, title="timed out")
RENEW_EVERY = dt.timedelta(days=60)
HOSTS_PER_SCOPE = 5
CLICK_DAYS = 31
REVISED_HOURS = 3
"""The day before a scan counts fewer clicks in a scan's first hours than afterwards."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryFigures:
    """What `run_history` measured."""

    record_seconds: tuple[float, ...]
    record_hosts: int
    year_scans: int
    year_hosts: int
    year_megabytes: float
    year_seconds: float
    timeline_ms: tuple[float, ...]
    timeline_events: int


class Fleet:
    """Generated hosts whose findings and certificates change a little each hour."""

    def __init__(self, subjects: Sequence[Subject], seed: int = 7) -> None:
        self.subjects = list(subjects)
        self.random = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
        self._series: dict[tuple[str, dt.date, bool], ClickSeries] = {}

    def clicks(self, index: int, at: dt.datetime) -> ClickSeries:
        """The click figures of host `index`'s scope as a scan at `at` reads them (shared by the
        hosts of that scope)."""
        subject = self.subjects[index]
        key = f"mg{index // (40 * HOSTS_PER_SCOPE)}.{subject.account}.example"
        end = at.date() - dt.timedelta(days=1)
        early = at.hour < REVISED_HOURS
        found = self._series.get((key, end, early))
        if found is None:
            if len(self._series) > 4 * len(self.subjects):
                self._series.clear()
            start = end - dt.timedelta(days=CLICK_DAYS - 1)
            days = tuple(
                _figures(key, start + dt.timedelta(days=back), partial=early and back == 30)
                for back in range(CLICK_DAYS)
            )
            found = ClickSeries(
                scope=ClickScope(key=key, label=f"sending domain {key}"),
                start=start,
                end=end,
                days=days,
                source="bench",
            )
            self._series[key, end, early] = found
        return found

    def scan(self, at: dt.datetime, flapping: float) -> list[ScannedHost]:
        """Every host as seen at `at`: `flapping` of them with a failed lookup."""
        hosts = []
        for index, subject in enumerate(self.subjects):
            flaps = self.random.random() < flapping
            findings = (FLAP, *PASSING[1:]) if flaps else PASSING
            renewals = (at - START + dt.timedelta(hours=index)) // RENEW_EVERY
            issued = START + renewals * RENEW_EVERY
            observed = {
                "cname_target": "mailgun.org",
                "tls_serial": f"{index:06X}{renewals:04X}",
                "tls_issuer": "CN=R11,O=Let's Encrypt,C=US",
                "tls_not_after": (issued + dt.timedelta(days=90)).isoformat(),
                "esp_https": "yes",
                "blocklist.Spamhaus DBL": "clean",
            }
            hosts.append(
                ScannedHost(
                    subject=subject,
                    brand="b",
                    findings=findings,
                    observed=observed,
                    clicks=self.clicks(index, at),
                )
            )
        return hosts


def _figures(key: str, day: dt.date, *, partial: bool) -> DailyClicks:
    """A scope's day: a few thousand deliveries, about 3 % clicked (fewer counted yet if
    `partial`)."""
    wobble = random.Random(f"{key}/{day}")  # noqa: S311 - a reproducible simulation
    delivered = wobble.randint(2000, 9000)
    clicks = round(delivered * wobble.uniform(0.02, 0.04))
    return DailyClicks(
        day=day, delivered=delivered, unique_clicks=clicks * 2 // 3 if partial else clicks
    )


def generated(size: int) -> list[Subject]:
    """`size` hosts over 40 accounts."""
    return [
        Subject(INVENTORY, f"account-{index % 40}", f"links.brand{index}.example")
        for index in range(size)
    ]


def inventory_subjects(inventory: Path) -> list[Subject]:
    """The hosts of an inventory file, as the dashboard records them."""
    parsed = parse_inventory(inventory.read_text(encoding="utf-8"), path=str(inventory))
    return [Subject(INVENTORY, entry.account, entry.host) for entry in parsed.entries]


def _info(at: dt.datetime, hosts: int) -> ScanInfo:
    return ScanInfo(
        scope=INVENTORY,
        command="scan",
        started_at=at - dt.timedelta(seconds=30),
        finished_at=at,
        counts={Severity.OK: hosts},
        version="bench",
    )


def time_records(path: Path, size: int, runs: int) -> tuple[float, ...]:
    """Seconds to record a scan of `size` hosts into a file that has seen them before."""
    fleet = Fleet(generated(size))
    seconds = []
    with HistoryStore.open(path) as store:
        store.record(_info(START, size), fleet.scan(START, 0.0))
        for run in range(1, runs + 1):
            at = START + dt.timedelta(hours=run)
            hosts = fleet.scan(at, 0.005)
            started = time.perf_counter()
            store.record(_info(at, size), hosts)
            seconds.append(time.perf_counter() - started)
    return tuple(seconds)


def simulate_year(
    path: Path, subjects: Sequence[Subject], scans: int, log: Callable[[str], None]
) -> float:
    """Record `scans` hourly scans of `subjects`; the seconds it took."""
    fleet = Fleet(subjects)
    started = time.perf_counter()
    with HistoryStore.open(path) as store:
        for hour in range(scans):
            at = START + dt.timedelta(hours=hour)
            store.record(_info(at, len(subjects)), fleet.scan(at, 0.005))
            if hour % 1000 == 999:
                log(f"  history: {hour + 1}/{scans} hourly scans recorded")
    return time.perf_counter() - started


def time_timeline(path: Path, host: str, runs: int) -> tuple[tuple[float, ...], int]:
    """Milliseconds to read one host's whole timeline, and how many events it holds."""
    milliseconds = []
    events = 0
    for _ in range(runs):
        started = time.perf_counter()
        with HistoryStore.open(path, read_only=True) as store:
            timeline = store.timeline(INVENTORY, [host])
        milliseconds.append((time.perf_counter() - started) * 1000)
        events = len(timeline.transitions) + len(timeline.observations)
    return tuple(milliseconds), events


def size_of(path: Path) -> float:
    """The file and its WAL, in MB."""
    return sum(part.stat().st_size for part in path.parent.glob(f"{path.name}*")) / 1e6


def run_history(
    *,
    record_hosts: int,
    year_subjects: Sequence[Subject],
    year_scans: int,
    year_path: Path,
    log: Callable[[str], None],
) -> HistoryFigures:
    """Every history figure; the year is left in `year_path` (the dashboard reads it next)."""
    with tempfile.TemporaryDirectory(prefix="trackdeck-bench-history-") as scratch:
        log(f"history: recording scans of {record_hosts} hosts")
        recorded = time_records(Path(scratch) / "record.sqlite", record_hosts, runs=3)
    log(f"history: {year_scans} hourly scans of {len(year_subjects)} hosts")
    seconds = simulate_year(year_path, year_subjects, year_scans, log)
    with HistoryStore.open(year_path) as store:
        store.checkpoint()
    timeline, events = time_timeline(year_path, year_subjects[0].host, runs=20)
    megabytes = size_of(year_path)
    log(
        f"history: record {statistics.median(recorded):.2f} s, year {megabytes:.1f} MB, "
        f"timeline {statistics.median(timeline):.1f} ms"
    )
    return HistoryFigures(
        record_seconds=recorded,
        record_hosts=record_hosts,
        year_scans=year_scans,
        year_hosts=len(year_subjects),
        year_megabytes=megabytes,
        year_seconds=seconds,
        timeline_ms=timeline,
        timeline_events=events,
    )
