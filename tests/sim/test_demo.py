"""The demo fleet in its simulated world: every failure mode on its intended host, healthy hosts
healthy, nothing leaked, and `trackdeck demo` end to end."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from checks.model import Finding, HostReport, Severity
from esp_clients.facts import facts_for
from tests.support.scan_schema import validate_strictly
from tui.cli.main import main
from tui.inventory.load import load_inventory
from tui.sim.certificates import CERT_KINDS
from tui.sim.demo import (
    DEMO_INVENTORY,
    TIMEOUT,
    DemoWorld,
    addresses_of,
    authoritative_text,
    demo_world,
    resolver_zones,
    scan_demo,
)
from tui.sim.demo_fleet import DEMO_ACCOUNTS, DEMO_FLEET, DemoHost, demo_account

FAIL, UNKNOWN, WARN, INFO = Severity.FAIL, Severity.UNKNOWN, Severity.WARN, Severity.INFO
EXPECTED: tuple[tuple[str, str, Severity, tuple[str, ...]], ...] = (
    ("links.bluebell.example", "dns.proxied", FAIL, ("Mailgun", "DNS only (grey cloud)")),
    ("click.copperleaf.example", "dns.proxied", WARN, ("DNS only (grey cloud)",)),
    ("click.copperleaf.example", "http.error", FAIL, ("Cloudflare error 1014", "grey cloud")),
    ("go.driftwood.example", "caa.blocks_issuer", FAIL, ('issue "letsencrypt.org"', "digicert")),
    ("track.evergreen.example", "dns.dangling", FAIL, ("evergreen.activehosted.com",)),
    ("links.foxglove.example", "dns.no_record", FAIL, ("NXDOMAIN", "CNAME eu.mailgun.org.")),
    ("links.globex.example", "dns.cname_mismatch", FAIL, ("CNAME v2.spgo.io.",)),
    ("links.granite.example", "dns.not_cname", FAIL, ("198.51.100.20", "CNAME mailgun.org.")),
    ("links.granite.example", "tls.unreachable", FAIL, ("port 443",)),
    ("granite.example", "dns.apex", FAIL, ("links.granite.example",)),
    ("email.harbor.example", "dns.conflict", FAIL, ("Delete A 192.0.2.20",)),
    ("links.harbor.example", "dns.not_propagated", WARN, ("CNAME eu.mailgun.org", "Wait")),
    ("click.harbor.example", "dns.lookup_failed", UNKNOWN, ("timeout",)),
    ("links.orchard.example", "dns.lame_nameserver", WARN, ("ns2.orchard.example",)),
    ("click.juniper.example", "tls.expired", FAIL, ("Re-provision",)),
    ("links.juniper.example", "tls.expiring", WARN, ("expires in 10 days", "Renew")),
    ("go.juniper.example", "tls.untrusted", FAIL, ("rogue CA",)),
    ("email.juniper.example", "tls.hostname_mismatch", FAIL, ("shared.esp-tracking.example",)),
    ("t.acme.example", "tls.hostname_mismatch", INFO, ("Mandrill does not document HTTPS",)),
    ("links.lumen.example", "blocklist.listed", FAIL, ("Spamhaus DBL", "abused redirector")),
    ("click.marigold.example", "blocklist.listed", FAIL, ("SURBL", "marigold.example")),
)
"""(host, code, severity, words in the title, detail or fix) for each failure mode of the design."""


@dataclass(frozen=True, slots=True)
class Scanned:
    """The demo world and its scan."""

    world: DemoWorld
    reports: list[HostReport]

    def report(self, entry: DemoHost) -> HostReport:
        matching = [r for r in self.reports if self.world.entry_for(r) == entry]
        assert len(matching) == 1, entry
        return matching[0]

    def by_host(self, host: str) -> HostReport:
        (entry,) = [entry for entry in self.world.fleet if entry.host == host]
        return self.report(entry)


@pytest.fixture(scope="module")
def scanned() -> Iterator[Scanned]:
    with demo_world() as world:
        yield Scanned(world, scan_demo(world))


def problems(report: HostReport) -> dict[str, Finding]:
    return {f.code: f for f in report.findings if f.severity is not Severity.OK}


@pytest.mark.parametrize(
    ("host", "code", "severity", "words"), EXPECTED, ids=[f"{h}-{c}" for h, c, _, _ in EXPECTED]
)
def test_failure_mode_shows_on_its_host(
    scanned: Scanned, host: str, code: str, severity: Severity, words: tuple[str, ...]
) -> None:
    finding = problems(scanned.by_host(host)).get(code)
    assert finding is not None, scanned.by_host(host).codes()
    assert finding.severity is severity
    text = f"{finding.title} {finding.detail} {finding.fix}"
    for word in words:
        assert word in text
    assert finding.fix


@pytest.mark.parametrize("entry", DEMO_FLEET, ids=[f"{e.host}-{e.esp}" for e in DEMO_FLEET])
def test_each_host_shows_exactly_what_it_is_there_for(scanned: Scanned, entry: DemoHost) -> None:
    assert set(problems(scanned.report(entry))) == set(entry.shows)


def test_healthy_hosts_pass_every_check(scanned: Scanned) -> None:
    healthy = [entry for entry in DEMO_FLEET if not entry.shows]
    assert len(healthy) >= 10
    for entry in healthy:
        report = scanned.report(entry)
        assert report.health is Severity.OK, (entry.host, report.codes())
        assert {"dns.ok", "caa.ok", "tls.ok", "http.ok", "blocklist.clean"} <= set(report.codes())


def test_other_hosts_are_clean_on_the_blocklists_thanks_to_the_canaries(scanned: Scanned) -> None:
    clean = scanned.by_host("links-tx.lumen.example")
    (finding,) = [f for f in clean.findings if f.code == "blocklist.clean"]
    assert finding.title == "Not listed on Spamhaus DBL, SURBL, URIBL"


def test_shared_host_is_in_the_fleet_under_two_accounts(scanned: Scanned) -> None:
    entries = [entry for entry in DEMO_FLEET if entry.host == "links.quartz.example"]
    assert {(entry.esp, entry.account) for entry in entries} == {
        ("mailgun", "quartz-mg"),
        ("sendgrid", "quartz-sg"),
    }
    healths = {entry.esp: scanned.report(entry).health for entry in entries}
    assert healths == {"mailgun": Severity.FAIL, "sendgrid": Severity.OK}


def test_reports_come_in_fleet_order(scanned: Scanned) -> None:
    order = [(report.host, report.expectation.esp) for report in scanned.reports]
    assert order == [(entry.host, entry.esp) for entry in DEMO_FLEET]


def test_many_brand_hosts_share_each_esp_address(scanned: Scanned) -> None:
    zones = resolver_zones()
    assert addresses_of(zones, "links.acme.example") == ("192.0.2.3",)
    assert addresses_of(zones, "links.bluebell.example") == ("104.16.132.229", "104.16.133.229")
    assert addresses_of(zones, "links.foxglove.example") == ()
    mailgun_hosts = [e for e in DEMO_FLEET if e.esp == "mailgun" and e.tls]
    assert len(mailgun_hosts) > 5 and scanned.world.tls_count < 12


def test_options_point_every_check_at_the_world(
    scanned: Scanned, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = scanned.world
    options = world.options()
    assert options.resolvers == options.blocklist_resolvers == (world.dns_text,)
    assert world.dns_text == f"127.0.0.1:{world.resolver.port}"
    assert options.timeout == TIMEOUT == 1.0
    assert options.ca_bundle is not None and Path(options.ca_bundle).is_file()
    monkeypatch.setenv("TRACKDECK_SECRET_SPAMHAUS_DQS", "not-a-real-key")
    ctx = world.context()
    assert (
        ctx.blocklists.dqs_key is None and ctx.blocklists.effective_dbl_zone == "dbl.spamhaus.org"
    )
    assert (
        ctx.authoritative_port == world.authoritative.port == world.environment.authoritative_port
    )


def test_fleet_data_is_consistent() -> None:
    assert len({entry.brand for entry in DEMO_FLEET}) >= 12
    assert len({entry.esp.split("-")[0] for entry in DEMO_FLEET}) >= 6
    assert len({(entry.host, entry.esp) for entry in DEMO_FLEET}) == len(DEMO_FLEET)
    for entry in DEMO_FLEET:
        account = demo_account(entry.account)
        facts = facts_for(account.esp, account.region)
        assert facts is not None and facts.name == entry.esp, entry
        assert entry.tls is None or entry.tls in CERT_KINDS
        assert entry.host.endswith(".example") and entry.story


def test_inventory_file_lists_the_same_fleet() -> None:
    inventory = load_inventory(DEMO_INVENTORY)
    entries = [(entry.brand, entry.host, entry.account) for entry in inventory.entries]
    assert entries == [(entry.brand, entry.host, entry.account) for entry in DEMO_FLEET]
    accounts = {(account.name, account.esp, account.region) for account in inventory.accounts}
    assert accounts == {(account.name, account.esp, account.region) for account in DEMO_ACCOUNTS}
    assert [shared.host for shared in inventory.shared_hosts()] == ["links.quartz.example"]


def test_authoritative_copy_swaps_the_marked_lines() -> None:
    text = "a IN CNAME old.  ; resolver-only\n;authoritative: a IN CNAME new.\nb IN A 192.0.2.1\n"
    assert authoritative_text(text) == "a IN CNAME new.\nb IN A 192.0.2.1\n"


def _port_is_free(address: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with closing(socket.socket(socket.AF_INET, kind)) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


def test_world_starts_and_stops_everything() -> None:
    before = set(threading.enumerate())
    with demo_world() as world:
        ports = [("127.0.0.1", world.resolver.port), ("127.0.0.2", world.authoritative.port)]
        bundle = world.tls.certificates.ca_bundle_path
        assert bundle.is_file() and not _port_is_free(*ports[0])
    assert set(threading.enumerate()) <= before
    assert all(_port_is_free(address, port) for address, port in ports)
    assert not bundle.exists()


def test_world_stops_even_when_the_caller_fails() -> None:
    before = set(threading.enumerate())
    with pytest.raises(RuntimeError, match="boom"), demo_world() as world:
        port = world.resolver.port
        raise RuntimeError("boom")
    assert set(threading.enumerate()) <= before
    assert _port_is_free("127.0.0.1", port)


def test_cli_demo_json_exits_2_with_every_host(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert main(["demo", "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    validate_strictly(document)  # every field the demo writes is declared in the schema
    assert document["version"] == 1
    domains = document["domains"]
    listed = [(d["host"], d["esp"]) for d in domains if d["brand"] != "(not in inventory)"]
    assert listed == [(e.host, e.esp) for e in DEMO_FLEET]
    assert {d["host"] for d in domains if d["brand"] == "(not in inventory)"} == {
        "old-links.acme.example"
    }
    dangling = next(d for d in domains if d["host"] == "track.evergreen.example")
    assert dangling["health"] == "fail"
    assert "dns.dangling" in {finding["code"] for finding in dangling["findings"]}
    assert dangling["clicks"] is None
    drops = [d for d in domains if "esp.click_rate_drop" in {f["code"] for f in d["findings"]}]
    assert [(d["host"], d["account"]) for d in drops] == [("links.lumen.example", "lumen-sg")]
    clicks = drops[0]["clicks"]
    assert clicks["recent_rate"] < clicks["baseline_rate"] / 2
    assert clicks["delivered_recent"] > 15_000 and clicks["p_value"] < 1e-10


def test_cli_demo_table_names_the_world_and_the_fixes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one finding per line, as on a wide terminal
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert main(["demo", "--table"]) == 2
    out = capsys.readouterr().out
    assert "nothing leaves this machine" in out and "TLS servers" in out
    assert "fix: Remove the CNAME at track.evergreen.example" in out
    assert "dns.lookup_failed" in out and "blocklist.listed" in out


def test_cli_demo_changes_prints_the_changes_headless(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tui.app.app import TrackdeckApp

    def no_dashboard(self: TrackdeckApp) -> None:
        raise AssertionError("demo --changes opened the dashboard")

    monkeypatch.setattr(TrackdeckApp, "run", no_dashboard)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert main(["demo", "--changes"]) == 2, "two blocklist listings are new today"
    out = capsys.readouterr().out
    assert "blocklist.listed" in out and "dns.dangling" not in out, "only what changed"
