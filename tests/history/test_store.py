"""The history file: transitions recorded across scans, two writers at once, a writer killed mid-way,
damaged, read-only and full files, migrations from the first schema, retention."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from checks.model import Severity
from esp_clients.engagement import ClickScope, ClickSeries, DailyClicks
from tests.support.data import REPO
from tui.history.model import INVENTORY, Change, ScanInfo, ScannedHost, SeenFinding, Subject
from tui.history.schema import CURRENT_VERSION, MIGRATIONS, migrate
from tui.history.store import HistoryStore, HistoryUnavailable, day_number, stamp

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
A = Subject(INVENTORY, "acme-sg", "links.acme.example")
B = Subject(INVENTORY, "acme-mg", "email.acme.example")


def finding(code: str, severity: Severity, title: str = "") -> SeenFinding:
    return SeenFinding(code=code, severity=severity, title=title or code)


def host(subject: Subject, *findings: SeenFinding, **observed: str) -> ScannedHost:
    return ScannedHost(subject=subject, brand="Acme", findings=findings, observed=observed)


def info(at: dt.datetime, hosts: int = 2) -> ScanInfo:
    return ScanInfo(
        scope=INVENTORY,
        command="scan",
        started_at=at - dt.timedelta(seconds=5),
        finished_at=at,
        counts={Severity.OK: hosts},
        version="test",
    )


OK = finding("dns.ok", Severity.OK)


def test_a_second_scan_says_new_worse_better_same_and_resolved(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        first = store.record(
            info(T0),
            [
                host(
                    A,
                    OK,
                    finding("tls.expiring", Severity.WARN, "12 days left"),
                    cname_target="sendgrid.net",
                ),
                host(B, OK, finding("dns.proxied", Severity.FAIL)),
            ],
        )
        assert first.previous_at is None
        fresh = first.of(A, "dns.ok")
        assert fresh is not None and fresh.change is Change.NEW
        later = T0 + dt.timedelta(days=1)
        second = store.record(
            info(later),
            [
                host(
                    A,
                    OK,
                    finding("tls.expiring", Severity.WARN, "11 days left"),
                    finding("blocklist.listed", Severity.FAIL),
                    cname_target="sendgrid.net",
                ),
                host(B, finding("dns.ok", Severity.WARN)),
            ],
        )
    assert second.previous_at == T0
    same = second.of(A, "dns.ok")
    assert same is not None and (same.change, same.since) == (Change.SAME, T0)
    expiring = second.of(A, "tls.expiring")
    assert expiring is not None and (expiring.change, expiring.since) == (Change.SAME, T0)
    listed = second.of(A, "blocklist.listed")
    assert listed is not None and (listed.change, listed.since) == (Change.NEW, later)
    worse = second.of(B, "dns.ok")
    assert worse is not None and worse.change is Change.WORSE
    assert [(r.subject, r.code, r.severity, r.since) for r in second.resolved] == [
        (B, "dns.proxied", Severity.FAIL, T0)
    ]


def test_the_timeline_holds_transitions_and_observed_values_not_copies(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore.open(path) as store:
        for day in range(30):
            target = "sendgrid.net" if day < 20 else "u123.wl.sendgrid.net"
            severity = Severity.OK if day % 10 else Severity.UNKNOWN
            store.record(
                info(T0 + dt.timedelta(days=day)),
                [host(A, finding("dns.ok", severity), cname_target=target, tls_serial="0A")],
            )
        timeline = store.timeline(INVENTORY, ["links.acme.example"])
        assert timeline.scans == 30 and timeline.first_scan == T0
        assert [(t.at.day, t.before, t.after) for t in timeline.transitions] == [
            (1, None, Severity.UNKNOWN),
            (2, Severity.UNKNOWN, Severity.OK),
            (11, Severity.OK, Severity.UNKNOWN),
            (12, Severity.UNKNOWN, Severity.OK),
            (21, Severity.OK, Severity.UNKNOWN),
            (22, Severity.UNKNOWN, Severity.OK),
        ]
        values = [(o.name, o.value, o.at.day) for o in timeline.observations]
        assert values == [
            ("cname_target", "sendgrid.net", 1),
            ("tls_serial", "0A", 1),
            ("cname_target", "u123.wl.sendgrid.net", 21),
        ]
        recent = store.timeline(INVENTORY, since=T0 + dt.timedelta(days=25))
        assert recent.scans == 5 and recent.transitions == ()
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM transitions").fetchone()[0]
    assert rows == 6


def test_a_vanished_finding_and_observation_are_recorded_as_gone(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        store.record(
            info(T0), [host(A, OK, finding("esp.https_off", Severity.WARN), esp_https="no")]
        )
        store.record(info(T0 + dt.timedelta(hours=1)), [host(A, OK)])
        timeline = store.timeline(INVENTORY)
    assert [(t.code, t.before, t.after) for t in timeline.transitions][-1] == (
        "esp.https_off",
        Severity.WARN,
        None,
    )
    assert [(o.name, o.value) for o in timeline.observations][-1] == ("esp_https", None)


def test_two_writing_threads_lose_no_scan(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore.open(path).close()
    errors: list[BaseException] = []

    def writer(subject: Subject, offset: int) -> None:
        try:
            with HistoryStore.open(path) as store:
                for index in range(25):
                    severity = Severity.OK if index % 2 else Severity.FAIL
                    at = T0 + dt.timedelta(minutes=index, seconds=offset)
                    store.record(info(at, 1), [host(subject, finding("dns.ok", severity))])
        except BaseException as error:  # noqa: BLE001 - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(s, i)) for i, s in enumerate((A, B))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with HistoryStore.open(path) as store:
        assert store.timeline(INVENTORY).scans == 50
        assert len(store.timeline(INVENTORY, ["links.acme.example"]).transitions) == 25


WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from checks.model import Severity
    from tui.history.model import INVENTORY, ScanInfo, ScannedHost, SeenFinding, Subject
    from tui.history.store import HistoryStore

    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with HistoryStore.open(__import__("pathlib").Path(path)) as store:
        print("ready", flush=True)
        for index in range(count):
            severity = Severity.OK if index % 2 else Severity.WARN
            hosts = [
                ScannedHost(
                    subject=Subject(INVENTORY, name, f"h{n}.example"),
                    brand="b",
                    findings=(SeenFinding(code="dns.ok", severity=severity, title="t"),),
                    observed={"tls_serial": f"{index}"},
                )
                for n in range(200)
            ]
            at = start + dt.timedelta(minutes=index)
            store.record(
                ScanInfo(scope=INVENTORY, command="scan", started_at=at, finished_at=at,
                         counts={severity: 200}, version="t"),
                hosts,
            )
    """
)


def _writer(path: Path, name: str, count: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def test_two_writing_processes_lose_no_scan(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    first, second = _writer(path, "one", 15), _writer(path, "two", 15)
    for process in (first, second):
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    with HistoryStore.open(path) as store:
        assert store.timeline(INVENTORY).scans == 30
    assert _integrity(path) == "ok"


def test_a_writer_killed_mid_scan_leaves_every_scan_whole(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    process = _writer(path, "one", 10_000)
    time.sleep(1.5)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert _integrity(path) == "ok"
    db = sqlite3.connect(path)
    scans = db.execute("SELECT count(*) FROM scans").fetchone()[0]
    assert scans >= 1, "the writer recorded something before it was killed"
    per_scan = db.execute(
        "SELECT count(*) FROM observations GROUP BY scan ORDER BY scan"
    ).fetchall()
    assert [count for (count,) in per_scan] == [200] * scans, "each recorded scan is whole"
    orphans = db.execute(
        "SELECT count(*) FROM transitions WHERE scan NOT IN (SELECT id FROM scans)"
    ).fetchone()[0]
    assert orphans == 0
    with HistoryStore.open(path) as store:  # and the file is usable afterwards
        store.record(info(T0 + dt.timedelta(days=400)), [host(A, OK)])


def _integrity(path: Path) -> str:
    return str(sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0])


def test_a_damaged_file_says_which_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not an SQLite file at all" * 100)
    with pytest.raises(HistoryUnavailable) as caught:
        HistoryStore.open(path)
    message = str(caught.value)
    assert str(path) in message and "damaged" in message and "move it aside" in message
    assert "\n" not in message


def test_a_read_only_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore.open(path).close()
    with (
        HistoryStore.open(path, read_only=True) as store,
        pytest.raises(HistoryUnavailable) as caught,
    ):
        store.record(info(T0), [host(A, OK)])
    assert str(path) in str(caught.value) and "read-only" in str(caught.value)


def test_a_full_disk_says_so_and_records_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore.open(path) as store:
        store.record(info(T0), [host(A, OK)])
    with HistoryStore.open(path, max_pages=1) as store:  # SQLite's own "database or disk is full"
        many = [host(Subject(INVENTORY, "x", f"h{n}.example"), OK) for n in range(2000)]
        with pytest.raises(HistoryUnavailable, match="free some space"):
            store.record(info(T0 + dt.timedelta(hours=1)), many)
        assert store.timeline(INVENTORY).scans == 1, "the failed scan left nothing behind"


def _old_file(path: Path, *, upto: int) -> sqlite3.Connection:
    """A history file at schema `upto` holding one scan of one host with one finding (open: the
    caller adds what its version held, then closes it)."""
    old = sqlite3.connect(path, isolation_level=None)
    assert migrate(old, upto=upto) == 0
    when = stamp(T0)
    old.execute(
        "INSERT INTO scans VALUES (1, 'inventory', 'scan', ?, ?, 1, 0, 0, 0, 0, 1, 'old', '')",
        (when, when),
    )
    old.execute(
        "INSERT INTO subjects VALUES (1, 'inventory', 'acme-sg', 'links.acme.example', 'Acme', 1)"
    )
    old.execute("INSERT INTO findings VALUES (1, 'dns.ok', 'ok', 'fine', ?)", (when,))
    return old


def test_a_file_of_the_first_schema_is_migrated_keeping_its_history(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _old_file(path, upto=1).close()
    with HistoryStore.open(path) as store:
        recorded = store.record(
            info(T0 + dt.timedelta(days=1)), [host(A, OK, cname_target="x.net")]
        )
        assert store.timeline(INVENTORY).scans == 2
    kept = recorded.of(A, "dns.ok")
    assert recorded.previous_at == T0 and kept is not None and kept.since == T0
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == CURRENT_VERSION == len(MIGRATIONS)


def test_a_file_from_a_newer_trackdeck_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    with pytest.raises(HistoryUnavailable, match="newer trackdeck"):
        HistoryStore.open(path)


def test_retention_forgets_old_transitions_but_keeps_the_latest_state(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        store.record(info(T0), [host(A, finding("dns.proxied", Severity.FAIL))], keep_days=30)
        store.record(info(T0 + dt.timedelta(days=40)), [host(B, OK)], keep_days=30)
        assert store.timeline(INVENTORY).scans == 1
        assert store.timeline(INVENTORY, ["links.acme.example"]).transitions == ()
        (state,) = store.current([A]).values()
        assert state["dns.proxied"].severity is Severity.FAIL and state["dns.proxied"].since == T0


@pytest.mark.parametrize(
    ("change", "reading"),
    [
        ("UPDATE findings SET severity = 'bogus'", "record"),
        ("UPDATE findings SET severity = 'bogus'", "current"),
        ("UPDATE findings SET since = 'yesterday'", "record"),
        ("UPDATE transitions SET after = 'bogus'", "timeline"),
        ("UPDATE transitions SET at = 'noon'", "timeline"),
        ("UPDATE scans SET finished_at = 10000000000000000000", "last_scan"),
        ("UPDATE scans SET finished_at = 'noon'", "timeline"),
        ("UPDATE meta SET value = 'noon' WHERE key = 'pruned_at'", "record"),
    ],
)
def test_an_unexpected_value_in_a_sound_file_says_it_is_damaged(
    tmp_path: Path, change: str, reading: str
) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore.open(path) as store:
        store.record(info(T0), [host(A, finding("tls.expiring", Severity.WARN), tls_serial="0A")])
    db = sqlite3.connect(path)
    with db:
        db.execute(change)
    db.close()
    reads = {
        "record": lambda store: store.record(info(T0 + dt.timedelta(days=2)), [host(A, OK)]),
        "current": lambda store: store.current([A]),
        "timeline": lambda store: store.timeline(INVENTORY),
        "last_scan": lambda store: store.last_scan(INVENTORY),
    }
    with HistoryStore.open(path) as store, pytest.raises(HistoryUnavailable) as caught:
        reads[reading](store)
    message = str(caught.value)
    assert str(path) in message and "damaged" in message and "move it aside" in message
    assert "\n" not in message


def test_each_scan_marks_the_hosts_it_saw_as_the_latest(tmp_path: Path) -> None:
    pairs = {subject: (subject.account, subject.host) for subject in (A, B)}
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        assert store.latest_scanned(INVENTORY) == set()
        store.record(info(T0), [host(A, OK, tls_not_after="x"), host(B, OK, tls_not_after="y")])
        assert store.latest_scanned(INVENTORY) == {pairs[A], pairs[B]}
        store.record(info(T0 + dt.timedelta(hours=1)), [host(A, OK, tls_not_after="x")])
        assert store.latest_scanned(INVENTORY) == {pairs[A]}
        store.record(info(T0 + dt.timedelta(hours=2)), [host(A, OK), host(B, OK)])
        assert store.latest_scanned(INVENTORY) == {pairs[A], pairs[B]}
        assert store.observed_now(INVENTORY, ["tls_not_after"], {pairs[B]}) == {}
        assert store.observed_now(INVENTORY, ["tls_not_after"], [pairs[A]]) == {}
        store.record(info(T0 + dt.timedelta(hours=3)), [host(B, OK, tls_not_after="z")])
        assert store.latest_scanned(INVENTORY) == {pairs[B]}
        assert store.observed_now(INVENTORY, ["tls_not_after"], {pairs[B]}) == {
            B: {"tls_not_after": "z"}
        }
        assert store.observed_now(INVENTORY, ["tls_not_after"]) == {B: {"tls_not_after": "z"}}
        store.record(info(T0 + dt.timedelta(hours=4)), [host(A, OK, tls_not_after="x")])
        assert store.observed_now(INVENTORY, ["tls_not_after"], {pairs[A]}) == {
            A: {"tls_not_after": "x"}
        }
        assert len(store.observed_now(INVENTORY, ["tls_not_after"])) == 2


def test_a_path_that_cannot_be_opened_says_what_to_check(tmp_path: Path) -> None:
    folder = tmp_path / "history.sqlite"
    folder.mkdir()
    with pytest.raises(HistoryUnavailable) as caught:
        HistoryStore.open(folder)
    message = str(caught.value)
    assert str(folder) in message and "unable to open database file" in message
    assert (
        "`history = " in message
        and "not a folder" in message
        and "exist and be writable" in message
    )
    assert "\n" not in message


SENDING = ClickScope(key="mg.acme.example", label="sending domain mg.acme.example")
C = Subject(INVENTORY, "acme-sg", "click.acme.example")


def clicks(
    first: dt.date, last: dt.date, revised: dict[dt.date, tuple[int, int]] | None = None
) -> ClickSeries:
    """The ESP's figures from `first` to `last`: 1,000 + day-of-month deliveries, 30 clicks."""
    days = []
    day = first
    while day <= last:
        sent, clicked = (revised or {}).get(day, (1000 + day.day, 30))
        days.append(DailyClicks(day=day, delivered=sent, unique_clicks=clicked))
        day += dt.timedelta(days=1)
    return ClickSeries(scope=SENDING, start=first, end=last, days=tuple(days), source="test")


def click_host(subject: Subject, series: ClickSeries, **observed: str) -> ScannedHost:
    return ScannedHost(
        subject=subject, brand="Acme", findings=(OK,), observed=observed, clicks=series
    )


def click_rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT * FROM click_days ORDER BY day").fetchall()


def test_click_days_are_kept_once_per_scope_and_revised_days_updated(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    today = T0.date()
    with HistoryStore.open(path) as store:
        first = clicks(today - dt.timedelta(days=31), today - dt.timedelta(days=1))
        store.record(info(T0), [click_host(A, first), click_host(C, first)])
        assert len(click_rows(path)) == 31  # two hosts of one scope: its days once
        later = T0 + dt.timedelta(days=2)
        revised = {today - dt.timedelta(days=1): (1200, 7)}
        second = clicks(today - dt.timedelta(days=29), later.date() - dt.timedelta(days=1), revised)
        changes_before = store._db.total_changes
        store.record(info(later), [click_host(A, second), click_host(C, second)])
        click_writes = store._db.total_changes - changes_before
        rows = click_rows(path)
        assert len(rows) == 33
        assert rows[30][3:] == (day_number(today - dt.timedelta(days=1)), 1200, 7)
        # the scan, 2 subjects, the daily prune's mark, 2 new days and 1 revised day: the
        # unchanged days (and the hosts' unchanged click scope) are not rewritten
        assert click_writes == 1 + 2 + 1 + 3
        kept = store.click_days(
            INVENTORY, ["links.acme.example"], today - dt.timedelta(days=3), later.date()
        )
    series = kept[A]
    assert series.scope == SENDING and series.start == today - dt.timedelta(days=3)
    assert series.on(today - dt.timedelta(days=1)).unique_clicks == 7
    assert series.end == later.date() - dt.timedelta(days=1)


def test_retention_forgets_old_click_days(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    today = T0.date()
    with HistoryStore.open(path) as store:
        series = clicks(today - dt.timedelta(days=31), today - dt.timedelta(days=1))
        store.record(info(T0), [click_host(A, series)], keep_days=10)
        assert len(click_rows(path)) == 10  # days beyond the horizon are not even written
        store.record(info(T0 + dt.timedelta(days=5)), [host(A, OK)], keep_days=10)
        assert [row[3] for row in click_rows(path)] == [
            day_number(today - dt.timedelta(days=back)) for back in range(5, 0, -1)
        ]
        kept = store.click_days(INVENTORY, [A.host], today - dt.timedelta(days=60), today)
    assert kept[A].start == today - dt.timedelta(days=5)  # the host keeps its scope when unseen


def test_a_file_of_the_second_schema_is_migrated_keeping_its_history(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    old = _old_file(path, upto=2)
    when = stamp(T0)
    old.execute("INSERT INTO observed VALUES (1, 'clicks', 'steady', ?)", (when,))
    old.close()
    later = T0 + dt.timedelta(days=1)
    series = clicks(T0.date() - dt.timedelta(days=3), T0.date())
    with HistoryStore.open(path) as store:
        recorded = store.record(info(later), [click_host(A, series, clicks="steady")])
        timeline = store.timeline(INVENTORY)
        kept = store.click_days(INVENTORY, [A.host], T0.date() - dt.timedelta(days=9), T0.date())
    assert recorded.previous_at == T0 and timeline.scans == 2
    assert [(o.name, o.value) for o in timeline.observations] == []  # `clicks` stays as it was
    assert kept[A].days == series.days
