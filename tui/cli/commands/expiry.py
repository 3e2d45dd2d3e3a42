"""`trackdeck expiry`: the certificate-expiry forecast across the fleet, from the scan history —
every tracking host's certificate end date, soonest first, by week, with the ESP-managed ones whose
renewal is overdue flagged."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING

from rich.text import Text

from tui.cli.common import CommandError, add_inventory_option, fail
from tui.cli.formats.table import stdout_console
from tui.cli.history_common import add_store_options, found_inventory, open_history, scope_of
from tui.history.expiry import OVERDUE_DAYS, Expiry, by_week, forecast
from tui.history.model import INVENTORY
from tui.history.observe import CERTIFICATE_NAMES
from tui.report.document import JSON_VERSION, trackdeck_version, utc_text
from tui.report.exit_codes import EXIT_FAIL, EXIT_OK, EXIT_WARN

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `expiry`."""
    parser = subparsers.add_parser(
        "expiry",
        help="which certificates end next: the forecast across the fleet, by week",
        description="Every tracking host's certificate end date from the latest scans (the TLS "
        "check, and the ESP's own data where its API gives it), soonest first, grouped by week: "
        "the inventory's hosts (without one, or with --checked, those of the latest scan). "
        f"An ESP-managed certificate with fewer than {OVERDUE_DAYS} days left is a failing "
        "renewal. Exit status: 0 none ends within --days, 1 some do, 2 one has ended or an ESP "
        "renewal is overdue.",
    )
    parser.add_argument(
        "--days", type=int, default=60, metavar="N", help="look N days ahead (default 60)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document")
    add_inventory_option(parser)
    add_store_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the forecast; the exit status says whether anything needs doing."""
    now = dt.datetime.now(dt.UTC)
    if args.days < 0:
        return fail("expiry", "--days must be 0 or more")
    scope = scope_of(args)
    try:
        inventory = found_inventory(args) if scope == INVENTORY else None
        with open_history(args) as store:
            among = (
                {(entry.account, entry.host) for entry in inventory.entries}
                if inventory is not None
                else store.latest_scanned(scope)
            )
            observed = store.observed_now(scope, CERTIFICATE_NAMES, among)
    except CommandError as error:
        return fail("expiry", str(error))
    items = forecast(observed, now, args.days)
    if args.json:
        json.dump(_document(items, now, args.days), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _table(items, now, args.days)
    return status(items)


def status(items: list[Expiry]) -> int:
    """2 when a certificate has ended or an ESP renewal is overdue, 1 when any ends soon, else 0."""
    if any(item.days_left < 0 or item.overdue for item in items):
        return EXIT_FAIL
    return EXIT_WARN if items else EXIT_OK


def _table(items: list[Expiry], now: dt.datetime, days: int) -> None:
    console = stdout_console()
    if not items:
        console.print(f"No certificate ends within {days} days.")
        return
    for week, entries in by_week(items):
        console.print()
        console.print(Text(f"Week of {week:%Y-%m-%d}", style="bold"))
        for item in entries:
            console.print(_line(item), highlight=False)


def _line(item: Expiry) -> Text:
    account = f" ({item.subject.account})" if item.subject.account else ""
    left = f"{item.days_left} days" if item.days_left >= 0 else f"ended {-item.days_left} days ago"
    verdict: tuple[str, str] = ("", "")
    if item.days_left < 0:
        verdict = ("✗ expired", "bold red")
    elif item.overdue:
        verdict = ("✗ ESP renewal overdue", "bold red")
    elif item.managed:
        verdict = ("ESP renews it", "dim")
    return Text.assemble(
        f"  {item.not_after:%Y-%m-%d}  ",
        (item.subject.host, "bold"),
        account,
        f"  {left}  ",
        (item.issuer or "issuer unknown", "dim"),
        f"  [{item.source}]  ",
        verdict,
    )


def _document(items: list[Expiry], now: dt.datetime, days: int) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "generated_at": utc_text(now),
        "trackdeck_version": trackdeck_version(),
        "days": days,
        "certificates": [
            {
                "host": item.subject.host,
                "account": item.subject.account,
                "not_after": utc_text(item.not_after),
                "days_left": item.days_left,
                "week": f"{week:%Y-%m-%d}",
                "source": item.source,
                "issuer": item.issuer,
                "managed_by_esp": item.managed,
                "renewal_overdue": item.overdue,
            }
            for week, entries in by_week(items)
            for item in entries
        ],
    }
