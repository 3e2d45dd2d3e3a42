"""Reading an account's click figures: once per scope (the account, or a sending domain), for the
hosts the inventory lists and the ESP has, after the domain list and with the same client.

Every call is read-only. A call that fails becomes the reason the figures are unknown (the `esp.*`
wording of `account_problem`), never an exception; an ESP that cannot give the figures says why.
The click-tracking switch is asked only when the figures call for it (`wants_switch`: no clicks
lately, or a fall): while the ESP counts unique clicks at the usual rate, it is rewriting links.
An account whose ESP counts per sending domain (Mailgun, Resend, SES) has a scope per domain: the
first is read alone (it fills what the client keeps per account: Mandrill's senders, SES's VDM
state), the others `SCOPE_WORKERS` at a time, so that the account's rows are not held back long.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from checks.model import Finding, Severity
from esp_clients import Capability, EspClient, EspError, EspUnsupported, TrackingDomain
from esp_clients.engagement import ClickScope, ClickSeries, ClickTracking
from tui.fleet.esp_view import account_problem


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeClicks:
    """What one scope's figures came to: the series (or why there is none) and the switch."""

    scope: ClickScope
    series: ClickSeries | None = None
    tracking: ClickTracking | None = None
    problem: Finding | None = None
    """`esp.clicks_unknown` (the call failed) or `esp.click_stats_unavailable` (the ESP cannot)."""
    notes: tuple[str, ...] = ()
    """What else a reader should know (the click-tracking switch could not be read, and why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountClicks:
    """An account's click figures by scope, and which scope each of its hosts falls in."""

    scopes: Mapping[str, ScopeClicks] = field(default_factory=dict)
    hosts: Mapping[str, str] = field(default_factory=dict)

    def for_host(self, host: str) -> ScopeClicks | None:
        """The figures that cover `host`, if they were read."""
        key = self.hosts.get(host)
        return None if key is None else self.scopes.get(key)


NO_CLICKS = AccountClicks()
SCOPE_WORKERS = 4
"""Scopes of one account read at the same time (after the first)."""
SwitchWanted = Callable[[ClickSeries], bool]
"""Whether a scope's figures call for asking the ESP's click-tracking switch."""


def always(series: ClickSeries) -> bool:
    """Ask the switch whatever the figures say."""
    return True


def read_clicks(
    client: EspClient,
    domains: Iterable[TrackingDomain],
    window: tuple[dt.date, dt.date],
    *,
    account: str,
    wants_switch: SwitchWanted = always,
) -> AccountClicks:
    """The click figures of each scope of `domains`, each scope read once; its click-tracking
    switch too when `wants_switch` says the figures call for it."""
    if Capability.CLICK_STATS not in client.capabilities:
        return NO_CLICKS
    firsts: dict[str, tuple[TrackingDomain, ClickScope]] = {}
    hosts: dict[str, str] = {}
    for domain in domains:
        scope = client.click_scope(domain)
        hosts[domain.host] = scope.key
        firsts.setdefault(scope.key, (domain, scope))
    wanted = list(firsts.values())
    if not wanted:
        return AccountClicks(hosts=hosts)

    def read(pair: tuple[TrackingDomain, ClickScope]) -> ScopeClicks:
        return _read_scope(
            client, pair[0], pair[1], window=window, account=account, wants_switch=wants_switch
        )

    reads = [read(wanted[0])]
    if len(wanted) > 1:
        with ThreadPoolExecutor(max_workers=SCOPE_WORKERS) as pool:
            reads += list(pool.map(read, wanted[1:]))
    return AccountClicks(scopes={each.scope.key: each for each in reads}, hosts=hosts)


def _read_scope(
    client: EspClient,
    domain: TrackingDomain,
    scope: ClickScope,
    *,
    window: tuple[dt.date, dt.date],
    account: str,
    wants_switch: SwitchWanted,
) -> ScopeClicks:
    start, end = window
    try:
        series = client.click_series(domain, start, end)
    except EspUnsupported as error:
        return ScopeClicks(scope=scope, problem=unavailable(client.label, scope, error))
    except EspError as error:
        return ScopeClicks(scope=scope, problem=unknown(client.label, scope, account, error))
    if not wants_switch(series):
        note = "click-tracking switch not asked: the ESP counts unique clicks as usual"
        return ScopeClicks(scope=scope, series=series, notes=(note,))
    tracking, notes = _tracking(client, domain)
    return ScopeClicks(scope=scope, series=series, tracking=tracking, notes=notes)


def _tracking(
    client: EspClient, domain: TrackingDomain
) -> tuple[ClickTracking | None, tuple[str, ...]]:
    unsupported = client.explain(Capability.CLICK_TRACKING)
    if unsupported is not None:
        return None, (f"click-tracking switch not read: {unsupported.reason}",)
    try:
        return client.click_tracking(domain), ()
    except EspError as error:
        return None, (f"click-tracking switch unknown: {error}",)


def unknown(label: str, scope: ClickScope, account: str, error: EspError) -> Finding:
    """`esp.clicks_unknown`: the statistics call failed, said as the domain list's failures are."""
    problem = account_problem(account, label, error)
    return dataclasses.replace(
        problem,
        code="esp.clicks_unknown",
        title=f"click counts unknown: {problem.title}",
        detail=f"{error} The click rate of {scope.label} is unknown, not steady.",
    )


def unavailable(label: str, scope: ClickScope, error: EspUnsupported) -> Finding:
    """`esp.click_stats_unavailable` (info): the ESP cannot give click counts here, and why."""
    return Finding(
        code="esp.click_stats_unavailable",
        severity=Severity.INFO,
        title=f"{label} gives no click counts for {scope.label}",
        detail=f"trackdeck judges the click rate from {label}'s daily deliveries and unique "
        "clicks; here its API cannot give them, so the click signal is not judged (not clean).",
        fix=error.hint,
    )
