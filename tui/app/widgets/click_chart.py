"""The click signal of one host in the details screen: the daily click rate and deliveries as
sparklines, the baseline and the recent window apart, with their figures beside them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from checks.model import Severity
from esp_clients.engagement import ClickSeries
from tui.fleet.clicks import ClickSummary, Verdict, percent
from tui.fleet.rows import FleetRow
from tui.report.style import SEVERITY_STYLE

BARS = "▁▂▃▄▅▆▇█"
LABEL_WIDTH = 10


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled to the largest; a blank where there is no value."""
    top = max((value for value in values if value is not None), default=0.0)
    if top <= 0:
        return "".join(" " if value is None else BARS[0] for value in values)
    steps = len(BARS) - 1
    return "".join(" " if value is None else BARS[round(value / top * steps)] for value in values)


def click_chart(row: FleetRow, *, compact: bool = False) -> Text:
    """The host's click signal for the details screen (plain text when there are no figures);
    `compact`: two lines, the rate's sparkline and the verdict (80×24 terminals)."""
    title = Text.assemble(("Clicks", "bold"), f" · {row.esp_label}")
    signal = row.clicks
    if signal is None or signal.series is None or signal.summary is None:
        reason = next((f.title for f in row.click_findings), "no figures from the ESP")
        return Text.assemble(title, "\n" if not compact else " · ", (reason, "dim"))
    summary, series = signal.summary, signal.series
    if compact:
        line = _chart(series, summary)[0]
        line.append(f"  {percent(summary.recent_rate)} (usual {percent(summary.expected_rate)})")
        return Text.assemble(("Clicks", "bold"), line[len("rate") :])
    title.append(f", {signal.scope.label}")
    lines = [title, *_chart(series, summary), _verdict(summary, signal.tracking_off)]
    return Text("\n").join(lines)


def _chart(series: ClickSeries, summary: ClickSummary) -> list[Text]:
    days = (*summary.baseline_days, *summary.recent_days)
    figures = [series.on(day) for day in days]
    rates = [f.unique_clicks / f.delivered if f.delivered else None for f in figures]
    split = len(summary.baseline_days)
    recent = len(summary.recent_days)
    style = SEVERITY_STYLE[Severity.WARN] if summary.verdict is Verdict.DROP else "bold"
    span = Text(" " * LABEL_WIDTH)
    span.append(f"{split} days before".ljust(split + 1), "dim")
    span.append(f"last {recent}", "dim")
    return [
        _line("rate", sparkline(rates), split, style),
        _line("delivered", sparkline([float(f.delivered) for f in figures]), split, "bold"),
        span,
        Text.assemble(
            (f"last {recent} days".ljust(LABEL_WIDTH + 4), "dim"),
            (percent(summary.recent_rate), style),
            f" of {summary.delivered_recent:,} delivered",
        ),
        Text.assemble(
            (f"{split} before".ljust(LABEL_WIDTH + 4), "dim"),
            percent(summary.baseline_rate),
            f" of {summary.delivered_baseline:,}",
            (f" (usual for these days {percent(summary.expected_rate)})", "dim"),
        ),
    ]


def _line(label: str, bars: str, split: int, recent_style: str) -> Text:
    line = Text(label.ljust(LABEL_WIDTH), "dim")
    line.append(bars[:split])
    line.append("│", "dim")
    line.append(bars[split:], recent_style)
    return line


def _verdict(summary: ClickSummary, tracking_off: bool) -> Text:
    words = {
        Verdict.DROP: "fell while deliveries held",
        Verdict.VOLUME_DIP: "fell with deliveries (a volume dip)",
        Verdict.STEADY: "steady",
        Verdict.TOO_LITTLE: f"not judged: {summary.reason}",
    }[summary.verdict]
    if tracking_off:
        words = "click tracking is off at the ESP"
    test = "" if summary.p_value is None else f" · p = {summary.p_value:.2g}"
    return Text(f"{words}{test}", style="dim" if summary.verdict is not Verdict.DROP else "")
