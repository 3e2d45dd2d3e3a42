"""`trackdeck scan`: the whole inventory headless, each host's ESP view beside the outside checks."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.cli.common import (
    CommandError,
    add_inventory_option,
    add_network_options,
    add_output_options,
    fail,
    load,
    network_options,
)
from tui.cli.output import stdout_console, write_json, write_table
from tui.fleet.network import ConfigError, build_context
from tui.fleet.rows import FleetRow
from tui.fleet.scan import FleetScan
from tui.fleet.view import clicks_cell
from tui.inventory.credentials import CredentialStore
from tui.report.exit_codes import exit_status

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `scan`."""
    parser = subparsers.add_parser(
        "scan",
        help="scan the whole inventory headless (ESP APIs + outside checks)",
        description="Scan every tracking host of the inventory: each ESP's view of it beside "
        "DNS, CAA, TLS, HTTP and blocklist checks. Exit status: 0 ok, 1 warnings, "
        "2 failures, 3 unknowns only, 64 usage or configuration error.",
    )
    add_inventory_option(parser)
    add_network_options(parser)
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Scan the inventory and print the table or JSON."""
    try:
        inventory = load(args)
        options = network_options(args, inventory.settings)
        ctx = build_context(options, args.environment)
    except (CommandError, ConfigError, ValueError) as error:
        return fail("scan", str(error))
    store = getattr(args, "credential_store", None) or CredentialStore()
    fleet = FleetScan(
        inventory,
        ctx,
        store,
        client_factory=getattr(args, "client_factory", None),
        concurrency=options.concurrency,
    )
    order = {row.key: index for index, row in enumerate(fleet.rows())}
    rows = sorted(fleet.run(), key=lambda row: order.get(row.key, len(order)))
    print_rows(rows, as_json=args.json, verbose=args.verbose)
    return exit_status([row.merged_report() for row in rows])


def print_rows(rows: list[FleetRow], *, as_json: bool, verbose: bool) -> None:
    """The fleet as a table with brand and account columns, or JSON with brand, account and the
    click signal's summary (`clicks`, null where the ESP gave no figures)."""
    reports = [row.merged_report() for row in rows]
    if as_json:
        extras = {
            row.key: {"brand": row.brand, "account": row.account, "clicks": _clicks(row)}
            for row in rows
        }
        write_json(reports, sys.stdout, extras)
    else:
        origins = {row.key: (row.brand, row.account) for row in rows}
        clicks = {row.key: clicks_cell(row) for row in rows}
        write_table(reports, stdout_console(), verbose=verbose, origins=origins, clicks=clicks)


def _clicks(row: FleetRow) -> dict[str, object] | None:
    summary = row.click_summary
    return None if summary is None else summary.as_json()
