"""The click chart of the details screen: sparklines scaled to their largest value, the baseline
and the recent window apart, the figures beside them, one line on narrow terminals."""

from __future__ import annotations

import datetime as dt

from esp_clients.engagement import ACCOUNT_SCOPE, ClickSeries, DailyClicks
from tui.app.widgets.click_chart import click_chart, sparkline
from tui.fleet.clicks import ClickRules, ClickSignal, summarize_clicks
from tui.fleet.rows import FleetRow

TODAY = dt.date(2026, 11, 25)


def test_sparkline_scales_to_the_largest_value() -> None:
    assert sparkline([0.0, 1.0, 0.5, None, 0.25]) == "▁█▅ ▃"
    assert sparkline([None, 0.0]) == " ▁"
    assert sparkline([]) == ""


def row(recent_rate: float) -> FleetRow:
    days = tuple(
        DailyClicks(
            day=TODAY - dt.timedelta(days=back),
            delivered=2000,
            unique_clicks=round(2000 * (recent_rate if back <= 3 else 0.03)),
        )
        for back in range(31, 0, -1)
    )
    series = ClickSeries(
        scope=ACCOUNT_SCOPE,
        start=TODAY - dt.timedelta(days=31),
        end=TODAY - dt.timedelta(days=1),
        days=days,
        source="test",
    )
    summary = summarize_clicks(series, TODAY, ClickRules())
    signal = ClickSignal(scope=ACCOUNT_SCOPE, series=series, summary=summary)
    return FleetRow(
        key="a/h", host="h", brand="B", account="a", esp="sendgrid", esp_label="SendGrid",
        clicks=signal,
    )  # fmt: skip


def test_the_chart_of_a_drop() -> None:
    text = click_chart(row(0.005)).plain.splitlines()
    assert text[0] == "Clicks · SendGrid, the whole account"
    assert text[1] == "rate      " + "█" * 28 + "│" + "▂" * 3  # 0.5 % of 3 % is one step of 7
    assert text[2] == "delivered " + "█" * 28 + "│" + "█" * 3
    assert text[3].split() == ["28", "days", "before", "last", "3"]
    assert text[4].split()[:4] == ["last", "3", "days", "0.50%"]
    assert "3.0% of 56,000" in text[5]
    assert text[6].startswith("fell while deliveries held · p = ")


def test_the_compact_chart_is_one_line() -> None:
    (line,) = click_chart(row(0.03), compact=True).plain.splitlines()
    assert line == "Clicks" + " " * 6 + "█" * 28 + "│" + "█" * 3 + "  3.0% (usual 3.0%)"


def test_without_figures_the_chart_says_why() -> None:
    empty = FleetRow(
        key="a/h", host="h", brand="B", account="a", esp="postmark", esp_label="Postmark"
    )
    assert click_chart(empty).plain == "Clicks · Postmark\nno figures from the ESP"
    assert click_chart(empty, compact=True).plain == "Clicks · Postmark · no figures from the ESP"
