"""`trackdeck creds set|delete|status` with in-memory and backend-less keyrings: hidden prompts,
SES and DNS-only accounts, clear messages instead of tracebacks, and never the secret in output."""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.actions.test_actions import CANARY, INVENTORY
from tests.support.fakes import MemoryKeyring, no_backend
from tui.cli.main import build_parser, main
from tui.inventory.credentials import CredentialStore


@dataclass
class Creds:
    """Runs `trackdeck creds …` with an injected store and a scripted hidden prompt."""

    inventory: Path
    capsys: pytest.CaptureFixture[str]
    keyring: MemoryKeyring = field(default_factory=MemoryKeyring)
    environ: dict[str, str] = field(default_factory=dict)
    backend: object | None = None
    answers: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)

    def hidden_prompt(self, prompt: str = "Password: ", stream: object = None) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)

    def run(self, *argv: str, inventory: bool = True) -> tuple[int, str, str]:
        options = ("-i", str(self.inventory)) if inventory else ()
        args = build_parser().parse_args(["creds", *argv, *options])
        args.environment = None
        backend = self.backend if self.backend is not None else self.keyring
        args.credential_store = CredentialStore(environ=self.environ, keyring_backend=backend)
        status: int = args.run(args)
        captured = self.capsys.readouterr()
        assert CANARY not in captured.out + captured.err
        assert "Traceback" not in captured.err
        return status, captured.out, captured.err


@pytest.fixture
def creds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Creds:
    path = tmp_path / "inventory.toml"
    path.write_text(INVENTORY)
    rig = Creds(path, capsys)
    monkeypatch.setattr(getpass, "getpass", rig.hidden_prompt)
    return rig


def test_set_prompts_hidden_and_stores_in_the_keyring(creds: Creds) -> None:
    creds.answers = [f"  {CANARY}\n"]
    status, out, _err = creds.run("set", "acme-mg")
    assert status == 0
    assert creds.prompts == ["API key for acme-mg (Mailgun), input hidden: "]
    assert creds.keyring.secrets == {"acme-mg": CANARY}
    assert "Stored the API key for acme-mg in the OS keyring (service 'trackdeck'" in out


def test_set_warns_when_the_environment_wins(creds: Creds) -> None:
    creds.environ = {"TRACKDECK_SECRET_ACME_MG": "other"}
    creds.answers = [CANARY]
    status, out, _err = creds.run("set", "acme-mg")
    assert status == 0 and "TRACKDECK_SECRET_ACME_MG is set in this environment and wins" in out


def test_set_for_ses_explains_the_aws_chain_and_stores_nothing(creds: Creds) -> None:
    status, _out, err = creds.run("set", "acme-ses")
    assert status == 1 and "AWS credential chain" in err
    assert "TRACKDECK_SECRET_ACME_SES=ACCESS_KEY_ID:SECRET_ACCESS_KEY" in err
    assert creds.prompts == [] and creds.keyring.secrets == {}


def test_set_for_a_dns_only_account_stores_nothing(creds: Creds) -> None:
    status, _out, err = creds.run("set", "acme-pm")
    assert status == 1 and "DNS only" in err and "Postmark" in err
    assert creds.prompts == [] and creds.keyring.secrets == {}


def test_set_unknown_account_lists_the_known_ones(creds: Creds) -> None:
    status, _out, err = creds.run("set", "acme-typo")
    assert status == 64 and "no account 'acme-typo'" in err and "acme-mg" in err
    assert creds.prompts == []


def test_set_without_an_inventory_stores_under_the_name(creds: Creds, tmp_path: Path) -> None:
    creds.inventory = tmp_path / "missing.toml"
    creds.answers = [CANARY]
    status, out, _err = creds.run("set", "future-account")
    assert status == 0 and "no inventory at" in out
    assert creds.keyring.secrets == {"future-account": CANARY}


def test_set_with_nothing_typed(creds: Creds) -> None:
    creds.answers = ["   "]
    status, _out, err = creds.run("set", "acme-mg")
    assert status == 1 and "nothing stored" in err and creds.keyring.secrets == {}


def test_set_without_a_keyring_backend_says_what_to_do(creds: Creds) -> None:
    creds.backend = no_backend()
    status, _out, err = creds.run("set", "acme-mg")
    assert status == 1 and "no OS keyring backend" in err
    assert "TRACKDECK_SECRET_ACME_MG" in err and "keyrings.alt" in err
    assert creds.prompts == [], "no point asking for a key that cannot be stored"


def test_set_when_the_keyring_fails_after_the_prompt(creds: Creds, tmp_path: Path) -> None:
    creds.inventory = tmp_path / "missing.toml"
    creds.backend = no_backend()
    creds.answers = [CANARY]
    status, _out, err = creds.run("set", "acme-mg")
    assert status == 1 and "nothing stored" in err and "no OS keyring backend" in err


def test_delete(creds: Creds) -> None:
    creds.keyring.secrets = {"acme-mg": CANARY}
    status, out, _err = creds.run("delete", "acme-mg")
    assert status == 0 and "Deleted the API key of acme-mg" in out
    assert creds.keyring.secrets == {}
    status, out, _err = creds.run("delete", "acme-mg")
    assert status == 0 and "holds no key for acme-mg; nothing deleted" in out


def test_delete_without_a_keyring_backend(creds: Creds) -> None:
    creds.backend = no_backend()
    status, _out, err = creds.run("delete", "acme-mg")
    assert status == 1 and "nothing deleted" in err and "PYTHON_KEYRING_BACKEND" in err


def test_status_table_never_shows_a_secret(creds: Creds) -> None:
    creds.keyring.secrets = {"acme-mg": CANARY, "acme-sg": CANARY}
    creds.environ = {"TRACKDECK_SECRET_ACME_SES": f"AKIDEXAMPLE:{CANARY}"}
    status, out, _err = creds.run("status")
    assert status == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["ACCOUNT"].split()[:4] == ["ACCOUNT", "ESP", "SOURCE", "DETAIL"]
    assert lines["acme-mg"].split()[1:3] == ["Mailgun", "keyring"]
    assert re.search(r"Amazon SES +environment +from TRACKDECK_SECRET_ACME_SES", lines["acme-ses"])
    assert "AKIDEXAMPLE" not in out
    assert lines["acme-pm"].split()[2] == "not-needed"
    assert "trackdeck creds set acme-md" in lines["acme-md"]


def test_status_without_a_keyring_backend_says_so_once(creds: Creds) -> None:
    creds.backend = no_backend()
    status, out, _err = creds.run("status")
    assert status == 0
    assert out.count("no OS keyring backend") == 1
    assert out.count("the OS keyring cannot be used (see below)") == 5
    assert "keyrings.alt" in out and "PYTHON_KEYRING_BACKEND" in out
    assert "TRACKDECK_SECRET_<ACCOUNT>" in out


def test_status_needs_an_inventory(creds: Creds, tmp_path: Path) -> None:
    creds.inventory = tmp_path / "missing.toml"
    status, _out, err = creds.run("status")
    assert status == 64 and "trackdeck init" in err


def test_creds_without_an_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["creds"]) == 64
    assert "required" in capsys.readouterr().err


def test_a_secret_is_never_an_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["creds", "set", "acme-mg", CANARY]) == 64
    assert "unrecognized arguments" in capsys.readouterr().err
