"""The demo as the dashboard sees it: every ESP-side finding appears, on the host meant for it, and
the demo's HTTPS flow really runs against the simulated ESP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.app.demo import demo_session
from tui.fleet.rows import FleetRow

EXPECTED = {
    "bluebell-mg/email.bluebell.example": "esp.https_off",
    "bluebell-mg/links.bluebell.example": "esp.not_verified",
    "driftwood-sp/go.driftwood.example": "esp.cert_problem",
    "copperleaf-mg/links-tx.copperleaf.example": "esp.not_found",
    "acme-mg-eu/old-links.acme.example": "esp.untracked",
    "orchard-mg/links.orchard.example": "esp.no_credentials",
    "marigold-mg/click.marigold.example": "esp.auth_failed",
    "evergreen-ac/track.evergreen.example": "esp.no_api",
    "quartz-mg/links.quartz.example": "inventory.shared_host",
    "acme-mg-eu/links.acme.example": "esp.ok",
}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FleetRow]]:
    audit = tmp_path_factory.mktemp("demo") / "audit.jsonl"
    with demo_session(audit_path=audit) as (session, _world, _esps):
        yield {row.key: row for row in session.fleet_scan().run()}


@pytest.mark.parametrize(("key", "code"), sorted(EXPECTED.items()))
def test_each_esp_failure_mode_is_shown(rows: dict[str, FleetRow], key: str, code: str) -> None:
    assert code in {finding.code for finding in rows[key].findings}


def test_the_demo_https_flow_runs(tmp_path: Path) -> None:
    with demo_session(audit_path=tmp_path / "audit.jsonl", poll_interval=0.01) as (
        session,
        _w,
        esps,
    ):
        result = session.actions().enable_https("email.bluebell.example", "bluebell-mg")
        assert result.ok, result.message
        assert esps.esp("bluebell-mg").domain("email.bluebell.example").https
        assert result.recheck is not None
    assert "https.enable" in (tmp_path / "audit.jsonl").read_text()
