"""The click signal of one fleet row as findings: `esp.click_rate_drop` (warn),
`esp.click_tracking_off` (warn), `esp.click_low_volume` (info) or `esp.clicks_ok`, beside the
reasons the figures are missing (`esp.clicks_unknown`, `esp.click_stats_unavailable`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from checks.model import Finding, Severity, ok
from tui.fleet.click_reads import ScopeClicks
from tui.fleet.clicks import (
    ClickRules,
    ClickSignal,
    ClickSummary,
    Verdict,
    percent,
    summarize_clicks,
)

GATEWAYS = "Proofpoint, Mimecast, Microsoft Defender"


def click_signal(read: ScopeClicks | None, today: dt.date, rules: ClickRules) -> ClickSignal | None:
    """A row's click signal from its scope's figures (None when none were read for it)."""
    if read is None:
        return None
    summary = None if read.series is None else summarize_clicks(read.series, today, rules)
    return ClickSignal(
        scope=read.scope, series=read.series, summary=summary, tracking=read.tracking
    )


def click_findings(
    host: str,
    label: str,
    read: ScopeClicks | None,
    signal: ClickSignal | None,
    *,
    rules: ClickRules,
    host_problems: Sequence[str] = (),
    evidence: tuple[str, ...] | None = None,
) -> tuple[Finding, ...]:
    """The findings of a row's click signal; `host_problems` are the codes of the host's own
    non-passing findings, which the drop's fix points at first; `evidence` is the scope's
    `click_evidence`, when the caller keeps it for the rows of one scope."""
    if read is None or signal is None:
        return ()
    if read.problem is not None or signal.summary is None:
        return () if read.problem is None else (read.problem,)
    evidence = click_evidence(read, signal) if evidence is None else evidence
    if signal.tracking_off:
        return (_tracking_off(host, label, signal, evidence),)
    summary = signal.summary
    if summary.verdict is Verdict.DROP:
        drop = _drop(
            host,
            label,
            signal,
            summary,
            rules=rules,
            host_problems=host_problems,
            evidence=evidence,
        )
        return (drop,)
    if summary.verdict is Verdict.TOO_LITTLE:
        return (_low_volume(label, signal, summary, evidence),)
    return (_steady(summary, evidence),)


def _drop(
    host: str,
    label: str,
    signal: ClickSignal,
    summary: ClickSummary,
    *,
    rules: ClickRules,
    host_problems: Sequence[str],
    evidence: tuple[str, ...],
) -> Finding:
    change = -(summary.rate_change or 0.0)
    first, last = summary.recent_days[0], summary.recent_days[-1]
    expected = (summary.expected_rate or 0.0) * summary.delivered_recent
    own = f" ({', '.join(host_problems)})" if host_problems else ""
    return Finding(
        code="esp.click_rate_drop",
        severity=Severity.WARN,
        title=f"click rate fell {change:.0%} ({percent(summary.expected_rate)} → "
        f"{percent(summary.recent_rate)}) while deliveries held: suspected link filtering",
        detail=f"{label}'s own counts for {signal.scope.label}: in the last "
        f"{len(summary.recent_days)} full days ({first.isoformat()} to {last.isoformat()}) "
        f"{summary.clicks_recent:,} of {summary.delivered_recent:,} delivered messages got a "
        f"unique click ({percent(summary.recent_rate)}); at the rates of the "
        f"{len(summary.baseline_days)} days before ({percent(summary.baseline_rate)} of "
        f"{summary.delivered_baseline:,}) about {expected:,.0f} were expected. Deliveries held "
        f"({_share(summary)} of the usual for these weekdays). A one-sided binomial test puts the "
        f"chance of so few clicks at p = {summary.p_value or 0.0:.2g} (flagged below "
        f"{rules.alpha:g}, for a fall of at least {rules.drop:.0%}). Mail still arrives but its "
        f"links go unclicked: corporate gateways ({GATEWAYS}) rewrite or strip links whose "
        "tracking domain they distrust, and DNS, TLS and blocklist checks cannot see that.",
        fix=f"Look at {host}'s own findings first{own}: a blocklist listing, the certificate, a "
        "proxy in front of it. Then send a test message to a corporate mailbox behind such a "
        "gateway and audit what arrives (trackdeck audit-email FILE): are the links still "
        f"{host}'s? Look {host} up in the gateway vendors' URL reputation lookups ({GATEWAYS}) "
        "and ask for a re-categorisation.",
        evidence=evidence,
    )


def _tracking_off(host: str, label: str, signal: ClickSignal, evidence: tuple[str, ...]) -> Finding:
    tracking = signal.tracking
    assert tracking is not None
    return Finding(
        code="esp.click_tracking_off",
        severity=Severity.WARN,
        title=f"{label} click tracking is off for {signal.scope.label}",
        detail=f"{label} says click tracking is {tracking.detail} for {signal.scope.label}: it "
        f"does not rewrite links, so the custom tracking domain {host} is not used at all and no "
        "clicks are counted.",
        fix=f"Turn click tracking on at {label}: {tracking.setting}.",
        evidence=evidence,
    )


def _low_volume(
    label: str, signal: ClickSignal, summary: ClickSummary, evidence: tuple[str, ...]
) -> Finding:
    return Finding(
        code="esp.click_low_volume",
        severity=Severity.INFO,
        title="too little traffic to judge the click rate",
        detail=f"{label}'s counts for {signal.scope.label}: {summary.reason}. The click rate is "
        f"not judged: last {len(summary.recent_days)} days {percent(summary.recent_rate)} of "
        f"{summary.delivered_recent:,} delivered, the {len(summary.baseline_days)} days before "
        f"{percent(summary.baseline_rate)} of {summary.delivered_baseline:,}.",
        evidence=evidence,
    )


def _steady(summary: ClickSummary, evidence: tuple[str, ...]) -> Finding:
    recent, usual = percent(summary.recent_rate), percent(summary.expected_rate)
    if summary.verdict is Verdict.VOLUME_DIP:
        title = (
            f"click rate {recent} (usual {usual}) fell with deliveries ({_share(summary)} of the "
            "usual): a send-volume dip, not link filtering"
        )
    else:
        title = f"click rate {recent} (usual {usual})"
    return ok("esp.clicks_ok", title, evidence=evidence)


def _share(summary: ClickSummary) -> str:
    share = summary.volume_share
    return "–" if share is None else f"{share:.0%}"


def click_evidence(read: ScopeClicks, signal: ClickSignal) -> tuple[str, ...]:
    """The figures behind a scope's findings: the call, each day (when the signal says something is
    wrong: a steady scope's days are in its series, drawn in the details, not copied as text for
    every row of a 10,000-host fleet), the notes and the test."""
    lines: list[str] = []
    series = read.series
    summary = signal.summary
    steady = summary is not None and summary.verdict in (Verdict.STEADY, Verdict.VOLUME_DIP)
    if series is not None:
        lines.append(
            f"{series.source}, {signal.scope.label}, {series.start.isoformat()} to "
            f"{series.end.isoformat()} ({len(series.days)} days)"
        )
        if not steady or signal.tracking_off:
            lines += [
                f"{day.day.isoformat()}: {day.delivered:,} delivered, {day.unique_clicks:,} "
                "unique clicks"
                for day in series.days
            ]
        lines += list(series.notes)
    if read.tracking is not None:
        lines.append(f"click tracking: {read.tracking.detail}")
    if summary is not None and summary.p_value is not None:
        lines.append(f"one-sided binomial test: p = {summary.p_value:.3g}")
    return (*lines, *read.notes)
