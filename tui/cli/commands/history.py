"""`trackdeck history [HOST…]`: the timeline of hosts (or the fleet) from the scan history — each
finding as it appeared, changed or went away, and the observed values as they changed; for hosts
asked by name, the ESP's daily click figures of their click scope and the day the rate fell."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from checks.names import host_of
from esp_clients.engagement import ClickSeries
from tui.cli.common import CommandError, add_inventory_option, fail
from tui.cli.formats.table import stdout_console
from tui.cli.history_common import (
    add_store_options,
    history_settings,
    open_history,
    scope_of,
    since_of,
)
from tui.fleet.clicks import ClickRules, RateFall, fall_line, rate_fall
from tui.history.model import INVENTORY, Observation, Subject, Timeline, Transition
from tui.history.store import HistoryStore
from tui.report.document import JSON_VERSION, trackdeck_version, utc_text
from tui.report.exit_codes import EXIT_OK
from tui.report.style import SEVERITY_STYLE

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands

Event = Transition | Observation
Clicks = dict[Subject, tuple[ClickSeries, RateFall | None]]
"""Each asked host's stored click days (the window shown) and when its rate fell."""


def add_parser(subparsers: Subcommands) -> None:
    """Register `history`."""
    parser = subparsers.add_parser(
        "history",
        help="what changed, and since when: the scan history of hosts or of the fleet",
        description="Each finding of the hosts (all of them without HOST) as it appeared, changed "
        "severity or went away, and the observed values (CNAME target, certificate, the ESP's "
        "state, blocklist verdicts) as they changed, oldest first; for each HOST, the day its "
        "click rate fell, from the ESP's daily figures kept for its click scope.",
    )
    parser.add_argument("hosts", nargs="*", metavar="HOST", help="tracking hosts (default: all)")
    parser.add_argument(
        "--since", metavar="WHEN", help="only since then: 7d, 12h, 2w or a date (2026-11-01)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document")
    add_inventory_option(parser)
    add_store_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the timeline."""
    now = dt.datetime.now(dt.UTC)
    try:
        since = since_of(args.since, now)
        hosts = [_host(word) for word in args.hosts]
        scope = scope_of(args)
        settings = history_settings(args)
        rules = ClickRules.of(settings)
        with open_history(args) as store:
            timeline = store.timeline(scope, hosts, since)
            recorded = store.recorded_hosts(scope, hosts)
            clicks = _clicks(store, scope, hosts, since=since, now=now, rules=rules)
    except CommandError as error:
        return fail("history", str(error))
    unknown = [host for host in dict.fromkeys(hosts) if host not in recorded]
    if args.json:
        document = _document(timeline, since, now, clicks)
        document["not_recorded"] = unknown
        json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _table(timeline, [host for host in hosts if host in recorded], unknown, scope, clicks)
    return EXIT_OK


def _clicks(
    store: HistoryStore,
    scope: str,
    hosts: Sequence[str],
    *,
    since: dt.datetime | None,
    now: dt.datetime,
    rules: ClickRules,
) -> Clicks:
    """The asked hosts' click days since `since` (all kept without it), each with the day its rate
    fell, worked out over enough earlier days for the baseline."""
    shown = since.date() if since else dt.date(1970, 1, 1)
    first, today = rules.fall_search(now.date())
    found: Clicks = {}
    for subject, series in store.click_days(scope, hosts, min(shown, first), today).items():
        days = tuple(entry for entry in series.days if entry.day >= shown)
        if days:
            window = dataclasses.replace(series, start=days[0].day, days=days)
            found[subject] = (window, rate_fall(series, rules))
    return found


def _host(word: str) -> str:
    try:
        return host_of(word)
    except ValueError as error:
        raise CommandError(f"{word!r} is not a valid host name: {error}") from None


def by_host(timeline: Timeline) -> dict[Subject, list[Event]]:
    """Each host's events, oldest first, hosts in the order of their first event."""
    events: list[Event] = [
        *(transition for transition in timeline.transitions if transition.noteworthy),
        *timeline.observations,
    ]
    events.sort(key=lambda event: event.at)
    hosts: dict[Subject, list[Event]] = {}
    for event in events:
        hosts.setdefault(event.subject, []).append(event)
    return hosts


def _table(
    timeline: Timeline, asked: Sequence[str], unknown: Sequence[str], scope: str, clicks: Clicks
) -> None:
    """The timeline; `asked`: the hosts asked for that the history holds, `unknown` the others."""
    console = stdout_console()
    for host in unknown:
        console.print(f"{host} is not in the history ({_never(scope)})", highlight=False)
    if unknown and not asked:
        return
    first = utc_text(timeline.first_scan) if timeline.first_scan else "none yet"
    console.print(f"{timeline.scans} scans (first {first})", style="dim", highlight=False)
    hosts = by_host(timeline)
    if not hosts:
        console.print("nothing changed" + (f" for {', '.join(asked)}" if asked else ""))
    for subject in clicks.keys() - hosts.keys():
        hosts[subject] = []
    for subject, events in hosts.items():
        console.print()
        account = f" ({subject.account})" if subject.account else ""
        console.print(Text.assemble((subject.host, "bold"), account), highlight=False)
        if subject in clicks:
            console.print(Text(f"  {fall_line(*clicks[subject])}", style="magenta"))
        for event in events:
            console.print(_line(event), highlight=False)


def _never(scope: str) -> str:
    if scope == INVENTORY:
        return (
            "no scan of the inventory recorded it; hosts checked with `check --record` need "
            "--checked"
        )
    return "no `check --record` recorded it"


def _line(event: Event) -> Text:
    when = event.at.strftime("%Y-%m-%d %H:%M")
    if isinstance(event, Observation):
        value = event.value if event.value is not None else "(no longer seen)"
        return Text.assemble(f"  {when}  ", (event.name, "cyan"), f" = {value}")
    before = event.before.value if event.before else "—"
    after = event.after.value if event.after else "gone"
    style = SEVERITY_STYLE[event.after] if event.after else "green"
    return Text.assemble(
        f"  {when}  ", (event.code, "dim"), "  ", (f"{before} → {after}", style), f"  {event.title}"
    )


def _document(
    timeline: Timeline, since: dt.datetime | None, now: dt.datetime, clicks: Clicks
) -> dict[str, object]:
    hosts = by_host(timeline)
    for subject in clicks.keys() - hosts.keys():
        hosts[subject] = []
    return {
        "version": JSON_VERSION,
        "generated_at": utc_text(now),
        "trackdeck_version": trackdeck_version(),
        "since": utc_text(since) if since else None,
        "scans": timeline.scans,
        "first_scan": utc_text(timeline.first_scan) if timeline.first_scan else None,
        "hosts": [
            {
                "host": subject.host,
                "account": subject.account,
                "events": [_event(event) for event in events],
                **({"clicks": _clicks_json(*clicks[subject])} if subject in clicks else {}),
            }
            for subject, events in hosts.items()
        ],
    }


def _event(event: Event) -> dict[str, object]:
    if isinstance(event, Observation):
        return {
            "at": utc_text(event.at),
            "kind": "observed",
            "name": event.name,
            "value": event.value,
        }
    return {
        "at": utc_text(event.at),
        "kind": "finding",
        "code": event.code,
        "before": event.before.value if event.before else None,
        "after": event.after.value if event.after else None,
        "title": event.title,
    }


def _clicks_json(series: ClickSeries, fall: RateFall | None) -> dict[str, object]:
    """A host's `clicks` object: its click scope, the days shown and when the rate fell."""
    return {
        "scope": series.scope.key,
        "label": series.scope.label,
        "days": [
            {"day": e.day.isoformat(), "delivered": e.delivered, "unique_clicks": e.unique_clicks}
            for e in series.days
        ],
        "fell_on": fall.fell_on.isoformat() if fall and fall.fell_on else None,
        "rate": round(fall.rate, 6) if fall else None,
        "baseline_rate": round(fall.baseline_rate, 6) if fall else None,
        "line": fall_line(series, fall),
    }
