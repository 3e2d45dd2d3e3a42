"""The click signal in the fleet scan: read once per account and scope after the domain list, never
holding back the outside checks, turned into findings beside the ESP's view, and unknown (never
steady) when the statistics call fails."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import threading
import time
from collections.abc import Callable

import pytest

from checks.context import CheckContext
from checks.model import Severity
from esp_clients import EspRateLimited, EspSecret, EspUnsupported, TrackingDomain
from esp_clients.engagement import ClickScope, ClickSeries, DailyClicks
from tests.support.fakes import (
    CLICK_CAPABILITIES,
    DOMAIN_CAPABILITIES,
    FakeClient,
    FakeEsp,
    domain,
    fake_factory,
    store_with,
)
from tests.support.worlds import FIXED_NOW, DnsWorld
from tui.cli.formats.document import from_fleet
from tui.cli.formats.write import render
from tui.fleet.rows import FleetRow
from tui.fleet.scan import FleetScan
from tui.fleet.view import cells
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account

TODAY = FIXED_NOW.date()
INVENTORY = """
[settings]
{settings}

[accounts.acme-mg]
esp = "mailgun"

[accounts.acme-pm]
esp = "postmark"

[[brands]]
name = "Acme"
tracking = [
  {{ host = "links-mg.brand.example", account = "acme-mg" }},
  {{ host = "stale.brand.example", account = "acme-mg" }},
  {{ host = "links-sg.brand.example", account = "acme-pm", expect_target = "sendgrid.net" }},
]
"""
MG = "acme-mg/links-mg.brand.example"
STALE = "acme-mg/stale.brand.example"


def traffic(
    recent_rate: float = 0.03, delivered: int = 2000, recent: int = 2000
) -> tuple[DailyClicks, ...]:
    """31 days before TODAY: `delivered` a day at 3 %, the last three days `recent` at `recent_rate`."""
    days = []
    for back in range(31, 0, -1):
        sent = recent if back <= 3 else delivered
        rate = recent_rate if back <= 3 else 0.03
        days.append(
            DailyClicks(
                day=TODAY - dt.timedelta(days=back),
                delivered=sent,
                unique_clicks=round(sent * rate),
            )
        )
    return tuple(days)


def clicking(**changes: object) -> FakeEsp:
    esp = FakeEsp(
        domains=[
            domain("links-mg.brand.example", "acme-mg"),
            domain("stale.brand.example", "acme-mg"),
        ],
        capabilities=DOMAIN_CAPABILITIES | CLICK_CAPABILITIES,
        click_days=traffic(),
    )
    return dataclasses.replace(esp, **changes)  # type: ignore[arg-type]  # **changes: checked by replace()


def scan(
    ctx: CheckContext,
    esp: FakeEsp,
    *,
    settings: str = "",
    factory: Callable[[Account, EspSecret], FakeClient] | None = None,
) -> FleetScan:
    inventory = parse_inventory(INVENTORY.format(settings=settings))
    return FleetScan(
        inventory,
        ctx,
        store_with({"acme-mg": "key-canary"}),
        client_factory=factory or fake_factory({"acme-mg": esp}),
    )


def run(ctx: CheckContext, esp: FakeEsp, settings: str = "") -> dict[str, FleetRow]:
    return {row.key: row for row in scan(ctx, esp, settings=settings).run()}


def codes(row: FleetRow) -> dict[str, Severity]:
    return {finding.code: finding.severity for finding in row.click_findings}


def test_a_drop_is_flagged_beside_the_esp_view(ctx: CheckContext) -> None:
    esp = clicking(click_days=traffic(recent_rate=0.005))
    row = run(ctx, esp)[MG]
    assert codes(row) == {"esp.click_rate_drop": Severity.WARN}
    assert "esp.ok" in {finding.code for finding in row.esp_findings}
    assert "esp.click_rate_drop" in {finding.code for finding in row.findings}
    (drop,) = row.click_findings
    assert "click rate fell 83% (3.0% → 0.50%)" in drop.title
    assert "6,000 delivered" in drop.detail and "p = " in drop.detail
    assert "links-mg.brand.example's own findings" in drop.fix and "audit-email" in drop.fix
    assert any(line.startswith("fake stats, the whole account") for line in drop.evidence)
    summary = row.click_summary
    assert summary is not None and summary.as_json()["recent_rate"] == 0.005
    assert cells(row)["clicks"] == (Severity.WARN, "↓ 0.50%")
    assert cells(row)["https"] == (Severity.OK, "✓ on")


def test_the_figures_are_read_once_per_account_after_the_list(ctx: CheckContext) -> None:
    esp = clicking()
    rows = run(ctx, esp)
    window = f"{TODAY - dt.timedelta(days=31)} {TODAY - dt.timedelta(days=1)}"
    assert esp.calls == ["list", f"clicks account {window}", "close"]
    assert codes(rows[MG]) == codes(rows[STALE]) == {"esp.clicks_ok": Severity.OK}
    evidence = rows[MG].click_findings[0].evidence
    assert "click-tracking switch not asked: the ESP counts unique clicks as usual" in evidence
    assert rows[MG].clicks is rows[STALE].clicks or rows[MG].clicks == rows[STALE].clicks
    assert rows["acme-pm/links-sg.brand.example"].clicks is None


def test_one_read_per_scope(ctx: CheckContext) -> None:
    """Mailgun counts per sending domain: two hosts, two scopes, two reads; a host the ESP does
    not have gets none."""

    def per_host(tracked: TrackingDomain) -> ClickScope:
        return ClickScope(key=tracked.host, label=f"sending domain {tracked.host}")

    esp = clicking(click_scope_of=per_host, domains=[domain("links-mg.brand.example", "acme-mg")])
    rows = run(ctx, esp)
    assert [call for call in esp.calls if call.startswith("clicks")] == [
        f"clicks links-mg.brand.example {TODAY - dt.timedelta(days=31)} {TODAY - dt.timedelta(days=1)}"
    ]
    assert rows[STALE].clicks is None and codes(rows[STALE]) == {}


def test_the_switch_is_asked_when_the_clicks_stop(ctx: CheckContext) -> None:
    esp = clicking(click_days=traffic(recent_rate=0.0))
    row = run(ctx, esp)[MG]
    assert "click tracking" in esp.calls
    assert codes(row) == {"esp.click_rate_drop": Severity.WARN}
    assert "click tracking: on" in row.click_findings[0].evidence


def test_click_tracking_off_is_said_instead_of_the_rate(ctx: CheckContext) -> None:
    row = run(ctx, clicking(click_tracking=False, click_days=traffic(recent_rate=0.0)))[MG]
    assert codes(row) == {"esp.click_tracking_off": Severity.WARN}
    (off,) = row.click_findings
    assert "not used at all" in off.detail and "the fake ESP's click-tracking switch" in off.fix
    assert cells(row)["clicks"] == (Severity.WARN, "! off")


def test_tracking_off_is_found_when_the_rate_fell_too_little_to_flag(ctx: CheckContext) -> None:
    """Switched off three days ago, with clicks on older mail still coming: a fall of 40 % is no
    drop (50 %), but enough to ask the switch."""
    esp = clicking(click_tracking=False, click_days=traffic(recent_rate=0.018))
    row = run(ctx, esp)[MG]
    assert "click tracking" in esp.calls
    assert codes(row) == {"esp.click_tracking_off": Severity.WARN}
    steady = clicking(click_days=traffic(recent_rate=0.027))  # −10 %: the switch is not asked
    assert codes(run(ctx, steady)[MG]) == {"esp.clicks_ok": Severity.OK}
    assert "click tracking" not in steady.calls


def test_too_little_traffic_is_info(ctx: CheckContext) -> None:
    row = run(ctx, clicking(click_days=traffic(delivered=40, recent=40, recent_rate=0.0)))[MG]
    assert codes(row) == {"esp.click_low_volume": Severity.INFO}
    assert "deliveries" in row.click_findings[0].detail


def test_a_volume_dip_is_not_flagged(ctx: CheckContext) -> None:
    row = run(ctx, clicking(click_days=traffic(recent=300, recent_rate=0.005)))[MG]
    assert codes(row) == {"esp.clicks_ok": Severity.OK}
    assert "send-volume dip" in row.click_findings[0].title


def test_a_failed_stats_call_is_unknown_and_leaves_the_esp_view_alone(ctx: CheckContext) -> None:
    error = EspRateLimited("429", esp="Mailgun", account="acme-mg", retry_after=30.0)
    row = run(ctx, clicking(click_error=error))[MG]
    assert codes(row) == {"esp.clicks_unknown": Severity.UNKNOWN}
    (unknown,) = row.click_findings
    assert "rate limit" in unknown.title and "unknown, not steady" in unknown.detail
    assert Severity.worst(f.severity for f in row.esp_findings + row.click_findings) is (
        Severity.UNKNOWN
    )
    assert cells(row)["clicks"] == (Severity.UNKNOWN, "? unknown")
    assert cells(row)["verified"] == (Severity.OK, "✓ yes")


def test_an_esp_that_cannot_count_says_why(ctx: CheckContext) -> None:
    error = EspUnsupported("no VDM", esp="Amazon SES", account="acme-mg", hint="turn VDM on")
    row = run(ctx, clicking(click_error=error))[MG]
    assert codes(row) == {"esp.click_stats_unavailable": Severity.INFO}
    assert row.click_findings[0].fix == "turn VDM on"
    assert cells(row)["clicks"] == (None, "–")


def test_without_the_capability_nothing_is_asked(ctx: CheckContext) -> None:
    esp = clicking(capabilities=DOMAIN_CAPABILITIES)
    row = run(ctx, esp)[MG]
    assert row.clicks is None and row.click_findings == () and row.click_summary is None
    assert not [call for call in esp.calls if "click" in call]


def test_the_inventory_sets_the_window_and_the_fall(ctx: CheckContext) -> None:
    esp = clicking(click_days=traffic(recent_rate=0.018))
    assert codes(run(ctx, esp)[MG]) == {"esp.clicks_ok": Severity.OK}
    esp = clicking(click_days=traffic(recent_rate=0.018))
    rows = run(ctx, esp, settings="click_drop = 0.3\nclick_recent_days = 2")
    assert codes(rows[MG]) == {"esp.click_rate_drop": Severity.WARN}
    assert f"clicks account {TODAY - dt.timedelta(days=30)}" in esp.calls[1]


def test_the_outside_checks_do_not_wait_for_the_figures(world: DnsWorld) -> None:
    """The figures are read after the list; the API host's outside checks go on meanwhile: the
    stats call waits until the resolver has been asked the CAA question of the host's CNAME target (which needs the
    expectation built from the list), and would time out if the checks waited for it."""
    esp = clicking()
    asked = threading.Event()

    class SlowStats(FakeClient):
        def click_series(
            self, tracked: TrackingDomain, start: dt.date, end: dt.date
        ) -> ClickSeries:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if world.resolver.count(qname="mailgun.org", rdtype="CAA"):
                    asked.set()
                    break
                time.sleep(0.01)
            return super().click_series(tracked, start, end)

    def factory(account: Account, secret: EspSecret) -> FakeClient:
        return SlowStats(account.ref(), esp)

    rows = {row.key: row for row in scan(world.context(), esp, factory=factory).run()}
    assert asked.is_set()
    assert codes(rows[MG]) == {"esp.clicks_ok": Severity.OK}


@pytest.mark.parametrize("key", [MG, STALE])
def test_rows_report_their_click_summary_in_json_terms(ctx: CheckContext, key: str) -> None:
    summary = run(ctx, clicking())[key].click_summary
    assert summary is not None
    assert set(summary.as_json()) == {
        "recent_rate",
        "baseline_rate",
        "delivered_recent",
        "delivered_baseline",
        "p_value",
    }


def test_scan_json_and_table_carry_the_click_signal(
    ctx: CheckContext, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = sorted(run(ctx, clicking(click_days=traffic(recent_rate=0.005))).values(), key=str)
    now = dt.datetime.now(dt.UTC)
    document = from_fleet("scan", rows, now, now)
    stream = io.StringIO()
    render(document, "json", stream)
    domains = {d["host"]: d for d in json.loads(stream.getvalue())["domains"]}
    clicks = domains["links-mg.brand.example"]["clicks"]
    assert clicks["recent_rate"] == 0.005 and clicks["delivered_recent"] == 6000
    assert clicks["baseline_rate"] == 0.03 and clicks["p_value"] < 1e-10
    assert domains["links-sg.brand.example"]["clicks"] is None
    assert list(domains["links-mg.brand.example"])[:6] == [
        "host",
        "esp",
        "brand",
        "account",
        "esp_view",
        "clicks",
    ]
    stream = io.StringIO()
    render(document, "table", stream)
    table = stream.getvalue()
    stream = io.StringIO()
    render(document, "prometheus", stream)
    assert 'trackdeck_esp_click_rate{account="acme-mg",scope=' in stream.getvalue()
    assert "clicks" in table and "↓ 0.50%" in table and "esp.click_rate_drop" in table


def test_a_slow_click_read_holds_back_only_its_own_accounts_rows(ctx: CheckContext) -> None:
    """With one worker and eight hosts of another account queued behind it, a click read that
    does not answer holds back only the rows of its own account: the scan goes on taking hosts,
    and every other row arrives while the read is still out."""
    others = [f"h{index}.other.example" for index in range(8)]
    inventory = parse_inventory(
        INVENTORY.format(settings="")
        + "\n".join(
            f'[[brands]]\nname = "Other {index}"\ntracking = [{{ host = "{host}", '
            'account = "acme-pm", expect_target = "sendgrid.net" }]'
            for index, host in enumerate(others)
        )
    )
    esp = clicking()
    gate, timed_out = threading.Event(), threading.Event()

    class HeldStats(FakeClient):
        def click_series(
            self, tracked: TrackingDomain, start: dt.date, end: dt.date
        ) -> ClickSeries:
            if not gate.wait(timeout=20):  # the figures come only once the other rows are out
                timed_out.set()
            return super().click_series(tracked, start, end)

    def factory(account: Account, secret: EspSecret) -> FakeClient:
        return HeldStats(account.ref(), esp)

    fleet = FleetScan(
        inventory, ctx, store_with({"acme-mg": "key-canary"}), client_factory=factory,
        concurrency=1,
    )  # fmt: skip
    waiting = {f"acme-pm/{host}" for host in [*others, "links-sg.brand.example"]}
    arrived: list[str] = []
    for row in fleet.run():
        arrived.append(row.key)
        waiting.discard(row.key)
        if not waiting:
            gate.set()
    assert not timed_out.is_set()  # the other rows came while the read was held
    assert arrived[-2:] in ([MG, STALE], [STALE, MG])  # the held rows came last, whole
    rows = {row.key: row for row in fleet.rows()}
    assert set(arrived) == set(rows)
