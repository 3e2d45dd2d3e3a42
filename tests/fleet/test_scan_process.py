"""The dashboard's fleet scan in a child process: the same rows as in process, a child that dies
turns every row it did not report into `unknown` (never clean), cancel stops it, the child never
opens the keyring, and only what pickles goes to a child."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from checks.model import Severity
from esp_clients import EspSecret
from tests.fleet.test_fleet import INVENTORY
from tests.support.fakes import (
    FakeClient,
    FakeEsp,
    FakeFactory,
    MemoryKeyring,
    domain,
    fake_factory,
    store_with,
)
from tests.support.worlds import DnsWorld, _refuse
from tui.actions.journal import AuditLog
from tui.app.session import Session
from tui.fleet.child import PACKAGE_ROOT, FleetInChild, can_isolate
from tui.fleet.network import REAL_NETWORK, Environment, NetworkOptions
from tui.fleet.rows import FleetRow
from tui.fleet.scan import FleetScan
from tui.inventory.credentials import CredentialStore, ResolvedSecrets
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account
from tui.sim.dns_server import Rule

CANARY = "key-CANARY-scan-process-secret"

MANY_HOSTS = "\n".join(
    ["[accounts.acme-mg]", 'esp = "mailgun"', "", "[[brands]]", 'name = "Acme"', "tracking = ["]
    + [f'  {{ host = "h{n:02d}.brand.example", account = "acme-mg" }},' for n in range(24)]
    + ["]"]
)


def _no_key() -> str | None:
    return None


def _session(
    world: DnsWorld, tmp_path: Path, inventory: str = INVENTORY, concurrency: int = 32
) -> Session:
    esp = FakeEsp(
        domains=[
            domain("links-mg.brand.example", "acme-mg"),
            domain("extra.brand.example", "acme-mg"),
        ]
    )
    return Session(
        inventory=parse_inventory(inventory),
        options=NetworkOptions(
            resolvers=(f"127.0.0.1:{world.resolver.port}",),
            timeout=0.5,
            blocklists=False,
            concurrency=concurrency,
        ),
        environment=Environment(
            dialer=_refuse, authoritative_port=world.authoritative.port, dqs_key=_no_key
        ),
        store=store_with({"acme-mg": CANARY}),
        client_factory=FakeFactory({"acme-mg": esp}),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        scan_in_child=True,
    )


def _in_child(session: Session) -> FleetInChild:
    return FleetInChild(
        session.inventory,
        options=session.options,
        environment=session.environment,
        store=session.store,
        client_factory=session.client_factory,
    )


def _codes(rows: Iterable[FleetRow]) -> dict[str, tuple[str, ...]]:
    return {row.key: tuple(sorted(f.code for f in row.findings)) for row in rows}


def test_a_child_scan_gives_the_rows_an_in_process_scan_gives(
    world: DnsWorld, tmp_path: Path
) -> None:
    session = _session(world, tmp_path)
    local = session.fleet_scan()
    assert isinstance(local, FleetScan)  # six rows: too few for a child
    here = _codes(local.run())
    there = _codes(_in_child(session).run())
    assert there == here
    assert "esp.untracked" in there["acme-mg/extra.brand.example"]  # the ESP list was read
    assert "esp.ok" in there["acme-mg/links-mg.brand.example"]  # with the parent's secret
    assert "dns.not_propagated" in there["acme-mg/stale.brand.example"]  # authoritative port
    assert "dns.ok" in there["acme-pm/links-sg.brand.example"]  # the inventory's expect_target


def test_large_scans_go_to_a_child_small_ones_and_fakes_stay_in_process(
    world: DnsWorld, tmp_path: Path
) -> None:
    session = _session(world, tmp_path, MANY_HOSTS)
    assert isinstance(session.fleet_scan(), FleetInChild)
    assert isinstance(session.fleet_scan(["acme-mg/h01.brand.example"]), FleetScan)
    in_memory = Session(
        inventory=session.inventory,
        options=session.options,
        environment=session.environment,
        client_factory=fake_factory({"acme-mg": FakeEsp()}),
        scan_in_child=True,
    )
    assert isinstance(in_memory.fleet_scan(), FleetScan)
    assert can_isolate(REAL_NETWORK, None)
    assert not can_isolate(Environment(dialer=lambda a, p, t: _refuse(a, p, t)), None)  # noqa: PLW0108 - a lambda does not pickle


def test_a_child_killed_mid_scan_leaves_its_rows_unknown(world: DnsWorld, tmp_path: Path) -> None:
    world.resolver.set_rules([Rule(name="h*.brand.example", delay=0.2)])
    scan = _in_child(_session(world, tmp_path, MANY_HOSTS, concurrency=1))
    stream = scan.run()
    next(stream)  # the child is running and one host is done; the others take 0.2 s each
    assert scan.pid is not None
    os.kill(scan.pid, signal.SIGKILL)
    rest = list(stream)
    crashed = [row for row in rest if row.findings[0].code == "check.crashed"]
    assert crashed, "the rows the child never reported must not vanish"
    for row in crashed:
        assert row.health is Severity.UNKNOWN
        assert "killed by signal 9" in row.findings[0].detail


def test_cancel_stops_the_child_and_reports_nothing_more(world: DnsWorld, tmp_path: Path) -> None:
    world.resolver.set_rules([Rule(name="h*.brand.example", delay=0.3)])
    scan = _in_child(_session(world, tmp_path, MANY_HOSTS))
    stream = scan.run()
    next(stream)
    scan.cancel()
    assert list(stream) == []
    assert scan.cancelled


def test_the_child_gets_looked_up_secrets_never_the_keyring(
    world: DnsWorld, tmp_path: Path
) -> None:
    ring = MemoryKeyring({"acme-mg": CANARY})
    session = _session(world, tmp_path)
    store = CredentialStore(environ={}, keyring_backend=ring)
    scan = FleetInChild(
        session.inventory,
        options=session.options,
        environment=session.environment,
        store=store,
        client_factory=session.client_factory,
    )
    job = scan.job()
    assert isinstance(job.secrets, ResolvedSecrets)
    assert b"MemoryKeyring" not in pickle.dumps(job)
    assert CANARY not in repr(job.secrets)  # its repr names accounts only
    assert job.secrets.status(job.inventory.account("acme-mg")).source == "keyring"


def test_every_row_comes_back_once(world: DnsWorld, tmp_path: Path) -> None:
    rows = list(_in_child(_session(world, tmp_path, MANY_HOSTS)).run())
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)) == 24 + 2  # and the two hosts only the ESP lists
    assert all(not row.pending for row in rows)
    assert sum(row.untracked for row in rows) == 2


class LeakyFactory:
    """A client factory that dies in the child after printing the secret it was given."""

    def __call__(self, account: Account, secret: EspSecret) -> FakeClient:
        sys.stderr.write(f"Traceback (most recent call last): boom with {secret}\n")
        sys.stderr.flush()
        os._exit(3)


def test_what_a_dying_child_said_is_shown_without_secrets(world: DnsWorld, tmp_path: Path) -> None:
    session = replace(_session(world, tmp_path, MANY_HOSTS), client_factory=LeakyFactory())
    rows = list(_in_child(session).run())
    crashed = [row for row in rows if row.findings and row.findings[0].code == "check.crashed"]
    assert crashed
    detail = crashed[0].findings[0].detail
    assert "exited with status 3" in detail and "boom with [redacted]" in detail
    assert not any(CANARY in str(row) for row in rows)


HOSTILE = """import pathlib
pathlib.Path({marker!r}).write_text("imported")
raise SystemExit(9)
"""


def test_the_child_runs_in_a_fixed_folder_with_the_users_paths_made_absolute(
    world: DnsWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _session(world, tmp_path, MANY_HOSTS)
    monkeypatch.chdir(tmp_path)  # where the operator started trackdeck, with a relative CA bundle
    child = FleetInChild(
        session.inventory,
        options=replace(session.options, ca_bundle="corp-ca.pem"),
        environment=session.environment,
        store=session.store,
        client_factory=session.client_factory,
    )
    assert child.job().options.ca_bundle == str(tmp_path / "corp-ca.pem")
    started: dict[str, object] = {}

    def popen(*args: object, **kwargs: object) -> None:
        started.update(kwargs)
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", popen)
    with pytest.raises(OSError, match="not started"):
        child._start()  # how the child is started is what is tested
    assert started["cwd"] == PACKAGE_ROOT != str(tmp_path)


def test_a_tui_folder_where_the_dashboard_starts_is_never_imported_by_the_child(
    world: DnsWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child reads the pickled secrets: only trackdeck's own code may run in it."""
    started_in = tmp_path / "cwd"
    marker = tmp_path / "hostile-code-ran"
    for package in ("tui", "checks", "esp_clients", "tests"):
        (started_in / package).mkdir(parents=True)
        (started_in / package / "__init__.py").write_text(HOSTILE.format(marker=str(marker)))
    session = _session(world, tmp_path, MANY_HOSTS)
    monkeypatch.chdir(started_in)  # where an operator started the dashboard
    monkeypatch.setenv("PYTHONPATH", str(started_in))  # -I ignores it too
    rows = list(_in_child(session).run())
    assert not marker.exists()
    assert not any(row.findings[0].code == "check.crashed" for row in rows)
    assert len(rows) == 24 + 2
