"""`trackdeck verify HOST`: ask the host's ESP to re-check its DNS records (audited)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.actions.model import VERIFY, ActionRefused, find_entry
from tui.cli.common import CommandError, fail
from tui.cli.writes import (
    add_action_options,
    build_actions,
    confirm,
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


def add_parser(subparsers: Subcommands) -> None:
    """Register `verify`."""
    parser = subparsers.add_parser(
        "verify",
        help="ask the host's ESP to verify its DNS records again",
        description="Ask the ESP to re-check the tracking host's DNS records and print what it "
        "says now. Exit status: 0 verified, 1 you answered no, 2 refused, failed or still "
        "unverified, 64 usage or configuration error.",
    )
    add_action_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Confirm, verify, print the ESP's answer (SIGTERM and SIGHUP act as Ctrl-C meanwhile)."""
    with termination_as_interrupt():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Confirm, verify, print the ESP's answer."""
    try:
        actions, inventory = build_actions(args)
        allowed = actions.can(args.host, VERIFY, args.account) is None
        if allowed and not confirm(question(inventory, args), args):
            print("Nothing changed.")
            return EXIT_DECLINED
        result = actions.verify(args.host, args.account)
    except ActionRefused as refused:
        return refusal_status("verify", refused)
    except (CommandError, ConfigError, ValueError) as error:
        return fail("verify", str(error))
    print_result(result)
    return result_status(result)


def question(inventory: Inventory, args: argparse.Namespace) -> str:
    """The confirmation prompt, naming the ESP and the account."""
    entry = find_entry(inventory, args.host, args.account)
    label = account_facts(inventory.account(entry.account)).label
    return f"Ask {label} ({entry.account}) to verify {entry.host}?"
