"""Write safety when the user changes their mind or forbade writes: Escape in the dashboard while
the certificate is issued, and `read_only` set in the inventory but not on the command line. The
ESP is left as a re-scan reports it, and the audit log says what was attempted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.support.worlds import DnsWorld
from tests.support.write_stage import ACCOUNT, HOST, HTTPS_OFF, KEY, Stage, no_sleep, staged
from tui.app.app import TrackdeckApp
from tui.app.screens.writes import ActionScreen
from tui.app.session import Session
from tui.cli.main import build_parser, main
from tui.fleet.network import Environment, NetworkOptions
from tui.inventory.credentials import CredentialStore
from tui.inventory.load import parse_inventory


@pytest.fixture
def stage(world: DnsWorld, tmp_path: Path) -> Iterator[Stage]:
    with staged(world, tmp_path) as started:
        yield started


async def test_escape_in_the_dashboard_while_the_certificate_is_issued(stage: Stage) -> None:
    stage.domain.polls_until_active = 10**6
    session = Session(
        inventory=parse_inventory(stage.write_inventory().read_text()),
        options=NetworkOptions(),
        store=CredentialStore(environ={"TRACKDECK_SECRET_ACME_MG": KEY}),
        client_factory=stage.esps.client_factory(sleep=no_sleep),
        audit=stage.audit,
        poll_interval=0.1,
        context_factory=stage.world.context,
    )
    app = TrackdeckApp(session)
    async with app.run_test(size=(120, 40)) as pilot:

        async def shown(words: str) -> str:
            """The dialog's text once it contains `words` (or after 5 s)."""
            text = ""
            for _ in range(250):
                await pilot.pause(0.02)
                if isinstance(app.screen, ActionScreen):
                    text = str(app.screen.query_one("#action-text", Static).render())
                if words in text:
                    break
            return text

        await app.workers.wait_for_complete()
        await pilot.press("h")
        assert "Preflight passed" in await shown("Preflight passed")
        await pilot.press("y")
        assert "Escape stops waiting" in await shown("certificate pending")
        await pilot.press("escape")
        cancelled = "cancelled while waiting for the certificate; HTTPS not switched"
        assert cancelled in await shown(cancelled)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
    assert (stage.domain.certificate, stage.domain.https) == ("pending", False)
    assert stage.steps()[-1] == ("certificate.wait", "cancelled")
    assert stage.rescan() == HTTPS_OFF


# read_only in the inventory, not on the command line ---------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["verify", HOST], ["https", "enable", HOST], ["https", "disable", HOST]],
    ids=["verify", "https enable", "https disable"],
)
def test_read_only_in_the_inventory_alone_refuses_every_write(
    stage: Stage, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = stage.write_inventory(extra="read_only = true")
    args = build_parser().parse_args([*argv, "-i", str(inventory), "--yes"])
    args.environment = Environment(authoritative_port=stage.world.authoritative.port)
    args.credential_store = CredentialStore(environ={"TRACKDECK_SECRET_ACME_MG": KEY})
    args.client_factory = stage.esps.client_factory(sleep=no_sleep)
    args.audit_log = stage.audit
    assert args.run(args) == 2
    assert "read-only mode" in capsys.readouterr().err
    assert stage.esps.esp(ACCOUNT).calls == []
    entry = stage.audit.entries()[-1]
    assert (entry.account, entry.host, entry.result) == (ACCOUNT, HOST, "refused")
    assert stage.rescan() == HTTPS_OFF


def test_read_only_in_the_inventory_reaches_the_dashboard(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    monkeypatch.setattr(TrackdeckApp, "run", lambda app: opened.append(app.session.read_only))
    inventory = stage.write_inventory(extra="read_only = true")
    assert main(["-i", str(inventory)], Environment(dqs_key=lambda: None)) == 0
    assert opened == [True]
