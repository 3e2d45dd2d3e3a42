"""`trackdeck audit-email FILE`: every domain in a saved message, how each stands, and whether the
branded tracking domain is used for every link."""

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
    inventory_path,
    load,
    network_options,
)
from tui.cli.formats.table import stdout_console
from tui.fleet.network import ConfigError, build_context
from tui.inventory.model import Inventory, Settings

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands

COMMAND = "audit-email"


def add_parser(subparsers: Subcommands) -> None:
    """Register `audit-email`."""
    parser = subparsers.add_parser(
        COMMAND,
        help="audit a saved message: every domain in it, its reputation, branded vs shared tracking",
        description='Read a message saved from a mail client or "Show original" (.eml), or a '
        "bare HTML file, and check every domain in it: custom and shared tracking hosts, images, "
        "shorteners, IP links, destinations, their URI blocklist verdicts, and the full outside "
        "check of every custom tracking host. Exit status: 0 ok, 1 warnings, 2 failures, "
        "3 unknowns only, 64 usage error or unreadable message.",
    )
    parser.add_argument(
        "file", metavar="FILE", help="the .eml or HTML file, or - to read standard input"
    )
    add_inventory_option(parser)
    parser.add_argument(
        "--max-domains",
        type=int,
        metavar="N",
        help="warn above N distinct outside domains (default: email_max_domains, 10)",
    )
    add_network_options(parser)
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Parse the message, audit it, print the report or JSON; exit like `check`."""
    # The mail parser and the audit load only for this command (the bare `trackdeck` opens the
    # dashboard, whose first frame must not wait for them).
    from tui.email.audit import audit_message, read_input  # noqa: PLC0415 - see above
    from tui.email.document import write_json  # noqa: PLC0415 - see above
    from tui.email.output import exit_status, write_report  # noqa: PLC0415 - see above
    from tui.email.parse import EmailParseError, parse_input  # noqa: PLC0415 - see above

    try:
        message = parse_input(read_input(args.file, sys.stdin.buffer if args.file == "-" else None))
        inventory = optional_inventory(args)
        settings = inventory.settings if inventory else Settings()
        options = network_options(args, settings)
        ctx = build_context(options, args.environment)
        max_domains = _max_domains(args, settings)
    except EmailParseError as error:
        return fail(COMMAND, f"{_shown(args.file)}: {error}")
    except (CommandError, ConfigError, ValueError) as error:
        return fail(COMMAND, str(error))
    audit = audit_message(
        message,
        ctx,
        source=_shown(args.file),
        inventory=inventory,
        max_domains=max_domains,
        concurrency=options.concurrency,
    )
    if args.json:
        write_json(audit, sys.stdout)
    else:
        write_report(audit, stdout_console(), verbose=args.verbose)
    return exit_status(audit)


def optional_inventory(args: argparse.Namespace) -> Inventory | None:
    """The inventory given with -i (its errors stop the command), else the default one if it exists
    and loads (a broken default one is named on stderr and left out), else none."""
    if getattr(args, "inventory", None) is not None:
        return load(args)
    path = inventory_path(args)
    if not path.exists():
        return None
    try:
        return load(args)
    except CommandError as error:
        first = str(error).splitlines()[0]
        print(f"trackdeck {COMMAND}: not using the inventory: {first}", file=sys.stderr)
        return None


def _max_domains(args: argparse.Namespace, settings: Settings) -> int:
    value: int = args.max_domains if args.max_domains is not None else settings.email_max_domains
    if value < 1:
        raise ConfigError("--max-domains must be at least 1")
    return value


def _shown(name: str) -> str:
    return "standard input" if name == "-" else name
