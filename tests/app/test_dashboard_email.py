"""The email audit in the dashboard, driven with Pilot: open a message by key and by palette, read the
domain table and the findings, and jump from a tracking host to its row in the fleet."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tests.support.data import EMAILS
from tests.support.fakes import FakeEsp, domain, fake_factory, store_with
from tests.support.worlds import DnsWorld, tls_world
from tui.actions.journal import AuditLog
from tui.app.app import TrackdeckApp
from tui.app.screens.email_audit import EmailScreen, MessagePathModal
from tui.app.screens.fleet import FleetScreen
from tui.app.session import Session
from tui.app.widgets.fleet_table import FleetTable
from tui.fleet.network import Environment, NetworkOptions
from tui.inventory.load import load_inventory

FIXED = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SENDGRID_ROW = "hc-sendgrid/links-sg.brand.example"


@pytest.fixture
def session(world: DnsWorld, tmp_path: Path) -> Iterator[Session]:
    with tls_world() as tls:
        tls.add_host(
            "192.0.2.1", kind="valid", host="links-sg.brand.example", now=dt.datetime.now(dt.UTC)
        )
        esps = {
            "hc-sendgrid": FakeEsp(
                domains=[domain("links-sg.brand.example", "hc-sendgrid", esp="sendgrid")],
                label="SendGrid",
            ),
            "hc-mailgun": FakeEsp(domains=[domain("links-mg.brand.example", "hc-mailgun")]),
        }
        yield Session(
            inventory=load_inventory(EMAILS / "inventory.toml"),
            options=NetworkOptions(
                resolvers=(f"127.0.0.1:{world.resolver.port}",),
                ca_bundle=str(tls.certificates.ca_bundle_path),
                timeout=0.5,
            ),
            environment=Environment(dialer=tls.dialer, authoritative_port=world.authoritative.port),
            store=store_with({"hc-sendgrid": "SG.canary", "hc-mailgun": "key-canary"}),
            client_factory=fake_factory(esps),
            audit=AuditLog(tmp_path / "audit.jsonl"),
            clock=lambda: FIXED,
        )


async def settled(app: TrackdeckApp) -> None:
    """Wait until every worker (the fleet scan, the audit) has finished and messages are handled."""
    for _ in range(100):
        await app.workers.wait_for_complete()
        screen = app.screen
        busy = isinstance(screen, FleetScreen) and screen.scanning
        if not busy and not app.workers:
            break
        time.sleep(0.01)
    await app.workers.wait_for_complete()


async def open_message(app: TrackdeckApp, pilot: Pilot[None], name: str) -> EmailScreen:
    """Type the message's path in the modal and wait for its audit."""
    assert isinstance(app.screen, MessagePathModal)
    app.screen.query_one(Input).value = str(EMAILS / name)
    await pilot.press("enter")
    await settled(app)
    await pilot.pause()
    assert isinstance(app.screen, EmailScreen)
    return app.screen


async def test_e_opens_a_message_and_enter_on_a_tracking_host_jumps_to_its_row(
    session: Session,
) -> None:
    app = TrackdeckApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(app)
        table = app.screen.query_one(FleetTable)
        table.move_cursor(row=table.get_row_index("hc-mailgun/links-mg.brand.example"))
        await pilot.press("e")
        screen = await open_message(app, pilot, "mixed_sendgrid.eml")
        title = str(screen.query_one("#email-title", Static).render())
        assert "Last call: autumn blends" in title and "mixed" in title
        domains = screen.query_one(DataTable)
        keys = [str(row.key.value) for row in domains.ordered_rows]
        assert keys[:2] == ["links-sg.brand.example", "u2017411.ct.sendgrid.net"]
        findings = str(screen.query_one("#email-findings-text", Static).render())
        assert "email.mixed_tracking" in findings and "fix:" in findings
        domains.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)
        assert app.screen.query_one(FleetTable).selected_key() == SENDGRID_ROW


async def test_a_host_outside_the_fleet_stays_and_says_why(session: Session) -> None:
    app = TrackdeckApp(session)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settled(app)
        await pilot.press("e")
        screen = await open_message(app, pilot, "mixed_sendgrid.eml")
        screen.query_one(DataTable).move_cursor(row=1)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        messages = [notification.message for notification in app._notifications]
        assert any("u2017411.ct.sendgrid.net is a shared tracking" in text for text in messages)
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_the_palette_opens_the_audit_and_an_unreadable_file_is_explained(
    session: Session,
) -> None:
    app = TrackdeckApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(app)
        await pilot.press("ctrl+p")
        await pilot.press(*"Audit an email")
        await pilot.press("enter")
        await pilot.pause()
        screen = await open_message(app, pilot, "truncated_multipart.eml")
        title = str(screen.query_one("#email-title", Static).render())
        assert "Cannot audit" in title and "the file is truncated" in title
        assert screen.query_one(DataTable).row_count == 0
        await pilot.press("q")
        assert isinstance(app.screen, FleetScreen)


async def test_escape_in_the_path_modal_cancels(session: Session) -> None:
    app = TrackdeckApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(app)
        await pilot.press("e")
        assert isinstance(app.screen, MessagePathModal)
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)
