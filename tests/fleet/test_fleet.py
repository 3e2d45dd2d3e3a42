"""The fleet scan: ESP views merged with outside checks, one row per (account, host)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from checks.context import CheckContext
from checks.model import Severity
from esp_clients import (
    CertificateState,
    EspAuthError,
    EspRateLimited,
    EspSecret,
    EspUnavailable,
    TrackingDomain,
)
from tests.support.fakes import FakeClient, FakeEsp, domain, fake_factory, store_with
from tests.support.prism import prism_server, spec_file
from tests.support.worlds import DnsWorld
from tui.cli.commands import scan
from tui.cli.main import build_parser
from tui.fleet.network import Environment
from tui.fleet.rows import FleetRow
from tui.fleet.scan import FleetScan
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account

INVENTORY = """
[accounts.acme-mg]
esp = "mailgun"

[accounts.acme-pm]
esp = "postmark"

[[brands]]
name = "Acme"
tracking = [
  { host = "links-mg.brand.example", account = "acme-mg" },
  { host = "stale.brand.example", account = "acme-mg" },
  { host = "links-sg.brand.example", account = "acme-pm", expect_target = "sendgrid.net" },
]

[[brands]]
name = "Globex"
tracking = [
  { host = "conflict.brand.example", account = "acme-mg" },
  { host = "conflict.brand.example", account = "acme-pm", expect_target = "mailgun.org" },
]
"""


def run_fleet(
    ctx: CheckContext, esp: FakeEsp, secrets: dict[str, str] | None = None
) -> dict[str, FleetRow]:
    inventory = parse_inventory(INVENTORY)
    store = store_with({"acme-mg": "key-canary"} if secrets is None else secrets)
    fleet = FleetScan(inventory, ctx, store, client_factory=fake_factory({"acme-mg": esp}))
    return {row.key: row for row in fleet.run()}


def codes(row: FleetRow) -> set[str]:
    return {finding.code for finding in row.findings}


def test_rows_are_known_before_any_io(ctx: CheckContext) -> None:
    inventory = parse_inventory(INVENTORY)
    esp = FakeEsp()
    fleet = FleetScan(inventory, ctx, store_with({}), client_factory=fake_factory({"acme-mg": esp}))
    rows = fleet.rows()
    assert [row.key for row in rows][:2] == [
        "acme-mg/links-mg.brand.example",
        "acme-mg/stale.brand.example",
    ]
    assert all(row.pending and row.health is None for row in rows)
    assert esp.calls == []


def test_healthy_esp_view_is_ok(ctx: CheckContext) -> None:
    esp = FakeEsp(domains=[domain("links-mg.brand.example", "acme-mg")])
    row = run_fleet(ctx, esp)["acme-mg/links-mg.brand.example"]
    assert "esp.ok" in codes(row)
    assert esp.calls.count("list") == 1


def test_esp_states_become_findings(ctx: CheckContext) -> None:
    esp = FakeEsp(
        domains=[
            domain(
                "links-mg.brand.example", "acme-mg", verified=False, problems=("CNAME not found",)
            ),
            domain(
                "stale.brand.example",
                "acme-mg",
                https=False,
                certificate=CertificateState(status="failed", detail="acme:unauthorized"),
            ),
        ]
    )
    rows = run_fleet(ctx, esp)
    unverified = next(
        f for f in rows["acme-mg/links-mg.brand.example"].findings if f.code == "esp.not_verified"
    )
    assert unverified.severity is Severity.FAIL and "CNAME not found" in unverified.detail
    assert "trackdeck verify links-mg.brand.example" in unverified.fix
    stale = rows["acme-mg/stale.brand.example"]
    assert {"esp.https_off", "esp.cert_problem"} <= codes(stale)
    https_off = next(f for f in stale.findings if f.code == "esp.https_off")
    assert "trackdeck https enable stale.brand.example" in https_off.fix


def test_host_missing_at_the_esp(ctx: CheckContext) -> None:
    rows = run_fleet(ctx, FakeEsp(domains=[]))
    finding = next(
        f for f in rows["acme-mg/links-mg.brand.example"].findings if f.code == "esp.not_found"
    )
    assert finding.severity is Severity.FAIL and "acme-mg" in finding.title


def test_untracked_domains_get_their_own_checked_row(ctx: CheckContext) -> None:
    esp = FakeEsp(
        domains=[domain("links-eu.brand.example", "acme-mg", expected_target="eu.mailgun.org")]
    )
    row = run_fleet(ctx, esp)["acme-mg/links-eu.brand.example"]
    assert row.untracked and row.brand == "(not in inventory)"
    assert "esp.untracked" in codes(row) and "dns.ok" in codes(row)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            EspAuthError("401 Invalid private key", esp="Mailgun", account="acme-mg", status=401),
            "esp.auth_failed",
        ),
        (
            EspUnavailable("503 after 3 retries", esp="Mailgun", account="acme-mg", status=503),
            "esp.unreachable",
        ),
        (
            EspRateLimited("429", esp="Mailgun", account="acme-mg", status=429, retry_after=30.0),
            "esp.rate_limited",
        ),
    ],
)
def test_esp_errors_are_unknown_never_clean(ctx: CheckContext, error: Exception, code: str) -> None:
    rows = run_fleet(ctx, FakeEsp(list_error=error))  # type: ignore[arg-type]  # parametrised as Exception
    row = rows["acme-mg/links-mg.brand.example"]
    finding = next(f for f in row.findings if f.code == code)
    assert finding.severity is Severity.UNKNOWN
    assert "acme-mg" in finding.detail
    assert row.health in (Severity.FAIL, Severity.UNKNOWN)


def test_missing_credentials(ctx: CheckContext) -> None:
    esp = FakeEsp()
    row = run_fleet(ctx, esp, secrets={})["acme-mg/links-mg.brand.example"]
    finding = next(f for f in row.findings if f.code == "esp.no_credentials")
    assert "trackdeck creds set acme-mg" in finding.fix
    assert "TRACKDECK_SECRET_ACME_MG" in finding.fix
    assert esp.calls == []


def test_dns_only_accounts_and_their_expect_target(ctx: CheckContext) -> None:
    row = run_fleet(ctx, FakeEsp())["acme-pm/links-sg.brand.example"]
    assert "esp.no_api" in codes(row)
    assert "dns.ok" in codes(row)
    assert row.report is not None and row.report.expectation.targets == ("sendgrid.net",)


def test_shared_host_under_two_accounts(ctx: CheckContext) -> None:
    rows = run_fleet(ctx, FakeEsp(domains=[domain("conflict.brand.example", "acme-mg")]))
    for key in ("acme-mg/conflict.brand.example", "acme-pm/conflict.brand.example"):
        finding = next(f for f in rows[key].findings if f.code == "inventory.shared_host")
        assert finding.severity is Severity.FAIL and "acme-mg, acme-pm" in finding.detail


def test_the_esp_expected_target_is_the_expectation(ctx: CheckContext) -> None:
    esp = FakeEsp(
        domains=[domain("links-mg.brand.example", "acme-mg", expected_target="eu.mailgun.org")]
    )
    row = run_fleet(ctx, esp)["acme-mg/links-mg.brand.example"]
    mismatch = next(f for f in row.findings if f.code == "dns.cname_mismatch")
    assert "API expects" in mismatch.detail


SENDGRID_INVENTORY = """
[accounts.sg]
esp = "sendgrid"
api_base = "{base}"

[[brands]]
name = "Example"
tracking = [ {{ host = "mail.example.com", account = "sg" }} ]
"""


def test_a_slow_esp_list_holds_back_only_its_own_hosts(ctx: CheckContext) -> None:
    """The outside checks start at once: the DNS-only account's rows arrive while the API
    account's list is still being read, and that account's rows still get their ESP findings."""
    gate = threading.Event()
    esp = FakeEsp(domains=[domain("links-mg.brand.example", "acme-mg")])

    class SlowClient(FakeClient):
        def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
            assert gate.wait(10), "the scan never got to the other account's rows"
            return super().list_tracking_domains()

    def factory(account: Account, secret: EspSecret) -> FakeClient:
        return SlowClient(account.ref(), esp)

    fleet = FleetScan(
        parse_inventory(INVENTORY), ctx, store_with({"acme-mg": "key"}), client_factory=factory
    )
    arrived: list[FleetRow] = []
    for row in fleet.run():
        arrived.append(row)
        if all(r.account == "acme-pm" for r in arrived) and len(arrived) == 2:
            gate.set()  # both DNS-only rows came first: now let the ESP answer
    assert [row.account for row in arrived[:2]] == ["acme-pm", "acme-pm"]
    rows = {row.key: row for row in arrived}
    assert "esp.ok" in codes(rows["acme-mg/links-mg.brand.example"])
    assert "esp.not_found" in codes(rows["acme-mg/stale.brand.example"])


def test_scan_end_to_end_against_the_vendor_spec(
    world: DnsWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`trackdeck scan --json` with SendGrid served by Prism from SendGrid's own OpenAPI file."""
    with prism_server(spec_file("sendgrid-link-branding.openapi.yaml")) as base:
        path = tmp_path / "inventory.toml"
        path.write_text(SENDGRID_INVENTORY.format(base=base))
        args = build_parser().parse_args(
            ["scan", "-i", str(path), "--json", "--no-blocklists", "--timeout", "0.5",
             "--resolver", f"127.0.0.1:{world.resolver.port}"]
        )  # fmt: skip
        args.environment = Environment(authoritative_port=world.authoritative.port)
        args.credential_store = store_with({"sg": "SG.canary-not-a-real-key.canary-not-a-real-key"})
        status = scan.run(args)
    output = capsys.readouterr().out
    assert "canary-not-a-real-key" not in output
    hosts = {domain["host"]: domain for domain in json.loads(output)["domains"]}
    tracked = hosts["mail.example.com"]
    assert (tracked["brand"], tracked["account"], tracked["esp"]) == ("Example", "sg", "sendgrid")
    assert {"dns.ok", "esp.ok"} <= {f["code"] for f in tracked["findings"]}
    untracked = {f["code"] for f in hosts["news.example2.com"]["findings"]}
    assert {"esp.untracked", "esp.not_verified"} <= untracked
    assert status == 2
