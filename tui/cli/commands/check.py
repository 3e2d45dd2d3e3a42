"""`trackdeck check HOST…`: every outside check for hosts given on the command line, no inventory."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TYPE_CHECKING

from checks.engine import Target, scan
from checks.model import HostReport
from checks.names import normalize_host
from esp_clients.facts import all_facts
from esp_clients.registry import ESPS
from tui.cli.common import add_network_options, add_output_options, network_options
from tui.cli.output import stdout_console, write_json, write_table
from tui.fleet.expectations import guess_for_target
from tui.fleet.network import ConfigError, build_context
from tui.report.exit_codes import EXIT_USAGE, exit_status

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `check`."""
    names = sorted({facts.name for facts in all_facts()})
    parser = subparsers.add_parser(
        "check",
        help="check hosts with no inventory (ESP guessed from the CNAME chain)",
        description="Check tracking hosts from outside: DNS, CAA, TLS, HTTP, URI blocklists. "
        "Exit status: 0 ok, 1 warnings, 2 failures, 3 unknowns only, 64 usage error.",
    )
    parser.add_argument("hosts", nargs="+", metavar="HOST")
    parser.add_argument(
        "--esp",
        choices=names,
        metavar="NAME",
        help=f"the ESP the hosts should point at ({', '.join(ESPS)}; "
        "variants like mailgun-eu, sparkpost-eu)",
    )
    add_network_options(parser)
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the hosts and print the table or JSON; the exit status sums up the worst finding."""
    try:
        hosts = list(dict.fromkeys(_host(host) for host in args.hosts))
        options = network_options(args)
        ctx = build_context(options, args.environment)
    except (ValueError, ConfigError) as error:
        print(f"trackdeck check: {error}", file=sys.stderr)
        return EXIT_USAGE
    guess = partial(guess_for_target, esp=args.esp)
    reports = scan(
        [Target(host=host) for host in hosts], ctx, concurrency=options.concurrency, guess=guess
    )
    print_reports(reports, as_json=args.json, verbose=args.verbose)
    return exit_status(reports)


def _host(raw: str) -> str:
    try:
        return normalize_host(raw)
    except ValueError as error:
        raise ValueError(f"{raw!r} is not a valid host name: {error}") from None


def print_reports(reports: list[HostReport], *, as_json: bool, verbose: bool) -> None:
    """Write reports to stdout in the chosen format."""
    if as_json:
        write_json(reports, sys.stdout)
    else:
        write_table(reports, stdout_console(), verbose=verbose)
