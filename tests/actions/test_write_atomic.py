"""Atomic writes: a new inventory (init, import -o) appears whole or not at all and never replaces a
file, even when two writers race or the disk fails mid-write; every audit entry is one flushed,
appended write; and no code path writes a file any other way."""

from __future__ import annotations

import errno
import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.data import REPO
from tests.support.fakes import FakeEsp, domain, fake_factory, store_with
from tui.actions.journal import AuditLog
from tui.cli.main import build_parser, main
from tui.inventory.files import write_new_file

ROOT = REPO
BIG = "# an inventory\n" + "x = 1\n" * 400_000


def test_a_new_file_is_never_seen_half_written(tmp_path: Path) -> None:
    target = tmp_path / "inventory.toml"
    seen: list[int] = []
    writer = threading.Thread(target=write_new_file, args=(target, BIG))
    writer.start()
    while writer.is_alive() or not seen:
        if target.exists():
            seen.append(len(target.read_text()))
    writer.join()
    assert set(seen) == {len(BIG)}
    assert [path.name for path in tmp_path.iterdir()] == ["inventory.toml"]


def test_two_writers_racing_for_one_new_file(tmp_path: Path) -> None:
    target = tmp_path / "inventory.toml"
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def write(text: str) -> None:
        start.wait()
        try:
            write_new_file(target, text)
            outcomes[text] = "written"
        except FileExistsError:
            outcomes[text] = "refused"

    texts = ["# first\n" * 50_000, "# second\n" * 50_000]
    threads = [threading.Thread(target=write, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["refused", "written"]
    winner = next(text for text, outcome in outcomes.items() if outcome == "written")
    assert target.read_text() == winner
    assert [path.name for path in tmp_path.iterdir()] == ["inventory.toml"]


def test_a_disk_failure_mid_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_fsync(_descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(
        os, "fsync", failing_fsync
    )  # the os module tui.inventory.files writes through
    target = tmp_path / "config" / "inventory.toml"
    with pytest.raises(OSError, match="Input/output"):
        write_new_file(target, BIG)
    assert list(target.parent.iterdir()) == []
    assert main(["init", str(target)]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert list(target.parent.iterdir()) == []


def test_import_into_an_unwritable_place_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text('[accounts.acme-mg]\nesp = "mailgun"\n')
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    args = build_parser().parse_args(
        ["import", "acme-mg", "-i", str(inventory), "-o", str(blocker / "new.toml")]
    )
    args.credential_store = store_with({"acme-mg": "key"})
    args.client_factory = fake_factory(
        {"acme-mg": FakeEsp(domains=[domain("a.acme.test", "acme-mg")])}
    )
    assert args.run(args) == 1
    err = capsys.readouterr().err
    assert f"cannot write {blocker / 'new.toml'}: Not a directory" in err and "Traceback" not in err
    assert blocker.read_text() == "not a directory\n"


Call = tuple[str, int, object]


class Recorded:
    """os.open / os.write / os.fsync / os.close as this thread calls them, recorded."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.calls: list[Call] = []
        self._thread = threading.get_ident()
        for name in ("open", "write", "fsync", "close"):
            patch.setattr(os, name, self._wrap(name, getattr(os, name)))

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            result = real(*args)
            if threading.get_ident() == self._thread:
                descriptor = result if name == "open" else args[0]
                detail = args[1] if name in ("open", "write") else None
                self.calls.append((name, int(descriptor), detail))
            return result

        return call


def test_each_audit_entry_is_one_appended_flushed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", user="ops")
    with monkeypatch.context() as patch:
        recorded = Recorded(patch)
        for index in range(3):
            log.record(account="acme", host=f"h{index}.acme.test", action="verify", before="",
                       after="", result="ok", detail="y" * 10_000)  # fmt: skip
    calls = recorded.calls
    assert [name for name, _fd, _detail in calls] == ["open", "write", "fsync", "close"] * 3
    for opened, written, synced, closed in zip(*[iter(calls)] * 4, strict=True):
        assert isinstance(opened[2], int) and opened[2] & os.O_APPEND
        assert written[1] == synced[1] == closed[1] == opened[1]
        assert isinstance(written[2], bytes | memoryview)
        line = bytes(written[2])
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert json.loads(line)["detail"] == "y" * 10_000


WRITES = re.compile(
    r"\.write_(?:text|bytes)\(|\bopen\([^)]*[\"'][wax]|os\.(?:open|fdopen)\(|save_screenshot\("
)
ALLOWED = {
    "tui/inventory/files.py": "write_new_file: a temporary file, then a hard link that never replaces one",
    "tui/actions/journal.py": "AuditLog.append: O_APPEND, flock, one write, fsync",
    "tui/app/screenshots.py": "the README's SVGs, into the directory the user names",
    "tui/fleet/child.py": "frames on the pipe to the dashboard (stdout of its scan child), no file",
    "tui/cli/main.py": "/dev/null over a standard output its reader closed (`| head`), no file",
    "tui/sim/certificates.py": "the simulated world's CA bundle and leaf keys, in its own temporary directory",
}


def test_every_file_write_goes_through_a_safe_writer() -> None:
    writers = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "tui").rglob("*.py")
        if WRITES.search(path.read_text(encoding="utf-8"))
    }
    assert writers <= set(ALLOWED), writers - set(ALLOWED)
    assert {"tui/inventory/files.py", "tui/actions/journal.py"} <= writers
