"""One module per CLI command; each exposes `add_parser(subparsers)` and `run(args) -> int`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, NoReturn

from tui.report.exit_codes import EXIT_USAGE


class Parser(argparse.ArgumentParser):
    """argparse with the documented usage-error status (64) instead of argparse's 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[Parser]
    """What `add_parser` receives: the subcommand registry of the `trackdeck` parser."""
