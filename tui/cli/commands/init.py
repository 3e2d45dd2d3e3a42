"""`trackdeck init [PATH]`: write the commented example inventory to a new file (never overwrites)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.inventory.files import write_new_file
from tui.inventory.load import example_inventory_text
from tui.inventory.paths import default_inventory_path
from tui.report.exit_codes import EXIT_NOT_WRITTEN

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `init`."""
    parser = subparsers.add_parser(
        "init",
        help="write the commented example inventory (never overwrites a file)",
        description="Write the commented example inventory to PATH (default: "
        f"{default_inventory_path()}). An existing file is never overwritten.",
    )
    parser.add_argument("path", nargs="?", type=Path, metavar="PATH", help="where to write it")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Create the file, then say what to do next."""
    path: Path = args.path or default_inventory_path()
    try:
        write_new_file(path, example_inventory_text())
    except FileExistsError:
        print(
            f"trackdeck init: {path} already exists and trackdeck never overwrites an inventory; "
            "edit it, or give another PATH",
            file=sys.stderr,
        )
        return EXIT_NOT_WRITTEN
    except OSError as error:
        reason = error.strerror or type(error).__name__
        print(f"trackdeck init: cannot write {path}: {reason}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    option = "" if args.path is None else f" -i {path}"
    print(f"Wrote the example inventory to {path}.")
    print("Next steps:")
    print(f"  1. Edit {path}: your ESP accounts, and each brand's tracking hosts.")
    print("  2. Give each API account its key: trackdeck creds set ACCOUNT")
    print("     (or the environment variable TRACKDECK_SECRET_<ACCOUNT> on a headless host).")
    print(
        f"  3. Check the fleet: trackdeck scan{option}   (or trackdeck{option} for the dashboard)"
    )
    print(f"     trackdeck import ACCOUNT{option} lists what an ESP account already has.")
    return 0
