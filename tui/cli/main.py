"""The `trackdeck` command line: parse, dispatch to a command module, map errors to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tui.cli.commands import dashboard
from tui.cli.parser import Parser
from tui.fleet.network import REAL_NETWORK, Environment
from tui.report.exit_codes import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_SOFTWARE, EXIT_USAGE

COMMANDS = (
    "check",
    "scan",
    "demo",
    "history",
    "expiry",
    "audit-email",
    "init",
    "import",
    "creds",
    "verify",
    "https",
)
"""The subcommands' names: without one (and without --help) `trackdeck` opens the dashboard, and
the other commands' modules, some of which load the whole check engine, are not imported."""


def _names_a_command(words: Sequence[str]) -> bool:
    """Whether the arguments go beyond the dashboard's own: a word that is no option and no
    inventory path (a command, or a typo of one, for argparse to name), or a request for help."""
    for index, word in enumerate(words):
        if word in ("-h", "--help"):
            return True
        after_inventory = index > 0 and words[index - 1] in ("-i", "--inventory")
        if not word.startswith("-") and not after_inventory:
            return True
    return False


def root_parser() -> Parser:
    """The bare `trackdeck` (the dashboard) and its options."""
    parser = Parser(
        prog="trackdeck",
        description="Find what is wrong with email click-tracking domains, and how to fix it.",
    )
    parser.add_argument("--version", action=_Version)
    add_debug_option(parser, default=False)
    dashboard.add_root_options(parser)
    parser.set_defaults(run=dashboard.run)
    return parser


class _Version(argparse.Action):
    """`--version`: the installed version, read from the package metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: object) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            nargs=0,
            help="print trackdeck's version and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from tui.report.document import trackdeck_version  # noqa: PLC0415 - only when asked

        print(f"trackdeck {trackdeck_version()}")
        parser.exit()


def add_debug_option(parser: argparse.ArgumentParser, *, default: object) -> None:
    """`--debug`, before or after the command's name."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="log ESP requests (never their secrets) and check timings on standard error",
    )


def build_parser() -> Parser:
    """The full command-line grammar."""
    from tui.cli.commands import (  # noqa: PLC0415 - see COMMANDS
        audit_email,
        check,
        creds,
        demo,
        expiry,
        history,
        https,
        import_domains,
        init,
        scan,
        verify,
    )

    parser = root_parser()
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    check.add_parser(subparsers)
    scan.add_parser(subparsers)
    demo.add_parser(subparsers)
    history.add_parser(subparsers)
    expiry.add_parser(subparsers)
    audit_email.add_parser(subparsers)
    for command in (init, import_domains, creds, verify, https):
        command.add_parser(subparsers)
    for command_parser in subparsers.choices.values():
        add_debug_option(command_parser, default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None, environment: Environment = REAL_NETWORK) -> int:
    """Entry point of the console script; tests and the demo pass a simulated `environment`."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser() if _names_a_command(words) else root_parser()
    try:
        args = parser.parse_args(words)
    except SystemExit as exit_request:
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_USAGE
    args.environment = environment
    if args.debug:
        from tui.cli.crash import enable_debug_log  # noqa: PLC0415 - only with --debug

        enable_debug_log()
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        sys.stderr.write("trackdeck: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say, or to say it to
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:  # noqa: BLE001 - the last resort: one line and a saved traceback
        from tui.cli.crash import report_crash  # noqa: PLC0415 - only when trackdeck fails

        report_crash(error, debug=args.debug)
        return EXIT_SOFTWARE
    return status


if __name__ == "__main__":
    raise SystemExit(main())
