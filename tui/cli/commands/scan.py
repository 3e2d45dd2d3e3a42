"""`trackdeck scan`: the whole inventory headless, each host's ESP view beside the outside checks."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from tui.cli.common import (
    CommandError,
    add_inventory_option,
    add_network_options,
    fail,
    load,
    network_options,
)
from tui.cli.formats.document import ScanDocument, from_fleet
from tui.cli.formats.write import add_format_options, chosen_format, emit_or_say
from tui.cli.notify import add_notify_option, notify
from tui.cli.progress import Progress
from tui.cli.recording import add_history_options, changes_only, changes_status, remember
from tui.fleet.network import ConfigError, build_context
from tui.fleet.rows import FleetRow
from tui.fleet.scan import FleetScan
from tui.history.model import INVENTORY
from tui.history.observe import from_fleet as from_fleet_rows
from tui.inventory.credentials import CredentialStore
from tui.report.exit_codes import exit_status

if TYPE_CHECKING:
    from tui.app.session import FleetScanning
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
    add_format_options(parser)
    add_history_options(parser, scan=True)
    add_notify_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Scan the inventory and write the results in the chosen format."""
    try:
        chosen_format(args)
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
    document, rows = scan_fleet(fleet, "scan")
    document = remember(
        document,
        from_fleet_rows(rows),
        inventory.settings,
        scope=INVENTORY,
        resolvers=options.resolvers,
        disabled=args.no_history,
    )
    if args.notify_webhook:
        notify(document, store)
    return finish(document, args)


def finish(document: ScanDocument, args: argparse.Namespace) -> int:
    """Write the document (only the changes with `--changes`); the exit status it stands for."""
    if getattr(args, "changes", False):
        if document.recorded is None:
            return fail(document.command, "--changes needs the history, which is off or unusable")
        document = changes_only(document)
        status = changes_status(document)
    else:
        status = exit_status(row.report for row in document.rows)
    failed = emit_or_say(document, args, document.command)
    return status if failed is None else failed


def scan_fleet(fleet: FleetScanning, command: str) -> tuple[ScanDocument, list[FleetRow]]:
    """Run a fleet scan (progress on a terminal) into a document, rows in inventory order."""
    started = dt.datetime.now(dt.UTC)
    pending = fleet.rows()
    order = {row.key: index for index, row in enumerate(pending)}
    rows = []
    with Progress([row.key for row in pending]) as progress:
        for row in fleet.run():
            rows.append(row)
            progress.finished(row.key)
    rows.sort(key=lambda row: order.get(row.key, len(order)))
    return from_fleet(command, rows, started, dt.datetime.now(dt.UTC)), rows
