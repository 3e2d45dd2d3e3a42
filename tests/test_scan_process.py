"""The dashboard's fleet scan in a child process: the same rows as in process, a child that dies
turns every host it did not report into `unknown` (never clean), cancel stops it, and only what
pickles (no ESP secret) crosses the pipe."""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Iterator, Mapping

import pytest

from checks.engine import Target
from checks.model import Severity
from tests.fakes import FakeEsp, domain, fake_factory, store_with
from tests.test_fleet import INVENTORY
from tests.worlds import DnsWorld, _refuse
from tui.fleet import FleetRow, FleetScan
from tui.fleet_guess import FleetGuess
from tui.inventory import Account, parse_inventory
from tui.netconfig import REAL_NETWORK, Environment, NetworkOptions, build_context
from tui.scan_process import ProcessScan, ProcessScanner, ScanJob, can_isolate
from tui.sim.dns_server import Rule

CANARY = "key-CANARY-scan-process-secret"


def _no_key() -> str | None:
    return None


def _setup(world: DnsWorld) -> tuple[NetworkOptions, Environment]:
    options = NetworkOptions(
        resolvers=(f"127.0.0.1:{world.resolver.port}",), timeout=0.5, blocklists=False
    )
    environment = Environment(
        dialer=_refuse, authoritative_port=world.authoritative.port, dqs_key=_no_key
    )
    return options, environment


def _fleet(world: DnsWorld, *, in_child: bool) -> FleetScan:
    options, environment = _setup(world)
    esp = FakeEsp(
        domains=[
            domain("links-mg.brand.example", "acme-mg"),
            domain("extra.brand.example", "acme-mg"),
        ]
    )
    return FleetScan(
        parse_inventory(INVENTORY),
        build_context(options, environment),
        store_with({"acme-mg": CANARY}),
        client_factory=fake_factory({"acme-mg": esp}),
        scanner=ProcessScanner(options, environment, min_targets=1) if in_child else None,
    )


def _codes(rows: Iterator[FleetRow]) -> dict[str, tuple[str, ...]]:
    return {row.key: tuple(sorted(f.code for f in row.findings)) for row in rows}


def test_a_child_scan_gives_the_rows_an_in_process_scan_gives(world: DnsWorld) -> None:
    here = _codes(_fleet(world, in_child=False).run())
    there = _codes(_fleet(world, in_child=True).run())
    assert there == here
    assert "acme-mg/extra.brand.example" in there  # untracked hosts cross too
    assert "esp.untracked" in there["acme-mg/extra.brand.example"]
    assert "dns.not_propagated" in there["acme-mg/stale.brand.example"]  # authoritative port
    assert "dns.ok" in there["acme-pm/links-sg.brand.example"]  # expect_target crossed
    assert "inventory.shared_host" in there["acme-pm/conflict.brand.example"]


def _guess() -> FleetGuess:
    return FleetGuess({"acme-mg": Account(name="acme-mg", esp="mailgun")}, {})


def _job(world: DnsWorld, count: int) -> ScanJob:
    options, environment = _setup(world)
    targets = tuple(
        Target(host=host, key=f"acme-mg/{host}/{index}")
        for index, host in enumerate(["links-mg.brand.example", "stale.brand.example"] * count)
    )
    return ScanJob(
        targets=targets, options=options, environment=environment, concurrency=1,
        guess=_guess(),
    )  # fmt: skip


def test_a_child_killed_mid_scan_leaves_its_hosts_unknown(world: DnsWorld) -> None:
    world.resolver.set_rules([Rule(name="*.brand.example", delay=0.2)])
    scan = ProcessScan(_job(world, 5))
    stream = scan.run()
    first = next(stream)
    assert first.findings
    assert scan.pid is not None
    os.kill(scan.pid, signal.SIGKILL)
    rest = list(stream)
    assert len(rest) == 9
    crashed = [r for r in rest if r.findings[0].code == "check.crashed"]
    assert crashed, "the hosts the child never reported must not vanish"
    for report in crashed:
        assert report.findings[0].severity is Severity.UNKNOWN
        assert "killed by signal 9" in report.findings[0].detail


def test_cancel_stops_the_child_and_reports_nothing_more(world: DnsWorld) -> None:
    world.resolver.set_rules([Rule(name="*.brand.example", delay=0.2)])
    scan = ProcessScan(_job(world, 20))
    stream = scan.run()
    next(stream)
    scan.cancel()
    assert list(stream) == []
    assert scan.cancelled


def test_only_pickling_environments_go_to_a_child_and_no_esp_secret_crosses(
    world: DnsWorld,
) -> None:
    assert can_isolate(REAL_NETWORK)
    unpicklable = Environment(dialer=lambda address, port, timeout: _refuse(address, port, timeout))  # noqa: PLW0108 - a lambda does not pickle
    assert not can_isolate(unpicklable)
    fleet = _fleet(world, in_child=True)
    sent: list[bytes] = []
    run, provide = ProcessScan.run, ProcessScan.provide

    def spy_run(self: ProcessScan) -> Iterator[object]:
        sent.append(pickle.dumps(self.job))
        return run(self)

    def spy_provide(self: ProcessScan, account: str, domains: Mapping[str, object]) -> None:
        sent.append(pickle.dumps((account, dict(domains))))
        provide(self, account, domains)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ProcessScan, "run", spy_run)
        patch.setattr(ProcessScan, "provide", spy_provide)
        rows = list(fleet.run())
    assert rows and len(sent) >= 3  # the job, the views, the untracked host's job
    assert not any(CANARY.encode() in message for message in sent)


def test_small_scans_stay_in_process(world: DnsWorld) -> None:
    options, environment = _setup(world)
    scanner = ProcessScanner(options, environment)
    one = (Target(host="links-mg.brand.example"),)
    assert scanner(one, 4, _guess()) is None
