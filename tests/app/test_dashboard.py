"""The dashboard driven with Pilot: every key and action against the loopback worlds and fake ESPs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from checks.model import Severity
from esp_clients import CertificateState, EspSecret, TrackingDomain
from tests.support.fakes import FakeClient, FakeEsp, domain, fake_factory, store_with
from tests.support.worlds import DnsWorld, tls_world, world_zones
from tui.actions.journal import AuditEntry, AuditLog
from tui.app.app import TrackdeckApp
from tui.app.screens.detail import DetailScreen
from tui.app.screens.error import ErrorDialog
from tui.app.screens.fleet import FleetScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.writes import ActionScreen
from tui.app.session import Session
from tui.app.widgets.fleet_table import FleetTable
from tui.fleet.network import Environment, NetworkOptions
from tui.fleet.rows import FleetRow
from tui.fleet.view import counts
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account
from tui.sim.dns_server import DnsServer, Rule
from tui.sim.tls_world import TlsWorld

FIXED = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

INVENTORY = """
[accounts.acme-mg]
esp = "mailgun"

[[brands]]
name = "Acme"
tracking = [
  { host = "links-mg.brand.example", account = "acme-mg" },
  { host = "dangling.brand.example", account = "acme-mg" },
  { host = "proxied.brand.example", account = "acme-mg" },
]

[[brands]]
name = "Globex"
tracking = [ { host = "links.caa-blocked.example", account = "acme-mg" } ]
"""

HEALTHY = "acme-mg/links-mg.brand.example"


@dataclass
class Rig:
    """A session over the loopback worlds, with a fake Mailgun account behind it."""

    world: DnsWorld
    tls: TlsWorld
    esp: FakeEsp
    audit_path: Path

    def session(self, **changes: object) -> Session:
        options = NetworkOptions(
            resolvers=(f"127.0.0.1:{self.world.resolver.port}",),
            ca_bundle=str(self.tls.certificates.ca_bundle_path),
            timeout=0.5,
            blocklists=False,
        )
        base = Session(
            inventory=parse_inventory(INVENTORY),
            options=options,
            environment=Environment(
                dialer=self.tls.dialer, authoritative_port=self.world.authoritative.port
            ),
            store=store_with({"acme-mg": "key-CANARY-dashboard-secret"}),
            client_factory=fake_factory({"acme-mg": self.esp}),
            audit=AuditLog(self.audit_path),
            clock=lambda: FIXED,
            poll_interval=0.01,
        )
        return replace(base, **changes)  # type: ignore[arg-type]  # **changes: checked at run time by replace()


@pytest.fixture
def rig(world: DnsWorld, tmp_path: Path) -> Iterator[Rig]:
    with tls_world() as tls:
        tls.add(
            "192.0.2.2", kind="valid", host="links-mg.brand.example", now=dt.datetime.now(dt.UTC)
        )
        esp = FakeEsp(
            domains=[
                domain("links-mg.brand.example", "acme-mg", https=False,
                       certificate=CertificateState(status="none")),
                domain("dangling.brand.example", "acme-mg", verified=False),
                domain("proxied.brand.example", "acme-mg"),
                domain("links.caa-blocked.example", "acme-mg"),
            ]
        )  # fmt: skip
        yield Rig(world, tls, esp, tmp_path / "audit.jsonl")


def fleet(app: TrackdeckApp) -> FleetScreen:
    screen = app.screen
    assert isinstance(screen, FleetScreen)
    return screen


def table_keys(app: TrackdeckApp) -> list[str]:
    return app.screen.query_one(FleetTable).row_keys


async def scanned(app: TrackdeckApp) -> None:
    """Wait until the first scan has finished."""
    await app.workers.wait_for_complete()
    for _ in range(50):
        if not fleet(app).scanning:
            return
        await app.workers.wait_for_complete()
        time.sleep(0.01)


async def test_rows_are_up_as_pending_before_any_network_io(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(delay=0.4)])
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = fleet(app)
        assert len(screen.rows) == 4
        assert all(row.pending for row in screen.rows.values())
        assert "pending" in str(screen.query_one("#summary", Static).render())
        await scanned(app)
        assert not any(row.pending for row in screen.rows.values())


async def test_results_fill_in_with_health_words(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)):
        await scanned(app)
        rows = fleet(app).rows
        assert rows["acme-mg/dangling.brand.example"].health is Severity.FAIL
        assert rows["acme-mg/links.caa-blocked.example"].health is Severity.FAIL
        summary = str(fleet(app).query_one("#summary", Static).render())
        assert "fail" in summary and "last scan 12:00:00" in summary
        assert table_keys(app)[-1] in (HEALTHY, "acme-mg/proxied.brand.example")
        tally = counts(rows.values())  # the summary's running counts match a recount
        assert f"✗ {tally['fail']} fail" in summary and f"✓ {tally['ok']} ok" in summary
        assert "pending" not in summary


async def test_filter_by_code_and_clear(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash")
        await pilot.press(*"dns.dangling")
        assert table_keys(app) == ["acme-mg/dangling.brand.example"]
        await pilot.press("enter", "escape")
        assert len(table_keys(app)) == 4
        assert app.screen.query_one(Input).value == ""
        assert app.screen.focused is app.screen.query_one(FleetTable)


async def test_group_and_sort(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("g")
        keys = table_keys(app)
        assert keys[0] == "group:Acme" and "group:Globex" in keys
        await pilot.press("escape", "s")
        assert fleet(app).view.sort == "since"
        await pilot.press("s")
        assert fleet(app).view.sort == "host"
        assert table_keys(app)[0] == "acme-mg/dangling.brand.example"


async def test_details_and_copying_a_fix(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash", *"caa-blocked", "enter", "enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("c")
        assert app.clipboard.endswith('caa-blocked.example. IN CAA 0 issue "letsencrypt.org"')
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_recheck_one_and_all(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        lists_before = rig.esp.calls.count("list")
        await pilot.press("R")
        await scanned(app)
        assert rig.esp.calls.count("list") == lists_before + 1
        await pilot.press("r")
        await scanned(app)
        assert rig.esp.calls.count("list") == lists_before + 2


async def test_verify_asks_then_writes_and_audits(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash", *"dangling", "enter", "v")
        assert isinstance(app.screen, ActionScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any(call.startswith("verify") for call in rig.esp.calls)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "verify dangling.brand.example" in rig.esp.calls
        await pilot.press("escape")
    entries = AuditLog(rig.audit_path).entries()
    assert [entry.action for entry in entries][-1] == "verify"
    assert "CANARY" not in rig.audit_path.read_text()


async def test_https_flow_confirmed(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash", *"links-mg", "enter", "h")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#action-text", Static).render())
        assert "Preflight passed" in text
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "https links-mg.brand.example True" in rig.esp.calls
        assert "done" in str(app.screen.query_one("#action-text", Static).render())


async def test_a_dead_resolver_is_a_notice_once_whatever_row_carries_it(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(drop=True)])  # swallows every question, the canary too
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.pause()
        notices = [note for note in app._notifications if note.title == "dns.resolver_down"]
        assert len(notices) == 1
        assert "is not answering" in notices[0].message
        assert "--resolver IP[:PORT]" in notices[0].message
        assert notices[0].severity == "error"
        assert {row.report.health for row in fleet(app).rows.values() if row.report} == {
            Severity.UNKNOWN
        }


def _signal_caught(number: int) -> bool:
    """Whether the dashboard's loop holds `number` (sending it would otherwise end pytest)."""
    return signal.getsignal(number) not in (signal.SIG_DFL, signal.SIG_IGN, None)


async def test_sigterm_ends_the_dashboard_as_q_does(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        assert _signal_caught(signal.SIGTERM) and _signal_caught(signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):
            await pilot.pause(0.01)
            if not app.is_running:
                break
    assert app.terminated_by == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)  # given back on exit


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
async def test_a_signal_during_the_https_wait_stops_it_and_records_it_before_exiting(
    rig: Rig, number: int
) -> None:
    """Like Escape: the certificate's wait stops at the next poll, the audit log says so, and
    only then does the dashboard end (a closed SSH session leaves no half-recorded write)."""

    class Pending(FakeClient):
        def certificate_status(self, tracked: TrackingDomain) -> CertificateState:
            return CertificateState(status="pending")  # issued only after the signal came

    def factory(account: Account, secret: EspSecret) -> FakeClient:
        return Pending(account.ref(), rig.esp)

    app = TrackdeckApp(rig.session(client_factory=factory))
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash", *"links-mg", "enter", "h")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("y")
        for _ in range(200):  # until the flow is waiting for the certificate
            await pilot.pause(0.01)
            if any(entry.action == "certificate.request" for entry in entries(rig)):
                break
        assert isinstance(app.screen, ActionScreen) and app.screen.state == "running"
        assert _signal_caught(number)
        os.kill(os.getpid(), number)
        for _ in range(500):  # the write ends at its next poll, then the dashboard (its worker
            await pilot.pause(0.01)  # may still be winding down: exiting cancels it, after the log)
            if not app.is_running:
                break
    assert app.terminated_by == number
    last = entries(rig)[-1]
    assert (last.action, last.result) == ("certificate.wait", "cancelled")
    assert "https links-mg.brand.example True" not in rig.esp.calls  # HTTPS was not switched


def entries(rig: Rig) -> list[AuditEntry]:
    return list(AuditLog(rig.audit_path).entries()) if rig.audit_path.exists() else []


async def test_https_refused_by_preflight(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash", *"caa-blocked", "enter", "h")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#action-text", Static).render())
        assert "HTTPS stays off" in text and "CAA" in text
        await pilot.press("y")
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)
        assert not any(call.startswith("https") for call in rig.esp.calls)


async def test_https_cancel_before_confirming(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        await pilot.press("slash", *"links-mg", "enter", "h")
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)
        assert not any(call.startswith(("https", "certificate")) for call in rig.esp.calls)


async def test_read_only_refuses_and_says_why(rig: Rig) -> None:
    app = TrackdeckApp(rig.session(read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await scanned(app)
        assert "READ-ONLY" in str(fleet(app).query_one("#summary", Static).render())
        await pilot.press("slash", *"dangling", "enter", "v")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#action-text", Static).render())
        assert "read-only" in text.lower()
        assert not any(call.startswith("verify") for call in rig.esp.calls)


async def test_unexpected_worker_error_shows_a_dialog_and_the_app_lives(rig: Rig) -> None:
    def broken_factory(account: object, secret: object) -> object:
        raise RuntimeError("simulated bug")

    app = TrackdeckApp(rig.session(client_factory=broken_factory))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(500):
            await pilot.pause(0.02)
            if isinstance(app.screen, ErrorDialog):
                break
        assert isinstance(app.screen, ErrorDialog)
        await pilot.pause()  # the dialog is pushed before its children are mounted
        assert "simulated bug" in str(app.screen.query_one("#error-message", Static).render())
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_help_and_palette(rig: Rig) -> None:
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"Re-check the whole")
        await pilot.press("enter")
        await scanned(app)
        assert isinstance(app.screen, FleetScreen)


async def test_keys_are_handled_while_every_dns_answer_is_slow(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(delay=0.3)])
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("g", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "down")
        assert fleet(app).view.group == "brand"
        assert fleet(app).scanning  # every key took effect while the scan was still running
        await scanned(app)


async def test_periodic_refresh_never_overlaps_a_running_scan(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(delay=0.05)])
    app = TrackdeckApp(rig.session(refresh_interval=0.2))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = fleet(app)
        starts = 0
        overlapping = False
        was_scanning = False
        for _ in range(120):
            await pilot.pause(0.02)
            if screen.scanning and not was_scanning:
                starts += 1
            if screen.scanning and screen.progress[0] > screen.progress[1]:
                overlapping = True
            was_scanning = screen.scanning
            if starts >= 3:
                break
        assert starts >= 2, "the refresh timer never started a second scan"
        assert not overlapping


def codes(row: FleetRow) -> tuple[str, ...]:
    return tuple(finding.code for finding in row.findings)


async def test_a_dead_resolver_is_said_once_in_the_dashboard(rig: Rig) -> None:
    with DnsServer(world_zones(), rules=[Rule(drop=True)]) as silent:
        options = replace(rig.session().options, resolvers=(f"127.0.0.1:{silent.port}",))
        app = TrackdeckApp(rig.session(options=options))
        async with app.run_test(size=(120, 40)) as pilot:
            await scanned(app)
            rows = fleet(app).rows
            assert all("dns.lookup_failed" in codes(row) for row in rows.values())
            said = [key for key, row in rows.items() if "dns.resolver_down" in codes(row)]
            assert len(said) == 1
            others = [row for key, row in rows.items() if key not in said]
            assert all(
                "(dns.resolver_down)" in finding.detail
                for row in others
                for finding in row.findings
                if finding.code == "dns.lookup_failed"
            )
            await pilot.press("slash", *"dns.resolver_down", "enter", "enter")
            details = app.screen
            assert isinstance(details, DetailScreen)
            below = [finding.code for finding in details.findings].index("dns.resolver_down")
            await pilot.press(*["down"] * below, "c")  # its ESP's findings may come first
            assert "--resolver IP[:PORT]" in app.clipboard
