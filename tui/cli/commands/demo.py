"""`trackdeck demo`: the dashboard on a bundled demo fleet in a simulated world (loopback DNS, local
TLS, ESP APIs in process): no network, no credentials."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.commands.scan import finish, scan_fleet
from tui.cli.formats.table import stdout_console
from tui.cli.formats.write import add_format_options, chosen_format
from tui.cli.recording import add_history_options, remember
from tui.history.model import INVENTORY
from tui.history.observe import from_fleet as from_fleet_rows
from tui.inventory.model import Settings
from tui.inventory.paths import state_dir

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
    parser.add_argument(
        "--table",
        action="store_true",
        help="scan headless and print the table (--format table); --json, --format, --output "
        "and --changes scan headless too",
    )
    add_format_options(parser)
    add_history_options(parser, scan=True)
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
        if args.table or args.json or args.format or args.output or args.changes:
            if args.table:
                args.format = args.format or "table"
            if chosen_format(args) == "table" and args.output is None:
                stdout_console().print(
                    f"[dim]demo world: DNS on {world.dns_text}, {world.tls_count} TLS servers "
                    f"and {len(esps.esps)} ESP accounts simulated on loopback; nothing leaves "
                    "this machine[/dim]"
                )
            document, rows = scan_fleet(session.fleet_scan(), "demo")
            hosts = from_fleet_rows(rows)
            if not args.no_history and session.history and session.history_seed:
                session.history_seed(session.history, hosts, document.started_at)
            document = remember(
                document,
                hosts,
                Settings(history=str(session.history) if session.history else None),
                scope=INVENTORY,
                resolvers=(),
                disabled=args.no_history,
            )
            return finish(document, args)
        from tui.app.app import TrackdeckApp  # noqa: PLC0415 - Textual loads only for the dashboard

        TrackdeckApp(session).run()
    return 0
