"""The demo as the dashboard sees it: every ESP-side finding appears, on the host meant for it, and
the demo's HTTPS flow really runs against the simulated ESP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.app.demo import demo_session
from tui.app.demo_history import seed
from tui.fleet.clicks import fall_line, rate_fall
from tui.fleet.rows import FleetRow
from tui.history.model import INVENTORY
from tui.history.observe import from_fleet
from tui.history.store import HistoryStore

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
    "lumen-sg/links.lumen.example": "esp.click_rate_drop",
    "evergreen-mg-eu/links.evergreen.example": "esp.click_tracking_off",
    "acme-mandrill/t.acme.example": "esp.click_low_volume",
    "globex-ses/track.globex.example": "esp.click_stats_unavailable",
    "globex-sp/email.globex.example": "esp.clicks_ok",
}


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, FleetRow]]:
    audit = tmp_path_factory.mktemp("demo") / "audit.jsonl"
    with demo_session(audit_path=audit) as (session, _world, _esps):
        yield {row.key: row for row in session.fleet_scan().run()}


@pytest.mark.parametrize(("key", "code"), sorted(EXPECTED.items()))
def test_each_esp_failure_mode_is_shown(rows: dict[str, FleetRow], key: str, code: str) -> None:
    assert code in {finding.code for finding in rows[key].findings}


def test_the_drop_is_flagged_and_only_the_drop(rows: dict[str, FleetRow]) -> None:
    flagged = {
        key
        for key, row in rows.items()
        for finding in row.findings
        if finding.code == "esp.click_rate_drop"
    }
    assert flagged == {"lumen-sg/links.lumen.example"}
    drop = rows["lumen-sg/links.lumen.example"]
    assert {f.code for f in drop.findings} >= {"blocklist.listed", "esp.click_rate_drop"}
    (finding,) = [f for f in drop.click_findings if f.code == "esp.click_rate_drop"]
    assert "(blocklist.listed)" in finding.fix


def test_the_volume_dip_is_not_flagged(rows: dict[str, FleetRow]) -> None:
    dip = rows["globex-sp/email.globex.example"]
    (finding,) = dip.click_findings
    assert finding.code == "esp.clicks_ok" and "send-volume dip" in finding.title
    summary = dip.click_summary
    assert summary is not None and summary.rate_change is not None and summary.rate_change < -0.5


def test_every_esp_whose_api_counts_clicks_shows_the_signal_or_says_why(
    rows: dict[str, FleetRow],
) -> None:
    """Every row whose ESP has an API and lists the host carries a click finding: a summary, or
    the reason there is none (SES without VDM); the rest (no key, refused key, not at the ESP,
    DNS only, untracked) say nothing about clicks."""
    silent = {
        "orchard-mg/links.orchard.example",
        "marigold-mg/click.marigold.example",
        "copperleaf-mg/links-tx.copperleaf.example",
        "evergreen-ac/track.evergreen.example",
        "acme-mg-eu/old-links.acme.example",
    }
    for key, row in rows.items():
        assert bool(row.click_findings) is (key not in silent), key


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


def test_the_seeded_history_says_the_day_lumens_click_rate_fell(
    rows: dict[str, FleetRow], tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    path = tmp_path / "history.sqlite"
    assert seed(path, from_fleet(rows.values()), now)
    today = now.date()
    with HistoryStore.open(path, read_only=True) as store:
        kept = store.click_days(INVENTORY, ["links.lumen.example"], today - dt.timedelta(90), today)
    (series,) = kept.values()
    assert series.end == today - dt.timedelta(days=2), "the last seeded scan's full days"
    fall = rate_fall(series)
    assert fall is not None and fall.fell_on == today - dt.timedelta(days=3)
    line = fall_line(series, fall)
    assert line.startswith("click rate fell from 3.") and " to 0.6" in line
    assert line.endswith(f"on {fall.fell_on.isoformat()} (the whole account)")
