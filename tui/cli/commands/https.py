"""`trackdeck https enable|disable HOST`: the guarded HTTPS switch (preflight, certificate, flip)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.actions.model import HTTPS_DISABLE, ActionRefused, Preflight, find_entry
from tui.actions.writes import Actions
from tui.cli.common import CommandError, fail
from tui.cli.writes import (
    add_action_options,
    build_actions,
    confirm,
    finding_line,
    print_result,
    refusal_status,
    result_status,
    termination_as_interrupt,
)
from tui.fleet.guess import account_facts
from tui.fleet.network import ConfigError
from tui.inventory.model import Inventory
from tui.report.exit_codes import EXIT_DECLINED

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands

SKIPPED_PREFIXES = ("blocklist.",)


def add_parser(subparsers: Subcommands) -> None:
    """Register `https`."""
    parser = subparsers.add_parser(
        "https",
        help="turn HTTPS on (after a preflight) or off for a tracking host at its ESP",
        description="enable: check DNS, proxy, CAA and the ESP's verification first, request "
        "the certificate, wait until it is active, switch links to https and re-check TLS. "
        "disable: switch links back to http. Exit status: 0 done, 1 you answered no, "
        "2 refused or failed, 64 usage or configuration error, 130 cancelled.",
    )
    parser.add_argument("state", choices=("enable", "disable"), help="on or off")
    add_action_options(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="go ahead even when the preflight finds blocking problems (at your own risk)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch to enable or disable (SIGTERM and SIGHUP act as Ctrl-C meanwhile)."""
    with termination_as_interrupt():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Dispatch to enable or disable; refusals and bad input end with one clear line."""
    command = f"https {args.state}"
    try:
        actions, inventory = build_actions(args)
        if args.state == "enable":
            return enable(actions, inventory, args)
        return disable(actions, inventory, args)
    except ActionRefused as refused:
        return refusal_status(command, refused)
    except (CommandError, ConfigError, ValueError) as error:
        return fail(command, str(error))


def enable(actions: Actions, inventory: Inventory, args: argparse.Namespace) -> int:
    """Preflight (printed), confirmation, then the audited flow with progress lines."""
    preflight = actions.preflight_https(args.host, args.account)
    where = place(inventory, args)
    print_preflight(preflight, where)
    if preflight.passed or args.force:
        if not preflight.passed:
            print("--force: going ahead despite the blocking problems above.")
        if not confirm(f"Turn HTTPS on for {preflight.host} at {where}?", args):
            print("Nothing changed.")
            return EXIT_DECLINED
    print("Working; Ctrl-C stops waiting for the certificate (HTTPS then stays off).")
    result = actions.enable_https(
        preflight.host,
        args.account,
        force=args.force,
        progress=lambda message: print(f"  {message}", flush=True),
        preflight=preflight,
    )
    print_result(result)
    if result.recheck is not None:
        print("TLS re-check:")
        for finding in result.recheck.findings:
            if finding.code.startswith(("tls.", "http.")):
                print(finding_line(finding, blocking_rules=False))
    return result_status(result)


def disable(actions: Actions, inventory: Inventory, args: argparse.Namespace) -> int:
    """Confirmation, then switch links back to http."""
    if actions.can(args.host, HTTPS_DISABLE, args.account) is None:
        where = place(inventory, args)
        question = f"Turn HTTPS off for {args.host} at {where}? Links will go out as http://"
        if not confirm(question, args):
            print("Nothing changed.")
            return EXIT_DECLINED
    result = actions.disable_https(args.host, args.account)
    print_result(result)
    return result_status(result)


def place(inventory: Inventory, args: argparse.Namespace) -> str:
    """ "Mailgun (acme-mg)": the host's ESP and account."""
    entry = find_entry(inventory, args.host, args.account)
    return f"{account_facts(inventory.account(entry.account)).label} ({entry.account})"


def print_preflight(preflight: Preflight, where: str) -> None:
    """Each check with ✓ / ! / ✗, the blocking ones with their fix, and the verdict."""
    print(f"Preflight for {preflight.host} at {where}:")
    for finding in preflight.report.findings:
        if not finding.code.startswith(SKIPPED_PREFIXES):
            print(finding_line(finding, blocking_rules=True))
    if preflight.passed:
        print("Preflight passed: nothing stops the ESP from issuing the certificate.")
