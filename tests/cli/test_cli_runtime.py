"""How `trackdeck` behaves as a program: its version, the inventory named by the environment, a crash
(exit 70, one line, the traceback saved with secrets redacted), `--debug` and progress lines."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.data import REPO
from tui.cli import main as cli_main
from tui.cli.commands import init as init_command
from tui.cli.crash import report_crash
from tui.cli.progress import Progress
from tui.inventory.paths import default_inventory_path
from tui.report.document import trackdeck_version


def test_version_is_printed_without_loading_the_engine() -> None:
    code = (
        "import sys, tui.cli.main as m\n"
        "print('exit', m.main(['--version']))\n"
        "print('checks.engine' in sys.modules, 'textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.stdout.splitlines() == [
        f"trackdeck {trackdeck_version()}",
        "exit 0",
        "False False",
    ]
    assert trackdeck_version() != "0+unknown", "the package is installed in the test environment"


def test_the_environment_names_the_inventory(tmp_path: Path) -> None:
    named = tmp_path / "fleet.toml"
    assert default_inventory_path({"TRACKDECK_INVENTORY": str(named)}) == named
    fallback = default_inventory_path(
        {"TRACKDECK_INVENTORY": " ", "XDG_CONFIG_HOME": str(tmp_path)}
    )
    assert fallback == tmp_path / "trackdeck" / "inventory.toml"


def test_scan_reads_the_inventory_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKDECK_INVENTORY", str(tmp_path / "missing.toml"))
    assert cli_main.main(["scan"]) == 64
    assert f"no inventory at {tmp_path / 'missing.toml'}" in capsys.readouterr().err


def test_a_crash_exits_70_with_one_line_and_a_redacted_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(_args: argparse.Namespace) -> int:
        raise RuntimeError("bad state while holding SG.canaryKEYcanaryKEY.canaryKEYcanaryKEY1234")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr(init_command, "run", boom)  # the simplest command to make fail
    assert cli_main.main(["init", str(tmp_path / "inventory.toml")]) == 70
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "internal error (RuntimeError: bad state" in err
    (saved,) = (tmp_path / "trackdeck").glob("crash-*.txt")
    assert str(saved) in err
    text = saved.read_text(encoding="utf-8")
    assert "Traceback" in text and "boom" in text
    assert "canaryKEY" not in text and "canaryKEY" not in err


def test_a_crash_that_cannot_be_saved_still_says_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    report_crash(ValueError("x"), directory=blocked / "sub")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not be saved" in err


def test_progress_says_done_total_rate_and_what_it_waits_on() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = Progress(
        ["a.example", "b.example", "c.example"], stream=stream, clock=lambda: now[0], enabled=True
    )
    now[0] = 101.0
    progress.finished("b.example")
    assert stream.getvalue().endswith("trackdeck: 1/3 hosts · 1/s")
    now[0] = 105.0
    progress.draw(force=True)
    assert stream.getvalue().endswith("waiting on a.example (+1) for 4 s")
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[2K")


def test_progress_writes_nothing_when_standard_error_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(["a.example"], stream=stream) as progress:
        progress.finished("a.example")
    assert stream.getvalue() == ""
