"""How `trackdeck` behaves as a program: its version, the inventory named by the environment, a crash
(exit 70, one line, the traceback saved with secrets redacted), `--debug` and progress lines."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.data import REPO
from tests.support.worlds import DnsWorld, tls_world
from tui.cli import main as cli_main
from tui.cli.commands import init as init_command
from tui.cli.crash import report_crash
from tui.cli.progress import Progress
from tui.fleet import scan as fleet_scan
from tui.fleet.network import Environment
from tui.inventory.credentials import env_var_name
from tui.inventory.paths import default_inventory_path
from tui.report.document import trackdeck_version
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps


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


@pytest.fixture
def trackdeck_logger() -> Iterator[logging.Logger]:
    """The `trackdeck` logger, its handlers and level put back afterwards (`--debug` adds a handler
    on the standard error of the moment: the test's capture)."""
    logger = logging.getLogger("trackdeck")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    for handler in logger.handlers[:]:
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)


def test_debug_logs_each_hosts_timings_and_the_esp_requests_without_the_secret(
    world: DnsWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    trackdeck_logger: logging.Logger,
) -> None:
    host = "links-mg.brand.example"
    secret = "key-canaryDEBUGcanary0123456789abcdef"
    monkeypatch.setenv(env_var_name("acme-mg"), secret)
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        '[settings]\nblocklists = false\n\n[accounts.acme-mg]\nesp = "mailgun"\n\n'
        f'[[brands]]\nname = "Acme"\ntracking = [{{ host = "{host}", account = "acme-mg" }}]\n',
        encoding="utf-8",
    )
    esp = SimulatedEsp(
        "mailgun", "acme-mg", [SimDomain(host=host, https=True, certificate="active")]
    )
    with tls_world() as tls, SimulatedEsps([esp]) as esps:
        tls.add("192.0.2.2", kind="valid", host=host, now=dt.datetime.now(dt.UTC))
        environment = Environment(
            dialer=tls.dialer,
            authoritative_port=world.authoritative.port,
            dqs_key=lambda: None,
        )
        network = (
            "--resolver", f"127.0.0.1:{world.resolver.port}",
            "--ca-bundle", str(tls.certificates.ca_bundle_path), "--timeout", "0.5",
        )  # fmt: skip
        assert cli_main.main(["--debug", "check", host, *network], environment) == 0
        checked = capsys.readouterr()
        trackdeck_logger.removeHandler(trackdeck_logger.handlers[-1])  # the next run adds its own
        monkeypatch.setattr(
            fleet_scan, "default_client_factory", lambda **_: esps.client_factory()
        )  # the real Mailgun client, answered by the simulated API: nothing leaves loopback
        status = cli_main.main(["--debug", "scan", "-i", str(inventory), *network], environment)
        scanned = capsys.readouterr()
    assert status == 0, scanned.out
    timing = rf"trackdeck\.checks: {re.escape(host)}: ok in dns \d+ ms, .*tls\+http \d+ ms"
    assert re.search(timing, checked.err), checked.err
    assert re.search(timing, scanned.err), scanned.err
    assert "trackdeck.esp" not in checked.err, "check asks no ESP"
    assert re.search(r"trackdeck\.esp: Mailgun GET /\S+ -> 200 in \d+\.\d{3}s", scanned.err)
    assert esp.calls, "the requests reached the simulated API"
    for text in (checked.out, checked.err, scanned.out, scanned.err):
        assert "canaryDEBUG" not in text
