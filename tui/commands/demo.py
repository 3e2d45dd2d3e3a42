"""`trackdeck demo`: the bundled demo fleet in a simulated world (loopback DNS, local TLS, no network)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.output import exit_status, stdout_console, write_json, write_table

if TYPE_CHECKING:
    from tui.commands import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `demo`."""
    parser = subparsers.add_parser(
        "demo",
        help="scan the bundled demo fleet in a simulated world (no network, no credentials)",
        description="Start a simulated world on loopback (DNS server, TLS servers, blocklists) and "
        "scan a demo fleet that shows every failure mode trackdeck finds.",
    )
    parser.add_argument("--json", action="store_true", help="print the versioned JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each finding's evidence")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Scan the demo fleet headless and print it."""
    from tui.sim.demo import demo_world, scan_demo  # noqa: PLC0415 - starts servers; load on use

    console = stdout_console()
    with demo_world() as world:
        if not args.json:
            console.print(
                f"[dim]demo world: DNS on {world.dns_text}, {world.tls_count} TLS servers "
                "on loopback; nothing leaves this machine[/dim]"
            )
        reports = scan_demo(world)
    if args.json:
        write_json(reports, sys.stdout)
    else:
        write_table(reports, console, verbose=args.verbose)
    return exit_status(reports)
