"""`trackdeck` with no command: the dashboard over the inventory (or how to start without one)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.actions.journal import AuditLog
from tui.app.session import Session
from tui.cli.common import CommandError, inventory_path, load, network_options
from tui.fleet.network import ConfigError, check_options
from tui.history.files import history_path
from tui.inventory.credentials import CredentialStore
from tui.report.exit_codes import EXIT_SOFTWARE, EXIT_USAGE

START_HINT = """\
trackdeck: no inventory at {path}. Ways to start:
  trackdeck demo                   the dashboard on a bundled demo fleet (no network, no credentials)
  trackdeck check links.brand.com  check hosts right away, no inventory or credentials
  trackdeck init                   write a commented example inventory to edit
"""


def add_root_options(parser: argparse.ArgumentParser) -> None:
    """Options of the bare `trackdeck` command (the dashboard)."""
    parser.add_argument(
        "-i",
        "--inventory",
        type=Path,
        metavar="FILE",
        default=None,
        help="the inventory (default: $XDG_CONFIG_HOME/trackdeck/inventory.toml)",
    )
    parser.add_argument("--read-only", action="store_true", help="refuse every write at the ESPs")


def run(args: argparse.Namespace) -> int:
    """Open the dashboard on the inventory."""
    path = inventory_path(args)
    if not path.exists():
        sys.stderr.write(START_HINT.format(path=path))
        return EXIT_USAGE
    try:
        inventory = load(args)
        options = network_options(_no_overrides(), inventory.settings)
        check_options(options)
    except (CommandError, ConfigError, ValueError) as error:
        print(f"trackdeck: {error}", file=sys.stderr)
        return EXIT_USAGE
    store = CredentialStore()
    session = Session(
        inventory=inventory,
        options=options,
        environment=args.environment,
        store=store,
        audit=AuditLog(),
        read_only=args.read_only or inventory.settings.read_only,
        title=f"trackdeck · {path}",
        refresh_interval=inventory.settings.refresh_interval,
        scan_in_child=True,
        history=history_path(inventory.settings.history),
    )
    from tui.app.app import TrackdeckApp  # noqa: PLC0415 - Textual loads only for the dashboard

    app = TrackdeckApp(session)
    app.run()
    if app.terminated_by:  # SIGTERM or SIGHUP: the shell's convention, 128 + the signal
        return 128 + app.terminated_by
    return EXIT_SOFTWARE if app.return_code else 0


def _no_overrides() -> argparse.Namespace:
    return argparse.Namespace(
        resolver=None, blocklist_resolver=None, ca_bundle=None, timeout=None, concurrency=None,
        no_blocklists=False,
    )  # fmt: skip
