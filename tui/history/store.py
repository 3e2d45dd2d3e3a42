"""The history file: SQLite in WAL mode, one short write transaction per scan (so two scans at once,
cron and a dashboard, wait for each other instead of corrupting anything, and a scan killed half-way
leaves nothing behind), and the reads the outputs and the dashboard need.

Every SQLite failure becomes `HistoryUnavailable`, whose message names the file and what to do:
history is never a reason for a scan to fail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from checks.model import Severity
from esp_clients.engagement import ClickScope, ClickSeries, DailyClicks
from tui.history.changes import Known, compare
from tui.history.model import (
    FindingHistory,
    Observation,
    Recorded,
    Resolved,
    ScanInfo,
    ScannedHost,
    Subject,
    Timeline,
    Transition,
)
from tui.history.schema import NewerSchema, migrate

BUSY_TIMEOUT = 30.0
"""Seconds a writer waits for another one (a scan of 10,000 hosts writes in well under a second)."""
PRUNE_EVERY = dt.timedelta(days=1)


class HistoryUnavailable(Exception):  # noqa: N818 - a condition the user resolves, not a bug
    """The history file cannot be used now; the message says which file and what to do."""


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@functools.lru_cache(maxsize=4096)
def stamp(moment: dt.datetime) -> int:
    """An instant as stored: microseconds since the Unix epoch, UTC (small in the indexes; a
    scan's few instants repeat across every host, hence the cache)."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


@functools.lru_cache(maxsize=4096)
def instant(value: int) -> dt.datetime:
    """A stored instant back as an aware datetime."""
    return _EPOCH + dt.timedelta(microseconds=value)


_EPOCH_DAY = _EPOCH.date().toordinal()


def day_number(day: dt.date) -> int:
    """A UTC day as stored: days since 1970-01-01."""
    return day.toordinal() - _EPOCH_DAY


@functools.lru_cache(maxsize=4096)
def day_of(value: int) -> dt.date:
    """A stored day number back as a date."""
    return dt.date.fromordinal(value + _EPOCH_DAY)


class HistoryStore:
    """One history file; open it with `HistoryStore.open`, close it when done."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    @classmethod
    def open(
        cls, path: Path, *, read_only: bool = False, max_pages: int | None = None
    ) -> HistoryStore:
        """Open (or create) the file and bring its schema up to date; `read_only` for the commands
        that only read it (`history`, `expiry`), `max_pages` to cap its size (SQLite pages)."""
        with _guarded(path, "open"):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA foreign_keys = ON")
                migrate(connection)
                if read_only:
                    connection.execute("PRAGMA query_only = ON")
                if max_pages is not None:
                    connection.execute(f"PRAGMA max_page_count = {int(max_pages)}")
            except BaseException:
                connection.close()
                raise
        return cls(path, connection)

    def close(self) -> None:
        """Release the file."""
        self._db.close()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file (so that its size is the file's)."""
        with _guarded(self.path, "checkpoint"):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(
        self, scan: ScanInfo, hosts: Sequence[ScannedHost], *, keep_days: int = 400
    ) -> Recorded:
        """Store what `scan` saw of `hosts` — only what changed — and say how each finding compares
        with the previous scan; all in one transaction."""
        at = scan.finished_at
        with _guarded(self.path, "record this scan in"), self._transaction():
            previous = self._db.execute(
                "SELECT max(finished_at) FROM scans WHERE scope = ?", (scan.scope,)
            ).fetchone()[0]
            scan_id = self._insert_scan(scan)
            ids = self._subject_ids(hosts, scan_id)
            self._db.executemany(  # the click scope a host was last seen in stays when unseen
                "UPDATE subjects SET click_scope = ?, click_label = ? "
                "WHERE id = ? AND (click_scope IS NOT ? OR click_label IS NOT ?)",
                (
                    (*_scope_of(host.clicks), ids[host.subject], *_scope_of(host.clicks))
                    for host in hosts
                    if host.clicks is not None
                ),
            )
            known = self._known(set(ids.values()))
            observed = self._observed(set(ids.values()))
            histories: dict[Subject, Mapping[str, FindingHistory]] = {}
            resolved: list[Resolved] = []
            for host in hosts:
                subject_id = ids[host.subject]
                before = known.get(subject_id, {})
                history, gone = compare(host.subject, before, host.findings, at)
                histories[host.subject] = history
                resolved.extend(gone)
                self._write_findings(
                    scan_id=scan_id,
                    subject_id=subject_id,
                    host=host,
                    before=before,
                    history=history,
                    at=at,
                )
                self._write_observed(
                    scan_id=scan_id,
                    subject_id=subject_id,
                    host=host,
                    before=observed.get(subject_id, {}),
                    at=at,
                )
            self._write_click_days(hosts, at, keep_days)
            self._prune(at, keep_days)
            previous_at = instant(previous) if previous else None
        return Recorded(
            scan_id=scan_id,
            at=at,
            previous_at=previous_at,
            findings=histories,
            resolved=tuple(resolved),
        )

    def current(self, subjects: Iterable[Subject]) -> dict[Subject, dict[str, Known]]:
        """The last known state of each host's findings (the dashboard's first `since` column)."""
        wanted = list(subjects)
        with _guarded(self.path, "read"):
            ids = self._existing_ids(wanted)
            known = self._known(set(ids.values()))
        return {subject: known.get(subject_id, {}) for subject, subject_id in ids.items()}

    def last_scan(self, scope: str) -> dt.datetime | None:
        """When the last scan of `scope` finished."""
        with _guarded(self.path, "read"):
            (value,) = self._db.execute(
                "SELECT max(finished_at) FROM scans WHERE scope = ?", (scope,)
            ).fetchone()
            return instant(value) if value else None

    def timeline(
        self, scope: str, hosts: Sequence[str] = (), since: dt.datetime | None = None
    ) -> Timeline:
        """Every transition and observed change of `hosts` (all hosts when empty) since `since`."""
        start = stamp(since) if since else 0
        host_filter, arguments = _host_filter(hosts)
        with _guarded(self.path, "read"):
            transitions = self._db.execute(
                _TRANSITIONS + f"AND t.at >= ? {host_filter} ORDER BY t.at, t.id",
                (scope, start, *arguments),
            ).fetchall()
            observations = self._db.execute(
                _OBSERVATIONS + f"AND o.at >= ? {host_filter} ORDER BY o.at, o.id",
                (scope, start, *arguments),
            ).fetchall()
            scans, first = self._db.execute(
                "SELECT count(*), min(finished_at) FROM scans WHERE scope = ? AND finished_at >= ?",
                (scope, start),
            ).fetchone()
            return Timeline(
                transitions=tuple(_transition(scope, row) for row in transitions),
                observations=tuple(
                    Observation(
                        at=instant(at),
                        subject=Subject(scope, account, host),
                        name=name,
                        value=value,
                    )
                    for at, account, host, name, value in observations
                ),
                scans=int(scans),
                first_scan=instant(first) if first else None,
            )

    def observed_now(
        self,
        scope: str,
        names: Sequence[str],
        among: Collection[tuple[str, str]] | None = None,
    ) -> dict[Subject, dict[str, str]]:
        """The current value of each named observation, per host of `scope` (the expiry forecast),
        of every host ever recorded or only of those `among` ((account, host) pairs)."""
        marks = ",".join("?" for _ in names)
        with _guarded(self.path, "read"):
            rows = self._db.execute(_OBSERVED_NOW + f"({marks})", (scope, *names)).fetchall()
        wanted = None if among is None else set(among)
        found: dict[Subject, dict[str, str]] = {}
        for account, host, name, value in rows:
            if wanted is None or (account, host) in wanted:
                found.setdefault(Subject(scope, account, host), {})[name] = value
        return found

    def recorded_hosts(self, scope: str, hosts: Sequence[str]) -> set[str]:
        """Which of `hosts` (names, under any account) a scan of `scope` has recorded."""
        if not hosts:
            return set()
        marks = ",".join("?" for _ in hosts)
        query = f"SELECT DISTINCT host FROM subjects WHERE scope = ? AND host IN ({marks})"  # noqa: S608 - "?" marks only
        with _guarded(self.path, "read"):
            rows = self._db.execute(query, (scope, *hosts)).fetchall()
        return {str(host) for (host,) in rows}

    def latest_scanned(self, scope: str) -> set[tuple[str, str]]:
        """The hosts ((account, host) pairs) the latest scan of `scope` saw."""
        with _guarded(self.path, "read"):
            rows = self._db.execute(_LATEST_SCANNED, (scope, scope)).fetchall()
        return {(str(account), str(host)) for account, host in rows}

    def click_days(
        self, scope: str, hosts: Sequence[str], first: dt.date, last: dt.date
    ) -> dict[Subject, ClickSeries]:
        """The stored daily click figures of each of `hosts` (under any account) that has some,
        from `first` to `last` (days without a row had no traffic), via its account and click
        scope; the series runs from the first to the last stored day in that range."""
        if not hosts:
            return {}
        marks = ",".join("?" for _ in hosts)
        query = (
            "SELECT account, host, click_scope, click_label FROM subjects "  # noqa: S608 - "?" marks only
            f"WHERE scope = ? AND click_scope IS NOT NULL AND host IN ({marks})"
        )
        found: dict[Subject, ClickSeries] = {}
        read: dict[tuple[str, str], ClickSeries | None] = {}  # hosts of one scope share its days
        with _guarded(self.path, "read"):
            for account, host, key, label in self._db.execute(query, (scope, *hosts)).fetchall():
                if (account, key) not in read:
                    read[account, key] = self._scope_days(
                        scope, account, key, label=label, first=first, last=last
                    )
                series = read[account, key]
                if series is not None:
                    found[Subject(scope, account, host)] = series
        return found

    def _scope_days(
        self,
        scope: str,
        account: str,
        key: str,
        *,
        label: str | None,
        first: dt.date,
        last: dt.date,
    ) -> ClickSeries | None:
        """One click scope's stored days from `first` to `last` (None: none stored)."""
        rows = self._db.execute(
            "SELECT day, delivered, unique_clicks FROM click_days WHERE scope = ? AND "
            "account = ? AND click_scope = ? AND day BETWEEN ? AND ? ORDER BY day",
            (scope, account, key, day_number(first), day_number(last)),
        ).fetchall()
        if not rows:
            return None
        days = tuple(
            DailyClicks(day=day_of(day), delivered=int(sent), unique_clicks=int(clicked))
            for day, sent, clicked in rows
        )
        return ClickSeries(
            scope=ClickScope(key=key, label=label or key),
            start=days[0].day,
            end=days[-1].day,
            days=days,
            source="history",
        )

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:  # SQLite has rolled back itself after some errors (full)
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _insert_scan(self, scan: ScanInfo) -> int:
        hosts = sum(scan.counts.values())
        cursor = self._db.execute(
            "INSERT INTO scans (scope, command, started_at, finished_at, hosts, fail, unknown, "
            "warn, info, ok, version, resolver) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                scan.scope,
                scan.command,
                stamp(scan.started_at),
                stamp(scan.finished_at),
                hosts,
                *(scan.counts.get(severity, 0) for severity in _COUNTED),
                scan.version,
                scan.resolver,
            ),
        )
        return int(cursor.lastrowid or 0)

    def _subject_ids(self, hosts: Sequence[ScannedHost], scan_id: int) -> dict[Subject, int]:
        """The id of every scanned host, adding the new ones; each one's brand (it may have
        changed) and `last_scan`, this scan."""
        existing = self._subjects({host.subject.scope for host in hosts})
        fresh = [host for host in hosts if host.subject not in existing]
        again = [host for host in hosts if host.subject in existing]
        self._db.executemany(
            "INSERT INTO subjects (scope, account, host, brand, last_scan) VALUES (?, ?, ?, ?, ?)",
            (
                (host.subject.scope, host.subject.account, host.subject.host, host.brand, scan_id)
                for host in fresh
            ),
        )
        self._db.executemany(
            "UPDATE subjects SET brand = ?, last_scan = ? WHERE id = ?",
            ((host.brand, scan_id, existing[host.subject][0]) for host in again),
        )
        if fresh:
            existing = self._subjects({host.subject.scope for host in hosts})
        return {host.subject: existing[host.subject][0] for host in hosts}

    def _subjects(self, scopes: Iterable[str]) -> dict[Subject, tuple[int, str]]:
        """Every host the file knows in `scopes`: its id and brand."""
        found: dict[Subject, tuple[int, str]] = {}
        for scope in scopes:
            for subject_id, account, host, brand in self._db.execute(
                "SELECT id, account, host, brand FROM subjects WHERE scope = ?", (scope,)
            ):
                found[Subject(scope, account, host)] = (subject_id, brand)
        return found

    def _existing_ids(self, subjects: Sequence[Subject]) -> dict[Subject, int]:
        known = self._subjects({subject.scope for subject in subjects})
        return {subject: known[subject][0] for subject in subjects if subject in known}

    def _known(self, ids: Collection[int]) -> dict[int, dict[str, Known]]:
        known: dict[int, dict[str, Known]] = {}
        for subject_id, code, severity, title, since in self._rows_of("findings", ids):
            known.setdefault(subject_id, {})[code] = _known_state(severity, title, since)
        return known

    def _observed(self, ids: Collection[int]) -> dict[int, dict[str, str]]:
        observed: dict[int, dict[str, str]] = {}
        for subject_id, name, value, _since in self._rows_of("observed", ids):
            observed.setdefault(subject_id, {})[name] = value
        return observed

    def _rows_of(self, table: str, ids: Collection[int]) -> list[Any]:
        """Every row of `table` for the subjects `ids`: a whole-table read filtered here when they
        are many (a fleet scan), an `IN` list when they are few (a re-check)."""
        columns = _COLUMNS[table]
        if len(ids) > _FEW:
            wanted = set(ids)
            rows = self._db.execute(f"SELECT {columns} FROM {table}").fetchall()  # noqa: S608 - fixed names from _COLUMNS
            return [row for row in rows if row[0] in wanted]
        marks = ",".join("?" for _ in ids)
        query = f"SELECT {columns} FROM {table} WHERE subject IN ({marks})"  # noqa: S608 - fixed names and "?" marks
        return self._db.execute(query, tuple(ids)).fetchall()

    def _write_findings(
        self,
        *,
        scan_id: int,
        subject_id: int,
        host: ScannedHost,
        before: Mapping[str, Known],
        history: Mapping[str, FindingHistory],
        at: dt.datetime,
    ) -> None:
        when = stamp(at)
        for finding in host.findings:
            known = before.get(finding.code)
            if known is not None and known.severity is finding.severity:
                if known.title != finding.title:
                    self._db.execute(
                        "UPDATE findings SET title = ? WHERE subject = ? AND code = ?",
                        (finding.title, subject_id, finding.code),
                    )
                continue
            self._db.execute(
                "INSERT OR REPLACE INTO findings (subject, code, severity, title, since) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    subject_id,
                    finding.code,
                    finding.severity.value,
                    finding.title,
                    stamp(history[finding.code].since),
                ),
            )
            self._db.execute(
                "INSERT INTO transitions (scan, subject, code, before, after, title, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    scan_id,
                    subject_id,
                    finding.code,
                    known.severity.value if known else None,
                    finding.severity.value,
                    finding.title,
                    when,
                ),
            )
        present = {finding.code for finding in host.findings}
        for code, known in before.items():
            if code in present:
                continue
            self._db.execute(
                "DELETE FROM findings WHERE subject = ? AND code = ?", (subject_id, code)
            )
            self._db.execute(
                "INSERT INTO transitions (scan, subject, code, before, after, title, at) "
                "VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (scan_id, subject_id, code, known.severity.value, known.title, when),
            )

    def _write_observed(
        self,
        *,
        scan_id: int,
        subject_id: int,
        host: ScannedHost,
        before: Mapping[str, str],
        at: dt.datetime,
    ) -> None:
        when = stamp(at)
        for name, value in host.observed.items():
            if before.get(name) == value:
                continue
            self._db.execute(
                "INSERT OR REPLACE INTO observed (subject, name, value, since) VALUES (?, ?, ?, ?)",
                (subject_id, name, value, when),
            )
            self._db.execute(
                "INSERT INTO observations (scan, subject, name, value, at) VALUES (?, ?, ?, ?, ?)",
                (scan_id, subject_id, name, value, when),
            )
        for name in before.keys() - host.observed.keys():
            self._db.execute(
                "DELETE FROM observed WHERE subject = ? AND name = ?", (subject_id, name)
            )
            self._db.execute(
                "INSERT INTO observations (scan, subject, name, value, at) "
                "VALUES (?, ?, ?, NULL, ?)",
                (scan_id, subject_id, name, when),
            )

    def _write_click_days(
        self, hosts: Sequence[ScannedHost], at: dt.datetime, keep_days: int
    ) -> None:
        """Each click scope's daily figures, once per (account, scope) however many hosts share
        them: new days inserted, days the ESP revised updated, the others left alone."""
        horizon = day_number((at - dt.timedelta(days=keep_days)).date())
        series: dict[tuple[str, str, str], ClickSeries] = {}
        for host in hosts:
            if host.clicks is not None:
                where = (host.subject.scope, host.subject.account, host.clicks.scope.key)
                series.setdefault(where, host.clicks)
        for (scope, account, key), figures in series.items():
            first, last = max(day_number(figures.start), horizon), day_number(figures.end)
            if last < first:
                continue
            stored = {
                day: (sent, clicked)
                for day, sent, clicked in self._db.execute(
                    "SELECT day, delivered, unique_clicks FROM click_days WHERE scope = ? AND "
                    "account = ? AND click_scope = ? AND day BETWEEN ? AND ?",
                    (scope, account, key, first, last),
                )
            }
            seen = {
                day_number(entry.day): (entry.delivered, entry.unique_clicks)
                for entry in figures.days
            }
            for day, was in stored.items():  # a covered day the ESP no longer lists: no traffic
                if day not in seen and was != (0, 0):
                    seen[day] = (0, 0)
            fresh = [
                (scope, account, key, day, *now)
                for day, now in seen.items()
                if first <= day <= last and day not in stored
            ]
            revised = [
                (*now, scope, account, key, day)
                for day, now in seen.items()
                if day in stored and stored[day] != now
            ]
            self._db.executemany(
                "INSERT INTO click_days (scope, account, click_scope, day, delivered, "
                "unique_clicks) VALUES (?, ?, ?, ?, ?, ?)",
                fresh,
            )
            self._db.executemany(
                "UPDATE click_days SET delivered = ?, unique_clicks = ? WHERE scope = ? AND "
                "account = ? AND click_scope = ? AND day = ?",
                revised,
            )

    def _prune(self, now: dt.datetime, keep_days: int) -> None:
        """Forget transitions, observations and scans older than `keep_days`, once a day at most;
        each host's current state is kept whatever its age."""
        last = self._db.execute("SELECT value FROM meta WHERE key = 'pruned_at'").fetchone()
        if last is not None and now - instant(int(last[0])) < PRUNE_EVERY:
            return
        cutoff = stamp(now - dt.timedelta(days=keep_days))
        self._db.execute("DELETE FROM transitions WHERE at < ?", (cutoff,))
        self._db.execute("DELETE FROM observations WHERE at < ?", (cutoff,))
        self._db.execute("DELETE FROM scans WHERE finished_at < ?", (cutoff,))
        horizon = day_number((now - dt.timedelta(days=keep_days)).date())
        self._db.execute("DELETE FROM click_days WHERE day < ?", (horizon,))
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('pruned_at', ?)", (stamp(now),)
        )


_TRANSITIONS = (
    "SELECT t.at, s.account, s.host, t.code, t.before, t.after, t.title "
    "FROM transitions t JOIN subjects s ON s.id = t.subject WHERE s.scope = ? "
)
_OBSERVATIONS = (
    "SELECT o.at, s.account, s.host, o.name, o.value "
    "FROM observations o JOIN subjects s ON s.id = o.subject WHERE s.scope = ? "
)
_OBSERVED_NOW = (
    "SELECT s.account, s.host, o.name, o.value FROM observed o "
    "JOIN subjects s ON s.id = o.subject WHERE s.scope = ? AND o.name IN "
)
_LATEST_SCANNED = (
    "SELECT account, host FROM subjects WHERE scope = ? AND last_scan = "
    "(SELECT id FROM scans WHERE scope = ? ORDER BY finished_at DESC, id DESC LIMIT 1)"
)
_FEW = 200
"""Up to this many hosts, their rows are asked for by id; more, and the table is read whole."""
_SEVERITY = {severity.value: severity for severity in Severity}
_COUNTED = (Severity.FAIL, Severity.UNKNOWN, Severity.WARN, Severity.INFO, Severity.OK)
_COLUMNS = {
    "findings": "subject, code, severity, title, since",
    "observed": "subject, name, value, since",
}


@functools.lru_cache(maxsize=8192)
def _known_state(severity: str, title: str, since: int) -> Known:
    """A stored finding state (shared: most hosts' findings read the same)."""
    return Known(severity=_SEVERITY[severity], title=title, since=instant(since))


def _scope_of(series: ClickSeries) -> tuple[str, str]:
    return series.scope.key, series.scope.label


def _host_filter(hosts: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    if not hosts:
        return "", ()
    return f"AND s.host IN ({','.join('?' for _ in hosts)})", tuple(hosts)


def _transition(
    scope: str, row: tuple[int, str, str, str, str | None, str | None, str]
) -> Transition:
    at, account, host, code, before, after, title = row
    return Transition(
        at=instant(at),
        subject=Subject(scope, account, host),
        code=code,
        before=Severity(before) if before else None,
        after=Severity(after) if after else None,
        title=title,
    )


@contextlib.contextmanager
def _guarded(path: Path, doing: str) -> Iterator[None]:
    """Turn every SQLite or file failure, and a stored value this code cannot take (a valid SQLite
    file holding what trackdeck never writes), into one clear `HistoryUnavailable`."""
    try:
        yield
    except NewerSchema as error:
        raise HistoryUnavailable(
            f"history file {path} was written by a newer trackdeck ({error}): upgrade trackdeck, "
            "or move the file aside to start a new history"
        ) from None
    except sqlite3.DatabaseError as error:
        raise HistoryUnavailable(
            f"could not {doing} the history file {path}: {_advice(error)}"
        ) from None
    except (ValueError, KeyError, TypeError, OverflowError) as error:
        raise HistoryUnavailable(
            f"could not {doing} the history file {path}: it holds a value trackdeck does not "
            f"write ({type(error).__name__}: {error}) — the file is damaged: move it aside (or "
            "delete it) and trackdeck starts a new history"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise HistoryUnavailable(
            f"could not {doing} the history file {path}: {reason}; check the path and its "
            "permissions, or set `history` in [settings] (false to keep none)"
        ) from None


def _advice(error: sqlite3.DatabaseError) -> str:
    text = str(error).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"{error} — the file is damaged: move it aside (or delete it) and trackdeck starts a "
            "new history"
        )
    if "readonly" in text or "read-only" in text:
        return f"{error} — the file or its directory is read-only: fix the permissions"
    if "disk is full" in text or "disk i/o" in text:
        return f"{error} — free some space on the disk that holds it"
    if "locked" in text or "busy" in text:
        return f"{error} — another trackdeck held it for {BUSY_TIMEOUT:.0f} s; try again"
    if "unable to open" in text or "cannot open" in text:
        return (
            f'{error} — check the path (`history = "…"` in [settings], or the default under '
            "$XDG_STATE_HOME): it must name a file, not a folder, and its folder must exist and be "
            "writable; `history = false` keeps none"
        )
    return f"{error}"
