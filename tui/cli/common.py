"""What several commands share: the inventory option, loading it with clear errors, network options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.fleet.network import NetworkOptions
from tui.inventory.load import load_inventory
from tui.inventory.model import Inventory, InventoryError, Settings
from tui.inventory.paths import default_inventory_path
from tui.report.exit_codes import EXIT_USAGE


class CommandError(Exception):
    """A problem the user must fix (bad input, missing file); printed as-is, exit 64."""


def add_inventory_option(parser: argparse.ArgumentParser) -> None:
    """`-i FILE` (default: $XDG_CONFIG_HOME/trackdeck/inventory.toml)."""
    parser.add_argument(
        "-i",
        "--inventory",
        type=Path,
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=f"the inventory (default: {default_inventory_path()})",
    )


def add_network_options(parser: argparse.ArgumentParser) -> None:
    """Network options; each overrides the inventory's [settings] when given."""
    parser.add_argument(
        "--resolver",
        action="append",
        default=None,
        metavar="IP[:PORT]",
        help="recursive resolver to use (repeatable; default: the system's)",
    )
    parser.add_argument(
        "--blocklist-resolver",
        action="append",
        default=None,
        metavar="IP[:PORT]",
        help="resolver for URI blocklist queries (public resolvers are refused by the lists)",
    )
    parser.add_argument("--ca-bundle", metavar="FILE", help="trust only these CAs for TLS checks")
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="DNS and connect timeout in seconds (default 2)"
    )
    parser.add_argument(
        "--concurrency", type=int, metavar="N", help="hosts checked at once (default 32)"
    )
    parser.add_argument("--no-blocklists", action="store_true", help="skip URI blocklist queries")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """`--json` and `-v`."""
    parser.add_argument("--json", action="store_true", help="print the versioned JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each finding's evidence")


def network_options(args: argparse.Namespace, settings: Settings | None = None) -> NetworkOptions:
    """Command-line flags over the inventory's settings over the defaults."""
    base = settings or Settings()
    return NetworkOptions(
        resolvers=tuple(args.resolver) if args.resolver else base.resolvers,
        blocklist_resolvers=(
            tuple(args.blocklist_resolver) if args.blocklist_resolver else base.blocklist_resolvers
        ),
        ca_bundle=args.ca_bundle or base.ca_bundle,
        timeout=args.timeout if args.timeout is not None else base.timeout,
        concurrency=args.concurrency if args.concurrency is not None else base.concurrency,
        blocklists=base.blocklists and not args.no_blocklists,
        expiry_warning_days=base.expiry_warning_days,
    )


def inventory_path(args: argparse.Namespace) -> Path:
    """The inventory the user asked for, or the default one."""
    path: Path | None = getattr(args, "inventory", None)
    return path if path is not None else default_inventory_path()


def load(args: argparse.Namespace) -> Inventory:
    """Load the inventory; CommandError with every problem (file, line, field) when it is bad."""
    path = inventory_path(args)
    if not path.exists():
        raise CommandError(
            f"no inventory at {path}: create one with `trackdeck init`, pass -i FILE, "
            "or try `trackdeck demo`"
        )
    try:
        return load_inventory(path)
    except InventoryError as error:
        raise CommandError(str(error)) from None


def fail(command: str, message: str) -> int:
    """Print a one-line (or listed) error for `command` and return the usage status."""
    print(f"trackdeck {command}: {message}", file=sys.stderr)
    return EXIT_USAGE
