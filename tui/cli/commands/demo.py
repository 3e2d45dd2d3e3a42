"""`trackdeck demo`: the dashboard on a bundled demo fleet in a simulated world (loopback DNS, local
TLS, ESP APIs in process): no network, no credentials."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.commands.scan import print_rows
from tui.cli.output import stdout_console
from tui.inventory.paths import state_dir
from tui.report.exit_codes import exit_status

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `demo`."""
    parser = subparsers.add_parser(
        "demo",
        help="the dashboard on a bundled demo fleet (no network, no credentials)",
        description="Start a simulated world on loopback (DNS servers, TLS servers, blocklists, ESP "
        "APIs in process) and open the dashboard on a demo fleet that shows every failure mode "
        "trackdeck finds. Writes (verify, HTTPS) go to the simulated ESPs; they are audited in "
        f"{state_dir() / 'demo-audit.jsonl'}.",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--table", action="store_true", help="scan headless and print the table")
    output.add_argument("--json", action="store_true", help="scan headless and print JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="with --table: evidence too")
    parser.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="refuse every write"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Open the dashboard on the demo fleet, or scan it headless."""
    from tui.app.demo import demo_session  # noqa: PLC0415 - starts servers; load on use

    with demo_session(
        read_only=getattr(args, "read_only", False),
        audit_path=state_dir() / "demo-audit.jsonl",
    ) as (session, world, esps):
        if args.table or args.json:
            if args.table:
                stdout_console().print(
                    f"[dim]demo world: DNS on {world.dns_text}, {world.tls_count} TLS servers "
                    f"and {len(esps.esps)} ESP accounts simulated on loopback; nothing leaves "
                    "this machine[/dim]"
                )
            fleet = session.fleet_scan()
            order = {row.key: index for index, row in enumerate(fleet.rows())}
            rows = sorted(fleet.run(), key=lambda row: order.get(row.key, len(order)))
            print_rows(rows, as_json=args.json, verbose=args.verbose)
            return exit_status([row.merged_report() for row in rows])
        from tui.app.app import TrackdeckApp  # noqa: PLC0415 - Textual loads only for the dashboard

        TrackdeckApp(session).run()
    return 0
