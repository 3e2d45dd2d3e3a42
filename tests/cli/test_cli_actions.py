"""`trackdeck verify`, `https enable|disable`, `init` and `import` end to end: prompts, preflight
output, progress, exit statuses, the audit log, and files that are never overwritten."""

from __future__ import annotations

import datetime as dt
import io
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from esp_clients import Capability, CertificateState, EspSecret, EspUnavailable
from tests.actions.test_actions import (
    CANARY,
    HEALTHY,
    INVENTORY,
    SECRETS,
    SES_ENV,
    FakeTime,
    ScriptedClient,
    ScriptedEsp,
    https_off,
)
from tests.support.fakes import MemoryKeyring
from tests.support.worlds import DnsWorld, tls_world
from tui.actions.journal import AuditEntry, AuditLog
from tui.cli.main import build_parser, main
from tui.fleet.network import Environment
from tui.inventory.credentials import CredentialStore
from tui.inventory.load import example_inventory_text
from tui.inventory.model import Account
from tui.inventory.paths import default_audit_path
from tui.sim.tls_world import TlsWorld


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal, with the user's answers queued."""

    def isatty(self) -> bool:
        return True


@dataclass
class Cli:
    """Runs trackdeck commands against the loopback worlds, a scripted ESP and tmp files."""

    world: DnsWorld
    tls: TlsWorld
    esp: ScriptedEsp
    inventory: Path
    time: FakeTime
    capsys: pytest.CaptureFixture[str]
    factory_calls: list[str]

    def run(self, *argv: str, **inject: object) -> tuple[int, str, str]:
        args = build_parser().parse_args([*argv])
        args.environment = Environment(
            dialer=self.tls.dialer, authoritative_port=self.world.authoritative.port
        )
        args.credential_store = CredentialStore(
            environ=SES_ENV, keyring_backend=MemoryKeyring(SECRETS)
        )
        args.client_factory = self.factory
        args.sleep = self.time.sleep
        args.clock = self.time.clock
        for name, value in inject.items():
            setattr(args, name, value)
        status: int = args.run(args)
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def action(self, *argv: str, **inject: object) -> tuple[int, str, str]:
        """A write command with -i and the network options pointing at the loopback world."""
        options = (
            "-i", str(self.inventory), "--resolver", f"127.0.0.1:{self.world.resolver.port}",
            "--ca-bundle", str(self.tls.certificates.ca_bundle_path), "--timeout", "0.5",
        )  # fmt: skip
        return self.run(*argv, *options, **inject)

    def factory(self, account: Account, secret: EspSecret) -> ScriptedClient:
        self.factory_calls.append(account.name)
        return ScriptedClient(account.ref(), self.esp)

    def audit(self) -> tuple[AuditEntry, ...]:
        return AuditLog(default_audit_path()).entries()

    def writes(self) -> list[str]:
        return [call for call in self.esp.calls if call not in ("list", "close")]


@pytest.fixture
def cli(
    world: DnsWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(INVENTORY)
    hosts = (HEALTHY, "proxied.brand.example", "stale.brand.example")
    esp = ScriptedEsp(domains=[https_off(host) for host in hosts])
    with tls_world() as tls:
        tls.add("192.0.2.2", kind="wrong_name", host=HEALTHY, now=dt.datetime.now(dt.UTC))

        def install_valid_certificate() -> None:
            tls.add("192.0.2.2", kind="valid", host=HEALTHY, now=dt.datetime.now(dt.UTC))

        esp.on_flip = install_valid_certificate
        yield Cli(world, tls, esp, inventory, FakeTime(), capsys, [])


def test_enable_shows_the_preflight_progress_result_and_tls_recheck(cli: Cli) -> None:
    status, out, err = cli.action("https", "enable", HEALTHY, "--yes")
    assert status == 0, err
    assert f"Preflight for {HEALTHY} at Mailgun (acme-mg):" in out
    assert "✓ dns.ok" in out and "✓ caa.ok" in out
    assert "! tls.hostname_mismatch" in out and "(does not block)" in out
    assert "Preflight passed" in out
    assert "  certificate pending: checking every 5 s, for up to 300 s" in out
    assert "  certificate pending (5 s)…" in out and "  certificate active" in out
    assert "✓ esp.verified" in out
    assert f"✓ Mailgun now sends links for {HEALTHY} over HTTPS" in out
    assert "ESP state now:    verified, https on, certificate active" in out
    recheck = out.split("TLS re-check:", 1)[1]
    assert "✓ tls.ok" in recheck and "hostname_mismatch" not in recheck
    assert [(e.action, e.result) for e in cli.audit()][-1] == ("https.enable", "ok")


def test_the_prompt_names_host_esp_and_account(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    status, out, _err = cli.action("https", "enable", HEALTHY)
    assert status == 0
    assert f"Turn HTTPS on for {HEALTHY} at Mailgun (acme-mg)? [y/N] " in out
    assert "https on" in cli.writes()


def test_answering_no_changes_nothing(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    status, out, _err = cli.action("https", "enable", HEALTHY)
    assert status == 1 and "Nothing changed." in out
    assert cli.writes() == [] and cli.audit() == ()


def test_no_terminal_and_no_yes_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    status, _out, err = cli.action("https", "enable", HEALTHY)
    assert status == 64 and "stdin is not a terminal" in err and "--yes" in err
    assert cli.writes() == []


def test_blocking_preflight_lists_the_fix_and_exits_2(cli: Cli) -> None:
    status, out, err = cli.action("https", "enable", "proxied.brand.example", "--yes")
    assert status == 2
    assert "✗ dns.proxied" in out and "fix: Set the record to DNS only" in out
    assert "Preflight passed" not in out
    assert "refused: the preflight for proxied.brand.example found 1 blocking" in err
    assert err.rstrip().endswith("at your own risk (--force)")
    assert cli.writes() == []
    assert [(e.action, e.result) for e in cli.audit()] == [("https.enable", "refused")]


def test_force_goes_ahead(cli: Cli) -> None:
    status, out, _err = cli.action("https", "enable", "proxied.brand.example", "--yes", "--force")
    assert status == 0 and "--force: going ahead" in out
    assert "https on" in cli.writes()


@pytest.mark.parametrize("where", ["flag", "root flag", "setting"])
def test_read_only_refuses_before_any_esp_call(cli: Cli, where: str) -> None:
    argv = ["https", "enable", HEALTHY, "--yes"]
    if where == "flag":
        argv.append("--read-only")
    elif where == "root flag":
        argv.insert(0, "--read-only")
    else:
        cli.inventory.write_text("[settings]\nread_only = true\n" + INVENTORY)
    status, _out, err = cli.action(*argv)
    assert status == 2 and "read-only mode" in err
    assert cli.factory_calls == [] and cli.esp.calls == []
    (entry,) = cli.audit()
    assert (entry.action, entry.result, entry.account) == ("https.enable", "refused", "acme-mg")


def test_ctrl_c_while_waiting_cancels_cleanly(cli: Cli) -> None:
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    status, out, _err = cli.action("https", "enable", HEALTHY, "--yes", sleep=interrupted)
    assert status == 130
    assert "✗ cancelled while waiting for the certificate; HTTPS not switched" in out
    assert "run this command again to switch" in out
    assert "https on" not in cli.writes()
    assert (cli.audit()[-1].action, cli.audit()[-1].result) == ("certificate.wait", "cancelled")


def test_flip_failure_is_reported_with_the_true_state(cli: Cli) -> None:
    cli.esp.flip_error = EspUnavailable(
        f"HTTP 500 (key {CANARY})", esp="Mailgun", account="acme-mg", status=500
    )
    status, out, err = cli.action("https", "enable", HEALTHY, "--yes")
    assert status == 2 and "Traceback" not in err
    assert "✗ certificate issued, scheme flip failed: Mailgun (account acme-mg): HTTP 500" in out
    assert "ESP state now:    verified, https off, certificate active" in out
    assert CANARY not in out + err + default_audit_path().read_text()


def test_esp_without_the_capability_explains_itself(cli: Cli) -> None:
    cli.esp.label = "SendGrid"
    cli.esp.capabilities = frozenset({Capability.LIST, Capability.VERIFY})
    status, _out, err = cli.action("https", "enable", HEALTHY, "--yes")
    assert status == 2 and "SendGrid's API cannot do https_enable" in err
    assert cli.writes() == []


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["https", "enable", "nowhere.brand.example", "--yes"], "not listed in"),
        (["verify", "stale.brand.example", "--yes"], "choose one with --account NAME"),
        (["https", "disable", "links..brand.example", "--yes"], "not a host name"),
    ],
)
def test_usage_problems_exit_64(cli: Cli, argv: list[str], words: str) -> None:
    status, _out, err = cli.action(*argv)
    assert status == 64 and words in err and "Traceback" not in err


def test_missing_inventory_exits_64(cli: Cli, tmp_path: Path) -> None:
    status, _out, err = cli.run("verify", HEALTHY, "-i", str(tmp_path / "none.toml"), "--yes")
    assert status == 64 and "trackdeck init" in err


def test_verify_success_and_failure(cli: Cli) -> None:
    cli.esp.replace(HEALTHY, verified=False)
    cli.esp.verify_changes = {"verified": True}
    status, out, _err = cli.action("verify", HEALTHY, "--yes")
    assert status == 0 and f"✓ Mailgun reports {HEALTHY} verified" in out
    cli.esp.verify_changes = {"verified": False, "problems": ("CNAME not found",)}
    status, out, _err = cli.action("verify", HEALTHY, "--yes")
    assert status == 2 and "still reports" in out and "CNAME not found" in out
    assert [e.result for e in cli.audit()] == ["started", "verified", "started", "unverified"]


def test_verify_prompt(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    status, out, _err = cli.action("verify", HEALTHY)
    assert status == 0 and f"Ask Mailgun (acme-mg) to verify {HEALTHY}? [y/N] " in out


def test_disable(cli: Cli) -> None:
    cli.esp.replace(HEALTHY, https=True, certificate=CertificateState(status="active"))
    status, out, _err = cli.action("https", "disable", HEALTHY, "--yes")
    assert status == 0 and "over plain http" in out
    assert cli.writes() == ["https off"]


# init and import -----------------------------------------------------------------------------


def test_init_writes_the_example_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new" / "inventory.toml"
    assert main(["init", str(path)]) == 0
    out = capsys.readouterr().out
    assert path.read_text() == example_inventory_text()
    assert "Next steps" in out and f"trackdeck scan -i {path}" in out
    path.write_text("# my hand-written inventory\n")
    assert main(["init", str(path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "# my hand-written inventory\n"


def test_init_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["init"]) == 0
    assert (tmp_path / "config" / "trackdeck" / "inventory.toml").is_file()
    assert "trackdeck scan " in capsys.readouterr().out


def test_import_prints_a_fragment_that_loads(cli: Cli) -> None:
    cli.esp.domains.append(https_off("news.other.example", expected_target="eu.mailgun.org"))
    status, out, _err = cli.run("import", "acme-mg", "-i", str(cli.inventory), "--brand", "Other")
    assert status == 0
    assert "# Already in the inventory: links-mg.brand.example" in out
    (brand,) = tomllib.loads(out)["brands"]
    assert brand["name"] == "Other"
    assert {"host": "news.other.example", "account": "acme-mg",
            "expect_target": "eu.mailgun.org"} in brand["tracking"]  # fmt: skip
    assert cli.inventory.read_text() == INVENTORY


def test_import_writes_a_new_file_and_never_overwrites(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "imported.toml"
    status, out, _err = cli.run("import", "acme-mg", "-i", str(cli.inventory), "-o", str(target))
    assert status == 0 and "Wrote 3 tracking domain(s) of acme-mg" in out
    assert len(tomllib.loads(target.read_text())["brands"][0]["tracking"]) == 3
    before = target.read_text()
    status, _out, err = cli.run("import", "acme-mg", "-i", str(cli.inventory), "-o", str(target))
    assert status == 1 and "already exists" in err and target.read_text() == before
    status, _out, err = cli.run(
        "import", "acme-mg", "-i", str(cli.inventory), "-o", str(cli.inventory)
    )
    assert status == 1 and cli.inventory.read_text() == INVENTORY


@pytest.mark.parametrize(
    ("account", "status", "words"),
    [
        ("nosuch", 64, "its accounts: acme-mg"),
        ("acme-pm", 2, "Postmark has no API"),
        ("acme-nokey", 2, "TRACKDECK_SECRET_ACME_NOKEY"),
    ],
)
def test_import_refusals(cli: Cli, account: str, status: int, words: str) -> None:
    code, _out, err = cli.run("import", account, "-i", str(cli.inventory))
    assert code == status and words in err


def test_import_esp_failure(cli: Cli) -> None:
    cli.esp.list_error = EspUnavailable("HTTP 503", esp="Mailgun", account="acme-mg", status=503)
    status, _out, err = cli.run("import", "acme-mg", "-i", str(cli.inventory))
    assert status == 2 and "HTTP 503" in err and "Traceback" not in err
