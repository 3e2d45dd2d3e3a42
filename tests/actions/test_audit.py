"""The audit log: whole JSON lines, private files, secrets scrubbed, safe under concurrent writers."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import multiprocessing
import stat
import threading
from pathlib import Path

import pytest

from tui.actions.journal import AuditEntry, AuditLog, utc_timestamp
from tui.inventory.paths import default_audit_path, state_dir

CANARY = "sk-CANARY-7f3a9e"
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)
BIG = "x" * 20_000


def fixed_clock() -> dt.datetime:
    return NOW


def make_log(path: Path, secrets: tuple[str, ...] = ()) -> AuditLog:
    return AuditLog(path, clock=fixed_clock, user="ops", secrets=lambda: secrets)


def record_many(path: str, writer: str, count: int) -> None:
    """Append `count` large entries (module level so a spawned process can run it)."""
    log = make_log(Path(path))
    for index in range(count):
        log.record(
            account=writer,
            host=f"h{index}.acme.test",
            action="set_https",
            before="off",
            after="on",
            result="ok",
            detail=BIG,
        )


def test_record_writes_one_complete_json_line(tmp_path: Path) -> None:
    log = make_log(tmp_path / "audit.jsonl")
    entry = log.record(
        account="acme-mg",
        host="links.acme.test",
        action="verify",
        before="unverified",
        after="verified",
        result="ok",
    )
    assert entry == AuditEntry(
        time="2026-01-02T03:04:05Z",
        user="ops",
        account="acme-mg",
        host="links.acme.test",
        action="verify",
        before="unverified",
        after="verified",
        result="ok",
    )
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["action"] == "verify"
    assert log.entries() == (entry,)


def test_files_are_private_and_directories_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "trackdeck" / "audit.jsonl"
    make_log(path).record(
        account="a", host="h.test", action="verify", before="", after="", result="ok"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) & 0o077 == 0


def test_known_secrets_and_key_shapes_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = make_log(path, secrets=(CANARY, ""))
    written = log.record(
        account="acme-mg",
        host="links.acme.test",
        action="set_https",
        before=f"key={CANARY}",
        after="on",
        result="failed",
        detail=f"401 for {CANARY!r}; body said SG.CANARYfakefake0000.canaryCANARYfake0000fake",
    )
    raw = path.read_bytes()
    assert CANARY.encode() not in raw
    assert b"SG.CANARY" not in raw
    assert written.before == "key=[redacted]"
    assert "[redacted]" in written.detail
    assert CANARY not in repr(log.entries())


def test_reader_skips_and_counts_corrupt_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = make_log(path)
    log.record(account="a", host="one.test", action="verify", before="", after="", result="ok")
    with path.open("ab") as handle:
        handle.write(b'{"time": "2026-01-01T00:00:00Z", "user": "ops", "acc\n')
        handle.write(b"[1, 2, 3]\n\n")
        handle.write(b'{"time": 5, "user": "ops"}\n')
        handle.write(b"\xff\xfe not utf-8\n")
    log.record(account="a", host="two.test", action="verify", before="", after="", result="ok")
    read = log.read()
    assert [entry.host for entry in read.entries] == ["one.test", "two.test"]
    assert read.corrupt_lines == 4


def test_missing_log_reads_as_empty(tmp_path: Path) -> None:
    read = make_log(tmp_path / "none.jsonl").read()
    assert (read.entries, read.corrupt_lines) == ((), 0)


def test_concurrent_threads_write_intact_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    threads = [
        threading.Thread(target=record_many, args=(str(path), f"thread-{n}", 25)) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    read = make_log(path).read()
    assert read.corrupt_lines == 0
    assert len(read.entries) == 150
    assert all(entry.detail == BIG for entry in read.entries)


def test_concurrent_processes_write_intact_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=record_many, args=(str(path), f"process-{n}", 40)) for n in range(2)
    ]
    for worker in workers:
        worker.start()
    record_many(str(path), "parent", 40)
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
        worker.close()
    read = make_log(path).read()
    assert read.corrupt_lines == 0
    assert len(read.entries) == 120
    assert {entry.account for entry in read.entries} == {"process-0", "process-1", "parent"}
    assert all(entry.detail == BIG for entry in read.entries)


def test_append_waits_for_another_writers_lock(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.touch(mode=0o600)
    writer = threading.Thread(target=record_many, args=(str(path), "waiting", 1))
    with path.open("ab") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        writer.start()
        writer.join(timeout=0.3)
        assert writer.is_alive(), "append must wait while another process holds the lock"
        assert path.read_bytes() == b""
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
    writer.join(timeout=30)
    assert [entry.account for entry in make_log(path).entries()] == ["waiting"]


def test_utc_timestamp_converts_to_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert utc_timestamp(dt.datetime(2026, 1, 2, 4, 4, 5, tzinfo=paris)) == "2026-01-02T03:04:05Z"


def test_default_audit_path_honours_xdg_state_home(tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path / "home")}
    assert default_audit_path(environ) == tmp_path / "state" / "trackdeck" / "audit.jsonl"
    assert state_dir({"HOME": str(tmp_path)}) == tmp_path / ".local" / "state" / "trackdeck"
    assert state_dir({"XDG_STATE_HOME": "", "HOME": str(tmp_path)}) == state_dir(
        {"HOME": str(tmp_path)}
    )


@pytest.mark.parametrize("field", ["account", "host", "detail"])
def test_no_field_escapes_scrubbing(tmp_path: Path, field: str) -> None:
    path = tmp_path / "audit.jsonl"
    values = {"account": "a", "host": "h.test", "detail": ""} | {field: f"<{CANARY}>"}
    make_log(path, secrets=(CANARY,)).record(
        action="verify", before="", after="", result="ok", **values
    )
    assert CANARY not in path.read_text(encoding="utf-8")
