"""The secrets audit: a canary secret for every account (keyring, environment, AWS chain) and the
Spamhaus DQS key, then every surface a secret could reach, searched for any canary: CLI output
(table and JSON), the most verbose logs, the audit log, exports, screenshots, exception messages of
every ESP error class, the dashboard's screens and dialogs, `creds status`, and reprs."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from pathlib import Path

import pytest

import tui.app.demo
import tui.sim.demo
from esp_clients import EspClient, EspSecret
from esp_clients.redaction import base64_cores
from tests.support import secret_surfaces as canaries
from tests.support.fakes import RaisingKeyring
from tests.support.secret_dashboard import error_dialog, walk_dashboard
from tests.support.secret_surfaces import PREFIX, Cli, every_esp_error, inventory_text
from tests.support.worlds import DnsWorld, tls_world
from tui.actions.journal import AuditLog
from tui.actions.writes import Actions
from tui.app import screenshots
from tui.app.session import Session
from tui.cli.main import main
from tui.fleet.network import Environment, NetworkOptions, build_context
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account

ADDRESSES = {"links-mg.brand.example": "192.0.2.2", "links-sp.brand.example": "192.0.2.4"}


def cli_surfaces(cli: Cli, tmp_path: Path) -> dict[str, str]:
    """check, scan, creds status, verify, https, import: table, JSON, verbose, refusals."""
    hosts = [host for _esp, host in canaries.HOSTS.values()]
    export = tmp_path / "imported.toml"
    leaky = tmp_path / "leaky.toml"
    leaky.write_text(canaries.leaky_inventory_text())
    broken = RaisingKeyring(RuntimeError(f"dbus: {canaries.KEYRING['sg-main']}"))
    return {
        "check -v": cli.run("check", *hosts[:3], *cli.network()[2:], "-v"),
        "check --json": cli.run("check", *hosts[:3], *cli.network()[2:], "--json"),
        "scan -v": cli.run("scan", *cli.network(), "-v"),
        "scan --json": cli.run("scan", *cli.network(), "--json"),
        "creds status": cli.run("creds", "status", "-i", str(cli.inventory)),
        "creds status (keyring broken)": cli.run(
            "creds", "status", "-i", str(cli.inventory), credential_store=canaries.store(broken)
        ),
        "verify": cli.run("verify", "links-sg.brand.example", *cli.network(), "--yes"),
        "verify (key refused)": cli.run(
            "verify", "links-eu.brand.example", *cli.network(), "--yes"
        ),
        "https enable": cli.run(
            "https", "enable", "links-mg.brand.example", *cli.network(), "--yes"
        ),
        "https enable (refused)": cli.run(
            "https", "enable", "links-eu.brand.example", *cli.network(), "--yes"
        ),
        "https disable": cli.run(
            "https", "disable", "links-ses.brand.example", *cli.network(), "--yes"
        ),
        "import": cli.run("import", "mg-main", "-i", str(cli.inventory)),
        "scan (secrets in the inventory's values)": cli.run("scan", "-i", str(leaky)),
        "import -o": cli.run("import", "rs-main", "-i", str(cli.inventory), "-o", str(export)),
    } | {"import -o (the file)": export.read_text() if export.exists() else "(not written)"}


def dashboard_surfaces(cli: Cli, tmp_path: Path) -> dict[str, str]:
    """Every screen and dialog of a dashboard over the same accounts, and the objects' reprs."""
    options = NetworkOptions(
        resolvers=(f"127.0.0.1:{cli.world.resolver.port}",),
        ca_bundle=str(cli.tls.certificates.ca_bundle_path),
        timeout=0.3,
    )
    environment = Environment(
        dialer=cli.tls.dialer,
        authoritative_port=cli.world.authoritative.port,
        dqs_key=lambda: canaries.DQS,
    )
    session = Session(
        inventory=parse_inventory(inventory_text()),
        options=options,
        environment=environment,
        store=canaries.store(),
        client_factory=cli.esps.client_factory(sleep=canaries.no_sleep),
        audit=AuditLog(tmp_path / "state" / "trackdeck" / "dashboard-audit.jsonl"),
        poll_interval=0.01,
    )
    hosts = {name: host for name, (_esp, host) in canaries.HOSTS.items()}

    def broken_factory(account: Account, secret: EspSecret) -> EspClient:
        raise RuntimeError("simulated bug in a client factory")

    broken = dataclasses.replace(session, client_factory=broken_factory)
    actions: Actions = session.actions()
    reprs = [
        session,
        session.store,
        actions,
        actions.recorder,
        options,
        build_context(options, environment),
    ]
    return {
        "dashboard": "\n".join(asyncio.run(walk_dashboard(session, hosts))),
        "error dialog": asyncio.run(error_dialog(broken)),
        "reprs": "\n".join(map(repr, reprs)),
    }


def demo_surfaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """`trackdeck demo --table -v` and `--json`, and the README screenshots, with canary keys."""
    texts = {}
    for option in ("--table", "--json"):
        status = main(["demo", option, *(["-v"] if option == "--table" else [])])
        captured = capsys.readouterr()
        texts[f"demo {option}"] = f"[{status}]\n{captured.out}{captured.err}"
    shots = tmp_path / "shots"
    assert screenshots.main([str(shots)]) == 0
    capsys.readouterr()
    texts["screenshots"] = "\n".join(path.read_text() for path in sorted(shots.glob("*.svg")))
    return texts


def test_no_canary_secret_reaches_any_surface(
    world: DnsWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TRACKDECK_SECRET_SPAMHAUS_DQS", canaries.DQS)
    monkeypatch.setattr(tui.app.demo, "demo_store", canaries.demo_store)
    monkeypatch.setattr(tui.sim.demo, "TIMEOUT", 0.1)  # the demo's timeout host answers sooner
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(inventory_text())
    surfaces: dict[str, str] = {}
    esps = canaries.simulated_esps()
    with tls_world() as tls, esps:
        now = dt.datetime.now(dt.UTC)
        for host, address in ADDRESSES.items():
            tls.add(address, kind="valid", host=host, now=now)
        cli = Cli(world, tls, esps, inventory, capsys)
        surfaces |= cli_surfaces(cli, tmp_path)
        surfaces |= dashboard_surfaces(cli, tmp_path)
        used = {name: len(esps.esp(name).calls) for name in canaries.HOSTS} | {
            "mg-bad": esps.echoed
        }
    surfaces["ESP errors"] = every_esp_error()
    surfaces["api_base with a password"] = canaries.api_base_password_errors()
    surfaces |= demo_surfaces(tmp_path, capsys)
    audits = sorted((tmp_path / "state" / "trackdeck").glob("*.jsonl"))
    surfaces["audit logs"] = "\n".join(path.read_text() for path in audits)
    surfaces["logs (DEBUG)"] = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r}" for record in caplog.records
    )
    encoded = {core for secret in canaries.all_canaries() for core in base64_cores(secret)}
    for name, text in surfaces.items():
        assert PREFIX not in text, f"a canary secret reached: {name}"
        assert not any(core in text for core in encoded), f"a base64 canary reached: {name}"
    # The audit proves something only if the secrets were really used on every path.
    assert all(used.values()), used
    assert "Invalid private key *** (you sent Basic " in surfaces["scan --json"]
    leaky = surfaces["scan (secrets in the inventory's values)"]
    assert "holds a user name or password (not repeated here)" in leaky
    assert "plain http:// would send the API key in clear" in leaky
    assert "'[redacted]' is not a sparkpost region" in leaky
    assert "<key>.dbl.dq.spamhaus.net" in surfaces["scan -v"]
    assert "https.enable" in surfaces["audit logs"] and "verify" in surfaces["audit logs"]
    assert len(audits) >= 2 and surfaces["screenshots"].count("<svg") == len(screenshots.SHOTS)
    assert "esp.auth_failed" in surfaces["dashboard"] and "Preflight" in surfaces["dashboard"]
    assert "simulated bug" in surfaces["error dialog"]
    assert "unavailable" in surfaces["creds status (keyring broken)"]
    assert "HTTP Request:" in surfaces["logs (DEBUG)"]
