"""`trackdeck check` end to end: the loopback DNS world, local TLS, the JSON shape and exit statuses."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.scan_schema import validate_strictly
from tests.support.worlds import DnsWorld, tls_world, world_zones
from tui.cli.main import COMMANDS, build_parser, main
from tui.fleet.network import Environment
from tui.sim.dns_server import DnsServer, Rule
from tui.sim.tls_world import TlsWorld

HEALTHY = "links-mg.brand.example"


@dataclass(frozen=True, slots=True)
class Setup:
    """The DNS world, the TLS world, and the arguments that point `check` at them."""

    dns: DnsWorld
    tls: TlsWorld
    environment: Environment
    args: tuple[str, ...]

    def run(self, *argv: str) -> int:
        return main(["check", *argv, *self.args], self.environment)


@pytest.fixture
def setup(world: DnsWorld) -> Iterator[Setup]:
    with tls_world() as tls:
        now = dt.datetime.now(dt.UTC)
        tls.add("192.0.2.2", kind="valid", host=HEALTHY, now=now)
        resolver = f"127.0.0.1:{world.resolver.port}"
        args = (
            "--resolver",
            resolver,
            "--ca-bundle",
            str(tls.certificates.ca_bundle_path),
            "--timeout",
            "0.5",
        )
        environment = Environment(dialer=tls.dialer, authoritative_port=world.authoritative.port)
        yield Setup(world, tls, environment, args)


def test_healthy_host_exits_0_and_says_so(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.run(HEALTHY) == 0
    out = capsys.readouterr().out
    assert HEALTHY in out and "✓ ok" in out and "Mailgun" in out


def test_json_shape_is_exactly_the_documented_one(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.run(HEALTHY, "--json") == 0
    document = json.loads(capsys.readouterr().out)
    validate_strictly(document)
    assert list(document) == [
        "version",
        "generated_at",
        "trackdeck_version",
        "command",
        "scan",
        "history",
        "domains",
        "resolved",
    ]
    assert document["history"] is None and document["resolved"] == [], "check keeps no history"
    assert document["version"] == 1 and document["command"] == "check"
    assert document["scan"]["hosts"] == 1 and document["scan"]["health"]["ok"] == 1
    assert document["generated_at"].endswith("Z")
    (domain,) = document["domains"]
    assert list(domain) == ["host", "esp", "health", "findings"]
    assert domain["host"] == HEALTHY and domain["esp"] == "mailgun" and domain["health"] == "ok"
    codes = {finding["code"] for finding in domain["findings"]}
    assert {"dns.ok", "caa.ok", "tls.ok", "http.ok", "blocklist.clean"} <= codes
    for finding in domain["findings"]:
        assert list(finding) == [
            "code",
            "severity",
            "title",
            "detail",
            "fix",
            "evidence",
            "since",
            "change",
        ]
        assert finding["since"] is None and finding["change"] is None
        assert isinstance(finding["evidence"], list)


def test_json_of_failing_and_internationalised_hosts_declares_every_field(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    idn = "links.xn--strae-oqa.brand.example"  # links.straße.brand.example, not in the world
    hosts = (HEALTHY, "dangling.brand.example", "wrong.brand.example", idn)
    assert setup.run(*hosts, "--esp", "mailgun", "--json") == 2
    document = json.loads(capsys.readouterr().out)
    validate_strictly(document)
    by_host = {domain["host"]: domain for domain in document["domains"]}
    assert by_host[idn]["host_unicode"] == "links.straße.brand.example"
    assert "host_unicode" not in by_host[HEALTHY]
    assert {by_host[host]["health"] for host in hosts[1:]} == {"fail"}


def test_failure_exits_2_with_the_fix(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.run("dangling.brand.example", "--esp", "mailgun") == 2
    out = capsys.readouterr().out
    assert "dns.dangling" in out and "fix: Remove the CNAME at dangling.brand.example" in out


def test_warning_exits_1(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    setup.tls.add("192.0.2.2", kind="expiring", host=HEALTHY, now=now)
    assert setup.run(HEALTHY, "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert "tls.expiring" in {f["code"] for f in document["domains"][0]["findings"]}


def test_unknown_only_exits_3(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    setup.dns.resolver.set_rules([Rule(name=HEALTHY, rcode="SERVFAIL")])
    assert setup.run(HEALTHY, "--no-blocklists") == 3
    assert "dns.lookup_failed" in capsys.readouterr().out


def test_esp_is_guessed_from_the_chain(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    setup.run("links-sp.brand.example", "links-ses.brand.example", "--json", "--no-blocklists")
    domains = json.loads(capsys.readouterr().out)["domains"]
    assert [domain["esp"] for domain in domains] == ["sparkpost", "ses"]


def test_hosts_come_from_urls_a_file_and_standard_input(
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(
        "# tracking hosts of the shop\n"
        "wrong.brand.example   # the old one\n"
        "\n"
        f"https://{HEALTHY}/ls/click?upn=abc#x\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{HEALTHY.upper()}.\ndangling.brand.example\n"))
    pasted = f"http://user@{HEALTHY}:8080/wf/click?upn=1"
    assert setup.run(pasted, "-", "--file", str(hosts), "--json", "--no-blocklists") == 2
    hosts_seen = [domain["host"] for domain in json.loads(capsys.readouterr().out)["domains"]]
    assert hosts_seen == [HEALTHY, "dangling.brand.example", "wrong.brand.example"]


def test_a_bad_line_in_a_hosts_file_is_named(
    setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(f"{HEALTHY}\nnot a host\n", encoding="utf-8")
    assert setup.run("--file", str(hosts)) == 64
    assert f"{hosts}:2: 'not a host' is not a valid host name" in capsys.readouterr().err


def test_verbose_shows_evidence(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    setup.run("wrong.brand.example", "--esp", "mailgun", "-v", "--no-blocklists")
    assert "wrong.brand.example A" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "links..brand.example"], "not a valid host name"),
        (["check", "https://links..brand.example/x"], "not a valid host name"),
        (["check", "--file", "/nonexistent/hosts.txt"], "cannot read /nonexistent/hosts.txt"),
        (["check", "x.example", "--json", "--format", "csv"], "two formats"),
        (["check", "x.example", "--resolver", "not-an-ip"], "not an IP address"),
        (["check", "x.example", "--resolver", "127.0.0.1:99999"], "invalid port"),
        (["check", "x.example", "--ca-bundle", "/nonexistent/ca.pem"], "cannot read that file"),
        (["check", "x.example", "--timeout", "0"], "--timeout must be"),
        (["check", "x.example", "--esp", "nosuchesp"], "invalid choice"),
        (["check"], "give at least one HOST, --file FILE, or -"),
        ([], "Ways to start"),
    ],
)
def test_usage_errors_exit_64_with_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(argv) == 64
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_the_bare_command_loads_no_other_command_and_names_typos() -> None:
    """`trackdeck` alone opens the dashboard without importing the other commands (some load the
    whole engine); every subcommand is still known, and a misspelt one is named by argparse."""
    choices = next(
        action.choices
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert set(COMMANDS) == set(choices or ())
    code = (
        "import sys, tui.cli.main\n"
        "tui.cli.main.root_parser().parse_args(['-i', 'x.toml'])\n"
        "assert not tui.cli.main._names_a_command(['-i', 'check', '--read-only'])\n"
        "assert tui.cli.main._names_a_command(['chekc']) and tui.cli.main._names_a_command(['-h'])\n"
        "heavy = ('checks.engine', 'dns.message', 'keyring', 'httpx', 'tui.email.parse')\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_dead_resolver_is_said_once_with_its_fix(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts = [f"h{index}.brand.example" for index in range(6)]
    with DnsServer(world_zones(), rules=[Rule(drop=True)]) as silent:
        args = ("--resolver", f"127.0.0.1:{silent.port}", *setup.args[2:])  # the dead one alone
        assert main(["check", *hosts, *args], setup.environment) == 3
        table = capsys.readouterr().out
        assert main(["check", *hosts, *args, "--json"], setup.environment) == 3
    assert table.count("unknown dns.resolver_down ") == 1  # said once
    # its fix: above the table (whatever row carries it), and on its row
    assert table.count("fix: Use a resolver that answers: --resolver IP[:PORT]") == 2
    assert table.index("is not answering") < table.index("h0.brand.example")
    assert table.count("fix: Give a resolver that answers (the fix of dns.resolver_down") == 6
    document = json.loads(capsys.readouterr().out)
    said = [
        finding
        for domain in document["domains"]
        for finding in domain["findings"]
        if finding["code"] == "dns.resolver_down"
    ]
    assert len(said) == 1 and said[0]["severity"] == "unknown"
    assert {domain["health"] for domain in document["domains"]} == {"unknown"}
