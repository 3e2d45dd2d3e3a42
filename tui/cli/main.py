"""The `trackdeck` command line: parse, dispatch to a command module, map errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tui.cli.commands import dashboard
from tui.cli.parser import Parser
from tui.fleet.network import REAL_NETWORK, Environment
from tui.report.exit_codes import EXIT_INTERRUPTED, EXIT_USAGE

COMMANDS = ("check", "scan", "demo", "audit-email", "init", "import", "creds", "verify", "https")
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
    dashboard.add_root_options(parser)
    parser.set_defaults(run=dashboard.run)
    return parser


def build_parser() -> Parser:
    """The full command-line grammar."""
    from tui.cli.commands import (  # noqa: PLC0415 - see COMMANDS
        audit_email,
        check,
        creds,
        demo,
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
    audit_email.add_parser(subparsers)
    for command in (init, import_domains, creds, verify, https):
        command.add_parser(subparsers)
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
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        sys.stderr.write("trackdeck: interrupted\n")
        return EXIT_INTERRUPTED
    return status


if __name__ == "__main__":
    raise SystemExit(main())
