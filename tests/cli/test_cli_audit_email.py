"""`trackdeck audit-email` end to end on the loopback worlds: the report, the JSON shape, the exit
statuses, standard input, and one clear line (no traceback) for every unreadable message."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.email_inputs import FAMILIES
from tests.support.data import DATA, EMAILS, REPO
from tests.support.worlds import DnsWorld, tls_world
from tui.cli.main import main
from tui.email.audit import read_input
from tui.email.parse import EmailParseError, parse_input
from tui.fleet.network import Environment
from tui.sim.dns_server import Rule
from tui.sim.tls_world import TlsWorld

ROOT = REPO
INVENTORY = str(EMAILS / "inventory.toml")
TRACKING_HOSTS = {
    "192.0.2.1": "links-sg.brand.example",
    "192.0.2.2": "links-mg.brand.example",
    "192.0.2.4": "links-sp.brand.example",
}


@dataclass(frozen=True, slots=True)
class Setup:
    """The DNS and TLS worlds, and the options that point `audit-email` at them."""

    dns: DnsWorld
    tls: TlsWorld
    environment: Environment
    args: tuple[str, ...]

    def run(self, name: str, *argv: str) -> int:
        return main(["audit-email", str(EMAILS / name), *argv, *self.args], self.environment)


@pytest.fixture
def setup(world: DnsWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    with tls_world() as tls:
        now = dt.datetime.now(dt.UTC)
        for address, host in TRACKING_HOSTS.items():
            tls.add_host(address, kind="valid", host=host, now=now)
        args = (
            "--resolver",
            f"127.0.0.1:{world.resolver.port}",
            "--ca-bundle",
            str(tls.certificates.ca_bundle_path),
            "--timeout",
            "0.5",
        )
        environment = Environment(dialer=tls.dialer, authoritative_port=world.authoritative.port)
        yield Setup(world, tls, environment, args)


def test_branded_message_says_so_in_one_screen(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.run("branded_sendgrid.eml", "-i", INVENTORY) == 0
    out = capsys.readouterr().out
    assert "From      Harbour Coffee <news@brand.example>" in out
    assert "Subject   Autumn blends are here" in out
    assert "From brand.example · DKIM d=brand.example · Return-Path em4412.brand.example" in out
    assert (
        "✓ branded — every tracked URL (5 links, the open pixel and the List-Unsubscribe URL) uses links-sg.brand.example"
        in out
    )
    assert "SendGrid · Harbour Coffee" in out and "image/CDN" in out and "✓ clean" in out
    assert "not in the URL: SendGrid's upn token is opaque" in out
    assert "Findings" not in out
    assert len(out.splitlines()) < 24


def test_mixed_tracking_exits_1_with_fixes(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.run("mixed_sendgrid.eml", "-i", INVENTORY) == 1
    out = capsys.readouterr().out
    assert (
        "! mixed — 3 links via links-sg.brand.example; 1 link and the open pixel via the shared u2017411.ct.sendgrid.net"
        in out
    )
    assert "email.mixed_tracking" in out and "email.untracked_link" in out
    assert "fix: Link branding is set up (links-sg.brand.example)" in out


def test_listed_domains_and_ip_links_exit_2(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.run("mailgun_problems.eml", "-i", INVENTORY) == 2
    out = capsys.readouterr().out
    assert "✗ LISTED" in out and "email.ip_link" in out
    assert "www.spammy.example (destination)" in out
    assert "Listed on Spamhaus DBL: low-reputation domain (spam)" in out


def test_untested_lists_exit_3_and_are_said_once(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    setup.dns.resolver.set_rules(
        [
            Rule(name=zone, rcode="REFUSED")
            for zone in ("*.spamhaus.org", "*.surbl.org", "*.uribl.com")
        ]
    )
    assert setup.run("unknown_charset.eml") == 3
    out = capsys.readouterr().out
    assert "? not tested" in out
    assert out.count("blocklist.not_tested  Spamhaus DBL not tested") == 1
    assert "read as UTF-8" in out


def test_json_shape_is_the_documented_one(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.run("shared_ses.eml", "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert list(document) == [
        "version", "generated_at", "trackdeck_version", "source", "message", "health", "tracking",
        "findings", "domains", "links",
    ]  # fmt: skip
    assert document["version"] == 1 and document["health"] == "warn"
    assert document["generated_at"].endswith("Z") and document["trackdeck_version"]
    assert list(document["message"]) == [
        "kind", "from", "from_domain", "subject", "dkim_domains", "return_path_domain",
        "organisational_domains", "parts", "notes",
    ]  # fmt: skip
    assert document["tracking"] == {
        "verdict": "shared",
        "branded": [],
        "shared": ["k3x9q2ab.r.us-east-1.awstrack.me"],
        "tracked_urls": 3,
        "links": 2,
        "untracked_links": 0,
    }
    domain = document["domains"][0]
    assert list(domain) == [
        "host", "esp", "role", "registered_domain", "brand", "account", "in_inventory", "urls",
        "behind_tracking", "sources", "aligned", "lists", "health", "findings",
    ]  # fmt: skip
    assert (domain["role"], domain["esp"], domain["lists"]) == ("shared_tracking", "ses", "clean")
    link = document["links"][0]
    assert list(link) == [
        "url", "source", "part", "element", "host", "role", "esp", "pixel", "destination", "decoding",
    ]  # fmt: skip
    assert link["destination"] == "https://www.brand.example/orders/58213?utm_source=ses"
    codes = [finding["code"] for finding in document["findings"]]
    assert codes == ["email.shared_tracking_domain", "email.unaligned"]


def test_max_domains_option_and_verbose_evidence(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.run("mailchimp_css.eml", "--max-domains", "2", "-v") == 1
    out = capsys.readouterr().out
    assert "email.many_domains  3 distinct outside domains (more than 2)" in out
    assert "· text/html href: https://brand.us1.list-manage.com/track/click?" in out


def test_a_broken_default_inventory_is_named_and_left_out(
    setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    default = tmp_path / "config" / "trackdeck" / "inventory.toml"
    default.parent.mkdir(parents=True)
    default.write_text("[accounts.x]\nesp = 'nosuchesp'\n")
    assert setup.run("sparkpost_flowed.eml", "--no-blocklists") == 0
    captured = capsys.readouterr()
    assert "not using the inventory" in captured.err and "nosuchesp" in captured.err
    assert "SparkPost · not in inventory" in captured.out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["emails/empty.eml"], "emails/empty.eml: the file is empty"),
        (["emails/not_an_email.txt"], "not an email message"),
        (["emails/malformed_no_boundary.eml"], "malformed MIME"),
        (["emails/truncated_multipart.eml"], "the file is truncated"),
        (["emails/truncated_base64.eml"], "base64 body of the text/html part is cut off"),
        (["emails/truncated_headers.eml"], "ends inside the headers"),
        (["emails/outlook.msg"], "Outlook .msg file"),
        (["emails/nosuchfile.eml"], "emails/nosuchfile.eml: no such file"),
        (["emails"], "is a directory"),
        (["emails/shared_ses.eml", "--max-domains", "0"], "--max-domains must be at least 1"),
        (["emails/shared_ses.eml", "-i", "emails/nosuch.toml"], "no inventory at"),
        (["emails/shared_ses.eml", "--resolver", "not-an-ip"], "not an IP address"),
        ([], "the following arguments are required: FILE"),
    ],
)
def test_unreadable_messages_and_usage_errors_exit_64_with_one_clear_line(
    argv: list[str],
    words: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(DATA)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["audit-email", *argv]) == 64
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_standard_input_is_read_with_a_dash(tmp_path: Path) -> None:
    environment = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "tui", "audit-email", "-", "--json", "--no-blocklists",
         "--resolver", "127.0.0.1:9"],
        input=(EMAILS / "unknown_charset.eml").read_bytes(),
        capture_output=True, cwd=ROOT, env=environment, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "standard input"
    assert document["domains"][0]["lists"] == "not_checked"


def test_a_dash_reads_the_given_stream() -> None:
    data = (EMAILS / "truncated_multipart.eml").read_bytes()
    assert read_input("-", io.BytesIO(data)) == data
    with pytest.raises(EmailParseError, match="truncated"):
        parse_input(read_input("-", io.BytesIO(data)))
    with pytest.raises(EmailParseError, match="no standard input"):
        read_input("-")


def test_deeply_nested_mime_exits_64_like_other_unreadable_messages(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "nested.eml"
    path.write_bytes(FAMILIES["nested multiparts"](60_000))
    assert main(["audit-email", str(path), "--no-blocklists"]) == 64
    err = capsys.readouterr().err
    assert "nested hundreds of levels deep" in err
    assert "Traceback" not in err
