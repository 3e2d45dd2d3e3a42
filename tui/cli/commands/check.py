"""`trackdeck check HOST…`: every outside check for hosts given on the command line, in a file or on
standard input (a pasted tracking URL counts as its host), with no inventory."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from checks.engine import Scan, Target
from checks.model import HostReport
from checks.names import host_of
from esp_clients.facts import all_facts
from esp_clients.registry import ESPS
from tui.cli.common import (
    CommandError,
    add_inventory_option,
    add_network_options,
    fail,
    network_options,
)
from tui.cli.formats.document import from_reports
from tui.cli.formats.write import add_format_options, chosen_format, emit_or_say
from tui.cli.history_common import history_settings
from tui.cli.progress import Progress
from tui.cli.recording import add_history_options, remember
from tui.fleet.expectations import guess_for_target
from tui.fleet.network import ConfigError, build_context
from tui.history.model import CHECK
from tui.history.observe import from_reports as observed_hosts
from tui.report.exit_codes import exit_status

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


def add_parser(subparsers: Subcommands) -> None:
    """Register `check`."""
    names = sorted({facts.name for facts in all_facts()})
    parser = subparsers.add_parser(
        "check",
        help="check hosts with no inventory (ESP guessed from the CNAME chain)",
        description="Check tracking hosts from outside: DNS, CAA, TLS, HTTP, URI blocklists. "
        "Hosts come from the arguments, from --file, or from standard input with `-`; a pasted "
        "URL counts as its host. Exit status: 0 ok, 1 warnings, 2 failures, 3 unknowns only, "
        "64 usage error.",
    )
    parser.add_argument(
        "hosts", nargs="*", metavar="HOST", help="a host or URL; `-` reads them from standard input"
    )
    parser.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help="read hosts from FILE, one per line (`#` starts a comment)",
    )
    parser.add_argument(
        "--esp",
        choices=names,
        metavar="NAME",
        help=f"the ESP the hosts should point at ({', '.join(ESPS)}; "
        "variants like mailgun-eu, sparkpost-eu)",
    )
    add_network_options(parser)
    add_format_options(parser)
    add_history_options(parser, scan=False)
    add_inventory_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the hosts and write the results; the exit status sums up the worst finding."""
    try:
        chosen_format(args)
        hosts = list(dict.fromkeys(_hosts(args)))
        options = network_options(args)
        ctx = build_context(options, args.environment)
        settings = history_settings(args) if args.record else None
    except (CommandError, ValueError, ConfigError) as error:
        return fail("check", str(error))
    guess = partial(guess_for_target, esp=args.esp)
    targets = [Target(host=host) for host in hosts]
    started = dt.datetime.now(dt.UTC)
    reports = _scan(targets, Scan(targets, ctx, concurrency=options.concurrency, guess=guess))
    document = from_reports("check", reports, started, dt.datetime.now(dt.UTC))
    if settings is not None:
        document = remember(
            document, observed_hosts(reports), settings, scope=CHECK, resolvers=options.resolvers
        )
    failed = emit_or_say(document, args, "check")
    return exit_status(reports) if failed is None else failed


def _scan(targets: list[Target], scan: Scan) -> list[HostReport]:
    """The reports in the order the hosts were given, with progress on a terminal."""
    order = {target.report_key: index for index, target in enumerate(targets)}
    reports = []
    with Progress([target.report_key for target in targets]) as progress:
        for report in scan.run():
            reports.append(report)
            progress.finished(report.key)
    return sorted(reports, key=lambda report: order.get(report.key, 0))


def _hosts(args: argparse.Namespace) -> Iterator[str]:
    """Every host asked for, normalised; CommandError names the first bad one and where it was."""
    words: list[str] = list(args.hosts)
    if not words and args.file is None:
        raise CommandError("give at least one HOST, --file FILE, or - to read hosts from stdin")
    for word in words:
        if word == "-":
            yield from _from_lines(sys.stdin, "standard input")
        else:
            yield _host(word, "")
    if args.file is not None:
        try:
            with args.file.open(encoding="utf-8") as lines:
                yield from _from_lines(lines, str(args.file))
        except OSError as error:
            raise CommandError(f"cannot read {args.file}: {error.strerror or error}") from None


def _from_lines(lines: Iterable[str] | TextIO, source: str) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            yield _host(text, f"{source}:{number}: ")


def _host(raw: str, where: str) -> str:
    try:
        return host_of(raw)
    except ValueError as error:
        raise CommandError(f"{where}{raw!r} is not a valid host name: {error}") from None
