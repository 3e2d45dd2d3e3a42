"""The `trackdeck` command line: parse, dispatch to a command module, map errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tui.commands import (
    Parser,
    audit_email,
    check,
    creds,
    dashboard,
    demo,
    https,
    import_domains,
    init,
    scan,
    verify,
)
from tui.netconfig import REAL_NETWORK, Environment
from tui.output import EXIT_USAGE


def build_parser() -> Parser:
    """The full command-line grammar."""
    parser = Parser(
        prog="trackdeck",
        description="Find what is wrong with email click-tracking domains, and how to fix it.",
    )
    dashboard.add_root_options(parser)
    parser.set_defaults(run=dashboard.run)
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
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_USAGE
    args.environment = environment
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        sys.stderr.write("trackdeck: interrupted\n")
        return 130
    return status


if __name__ == "__main__":
    raise SystemExit(main())
