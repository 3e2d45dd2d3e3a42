"""The dashboard's history driven with Pilot against a real history file: two scans of a changing
loopback world mark what is new, how long what is unchanged has stood and what resolved; opening a
marked row clears its mark and shows its timeline; `d` keeps the changed rows; `x` forecasts the
certificates' ends; a history file that cannot be used costs one notification and never the scan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from esp_clients import CertificateState
from esp_clients.engagement import DailyClicks
from tests.support.fakes import (
    CLICK_CAPABILITIES,
    DOMAIN_CAPABILITIES,
    FakeEsp,
    domain,
    fake_factory,
    store_with,
)
from tests.support.worlds import DnsWorld, tls_world
from tui.actions.journal import AuditLog
from tui.app.app import TrackdeckApp
from tui.app.screens.detail import DetailScreen
from tui.app.screens.expiry import ExpiryScreen
from tui.app.screens.fleet import FleetScreen
from tui.app.session import Session
from tui.app.widgets.fleet_table import FleetTable
from tui.fleet.network import Environment, NetworkOptions
from tui.inventory.load import parse_inventory
from tui.sim.dns_server import Rule
from tui.sim.tls_world import TlsWorld

FIRST_SCAN = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SECOND_SCAN = FIRST_SCAN + dt.timedelta(days=3)

MG = "links-mg.brand.example"
"""Fails to resolve in the first scan only: resolved in the second."""
EU = "links-eu.brand.example"
"""Healthy in the first scan, fails to resolve in the second: new."""
DANGLING = "dangling.brand.example"
"""Fails the same way in both scans: unchanged, three days old at the second."""

INVENTORY = f"""
[accounts.acme-mg]
esp = "mailgun"

[[brands]]
name = "Acme"
tracking = [
  {{ host = "{MG}", account = "acme-mg" }},
  {{ host = "{EU}", account = "acme-mg" }},
  {{ host = "{DANGLING}", account = "acme-mg" }},
]
"""


def key(host: str) -> str:
    return f"acme-mg/{host}"


@dataclass
class Clock:
    """The session's wall clock, moved by the test between scans."""

    now: dt.datetime = FIRST_SCAN

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Rig:
    """A session over the loopback worlds and a fake Mailgun account, keeping history in a file."""

    world: DnsWorld
    tls: TlsWorld
    history: Path
    audit: Path
    clock: Clock
    esp: FakeEsp = field(default_factory=FakeEsp)
    click_days: tuple[DailyClicks, ...] = ()
    """The account's daily click figures (none: its ESP cannot count clicks)."""

    def session(self) -> Session:
        self.esp = esp = FakeEsp(
            domains=[
                domain(MG, "acme-mg"),
                domain(EU, "acme-mg", expected_target="eu.mailgun.org",
                       certificate=CertificateState(status="active",
                                                    expires_at="2026-12-22T08:00:00+00:00")),
                domain(DANGLING, "acme-mg",
                       certificate=CertificateState(status="active",
                                                    expires_at="2026-12-10T08:00:00+00:00")),
            ]
        )  # fmt: skip
        if self.click_days:
            self.esp = esp = replace(
                esp,
                capabilities=DOMAIN_CAPABILITIES | CLICK_CAPABILITIES,
                click_days=self.click_days,
            )
        return Session(
            inventory=parse_inventory(INVENTORY),
            options=NetworkOptions(
                resolvers=(f"127.0.0.1:{self.world.resolver.port}",),
                ca_bundle=str(self.tls.certificates.ca_bundle_path),
                timeout=0.5,
                blocklists=False,
            ),
            environment=Environment(
                dialer=self.tls.dialer, authoritative_port=self.world.authoritative.port
            ),
            store=store_with({"acme-mg": "key-history-dashboard"}),
            client_factory=fake_factory({"acme-mg": esp}),
            audit=AuditLog(self.audit),
            clock=self.clock,
            history=self.history,
        )


@pytest.fixture
def rig(world: DnsWorld, tmp_path: Path) -> Iterator[Rig]:
    with tls_world() as tls:
        now = dt.datetime.now(dt.UTC)  # valid for 90 days from today: beyond the forecast's horizon
        tls.add("192.0.2.2", kind="valid", host=MG, now=now)
        tls.add("192.0.2.3", kind="valid", host=EU, now=now)
        yield Rig(world, tls, tmp_path / "history.sqlite", tmp_path / "audit.jsonl", Clock())


def table(app: TrackdeckApp) -> FleetTable:
    assert isinstance(app.screen, FleetScreen)
    return app.screen.query_one(FleetTable)


def cell(app: TrackdeckApp, host: str, column: str) -> str:
    """The text the table shows in `column` of the row of `host`."""
    return table(app).get_cell(key(host), column)


def shown_hosts(app: TrackdeckApp) -> set[str]:
    return {table(app).get_row_at(index)[2] for index in range(table(app).row_count)}


def shown(widget: Widget) -> str:
    """The lines `widget` draws on the screen, as text."""
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(widget.size.region))


def history_notes(app: TrackdeckApp) -> list[str]:
    return [note.message for note in app._notifications if note.title == "history"]


async def until(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    """Let the app run (workers, messages, timers) until `done()`; fail naming `what` after 20 s."""
    for _ in range(400):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if done():
            return
    raise AssertionError(f"timed out waiting for {what}")


def scan_over(app: TrackdeckApp) -> Callable[[], bool]:
    """Whether the scan finished and every row it scanned shows a verdict."""

    def over() -> bool:
        screen = app.screen
        return (
            isinstance(screen, FleetScreen)
            and not screen.scanning
            and screen.finished_at is not None
            and not any(cell(app, host, "health").startswith("…") for host in (MG, EU, DANGLING))
        )

    return over


async def two_scans(rig: Rig, pilot: Pilot[None]) -> None:
    """The first scan with MG failing to resolve; three days later, a re-check of every host with
    EU failing instead."""
    app = pilot.app
    assert isinstance(app, TrackdeckApp)
    await until(pilot, scan_over(app), "the first scan")
    await until(pilot, lambda: cell(app, MG, "since") == "now", "the first scan's history")
    rig.clock.now = SECOND_SCAN
    rig.world.resolver.set_rules([Rule(name=EU, rcode="SERVFAIL")])
    await pilot.press("R")
    await until(pilot, lambda: cell(app, EU, "since") == "◆ new", "the second scan's history")
    await until(pilot, scan_over(app), "the second scan")


async def test_two_scans_say_new_since_and_resolved(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(name=MG, rcode="SERVFAIL")])
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, scan_over(app), "the first scan")
        await until(pilot, lambda: cell(app, MG, "since") == "now", "the first scan's history")
        # the first recorded scan marks nothing: everything would be new
        assert cell(app, MG, "health") == "? unknown"
        assert cell(app, DANGLING, "since") == "now"
        assert cell(app, EU, "since") == ""  # nothing wrong, nothing to date

        rig.clock.now = SECOND_SCAN
        rig.world.resolver.set_rules([Rule(name=EU, rcode="SERVFAIL")])
        await pilot.press("R")
        await until(pilot, lambda: cell(app, EU, "since") == "◆ new", "the second scan's history")

        assert cell(app, EU, "health") == "? unknown"
        assert cell(app, DANGLING, "health") == "✗ fail"
        assert cell(app, DANGLING, "since") == "3d"
        assert cell(app, MG, "health") == "✓ ok"
        assert cell(app, MG, "since") == "◆ resolved"
        assert history_notes(app) == []
    assert rig.history.is_file()


async def test_a_reopened_dashboard_shows_the_ages_before_its_scan_ends(rig: Rig) -> None:
    first = TrackdeckApp(rig.session())
    async with first.run_test(size=(160, 40)) as pilot:
        await until(pilot, scan_over(first), "the first scan")
        await until(pilot, lambda: cell(first, DANGLING, "since") == "now", "the history")
    rig.clock.now = SECOND_SCAN
    rig.world.resolver.set_rules([Rule(delay=0.3)])  # the second scan is still running
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if cell(app, DANGLING, "since"):
                break
        assert cell(app, DANGLING, "health") == "… pending"
        assert cell(app, DANGLING, "since") == "3d"
        await until(pilot, scan_over(app), "the scan")
        assert cell(app, DANGLING, "since") == "3d"


async def test_details_clear_the_new_mark_and_show_the_timeline(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(name=MG, rcode="SERVFAIL")])
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        await two_scans(rig, pilot)
        await pilot.press("slash", *EU, "enter", "enter")
        details = app.screen
        assert isinstance(details, DetailScreen)
        assert details.row.host == EU

        def timeline() -> str:
            return shown(details.query_one("#timeline", Static))

        await until(pilot, lambda: "dns.lookup_failed" in timeline(), "the timeline")
        text = timeline()
        assert "worst problem new in the last scan" in text
        assert f"{SECOND_SCAN:%Y-%m-%d %H:%M}  dns.lookup_failed — → unknown" in text
        assert f"{SECOND_SCAN:%Y-%m-%d %H:%M}  dns.ok ok → gone" in text
        assert f"{FIRST_SCAN:%Y-%m-%d %H:%M}  cname_target = eu.mailgun.org" in text
        assert "dns.dangling" not in text, "another host's transitions"

        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)
        assert cell(app, EU, "since") == "new"  # looked at: no mark
        await pilot.press("escape")  # the filter goes; the mark stays gone
        assert cell(app, EU, "since") == "new"
        assert cell(app, MG, "since") == "◆ resolved"  # not looked at


async def test_details_say_the_day_the_click_rate_fell(rig: Rig) -> None:
    today = FIRST_SCAN.date()
    rig.click_days = tuple(
        DailyClicks(
            day=today - dt.timedelta(days=back),
            delivered=4000,
            unique_clicks=20 if back <= 3 else 120,
        )
        for back in range(31, 0, -1)
    )
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, scan_over(app), "the scan")
        await until(pilot, lambda: cell(app, MG, "since") != "", "the scan's history")
        await pilot.press("slash", *MG, "enter", "enter")
        details = app.screen
        assert isinstance(details, DetailScreen)

        def timeline() -> str:
            return shown(details.query_one("#timeline", Static))

        await until(pilot, lambda: "click rate" in timeline(), "the click line")
        assert "click rate fell from 3.0% to 0.50% on 2026-11-22 (the whole account)" in timeline()


async def test_changed_only_and_the_expiry_forecast(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(name=MG, rcode="SERVFAIL")])
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        await two_scans(rig, pilot)
        assert shown_hosts(app) == {MG, EU, DANGLING}
        await pilot.press("d")
        assert shown_hosts(app) == {MG, EU}
        await pilot.press("d")
        assert shown_hosts(app) == {MG, EU, DANGLING}

        await pilot.press("x")
        forecast = app.screen
        assert isinstance(forecast, ExpiryScreen)

        def text() -> str:
            return shown(forecast.query_one("#expiry-text", Static))

        await until(pilot, lambda: "week of" in text(), "the forecast")
        lines = [" ".join(line.split()) for line in text().splitlines()]
        assert [line for line in lines if "week of" in line or ".brand.example" in line] == [
            "week of 07 Dec",
            f"Thu 10 Dec {DANGLING} acme-mg 11d left ✗ renewal overdue",
            "week of 21 Dec",
            f"Tue 22 Dec {EU} acme-mg 23d left the ESP renews it",
        ], "by week, soonest first; MG's certificate ends beyond the 60 days"

        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_the_forecast_leaves_out_a_host_no_longer_in_the_inventory(rig: Rig) -> None:
    rig.world.resolver.set_rules([Rule(name=MG, rcode="SERVFAIL")])
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        await two_scans(rig, pilot)
    without = replace(
        rig.session(), inventory=parse_inventory(INVENTORY.replace(f'{{ host = "{DANGLING}"', "# "))
    )
    assert {entry.host for entry in without.inventory.entries} == {MG, EU}
    app = TrackdeckApp(without)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("x")
        forecast = app.screen
        assert isinstance(forecast, ExpiryScreen)
        await until(
            pilot, lambda: "week of" in shown(forecast.query_one("#expiry-text", Static)), "it"
        )
        text = shown(forecast.query_one("#expiry-text", Static))
        assert EU in text and DANGLING not in text  # recorded, but gone from the inventory


def a_directory(path: Path) -> None:
    path.mkdir()


def a_damaged_file(path: Path) -> None:
    path.write_bytes(b"not a database" * 200)


@pytest.mark.parametrize("spoil", [a_directory, a_damaged_file], ids=["directory", "damaged"])
async def test_an_unusable_history_is_said_once_and_the_scan_stands(
    rig: Rig, spoil: Callable[[Path], None]
) -> None:
    spoil(rig.history)
    app = TrackdeckApp(rig.session())
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, scan_over(app), "the scan")
        await until(pilot, lambda: bool(history_notes(app)), "the notification")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FleetScreen), "no error dialog"
        assert cell(app, DANGLING, "health") == "✗ fail"
        assert cell(app, EU, "health") == "✓ ok"
        assert cell(app, DANGLING, "since") == ""
        (note,) = history_notes(app)
        assert str(rig.history) in note
        await pilot.press("R")  # the next scan's recording fails alike: not said again
        await until(pilot, lambda: rig.esp.calls.count("list") == 2, "the re-check")
        await until(pilot, scan_over(app), "the re-check")
        await app.workers.wait_for_complete()  # the recording, started as the scan ended
        await pilot.pause(0.1)
        assert len(history_notes(app)) == 1
