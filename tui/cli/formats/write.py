"""Choosing a format and where it goes: standard output, or a file replaced atomically
(`--output`, safe for node_exporter's textfile collector and for anything reading it meanwhile)."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from rich.console import Console

from tui.cli.formats.csv_rows import write_csv
from tui.cli.formats.document import ScanDocument
from tui.cli.formats.json_document import write_json
from tui.cli.formats.markdown import write_markdown
from tui.cli.formats.prometheus import write_prometheus
from tui.cli.formats.table import stdout_console, write_table
from tui.inventory.files import replace_file
from tui.report.exit_codes import EXIT_CANT_CREATE

FORMATS = ("table", "json", "csv", "markdown", "prometheus")


class OutputError(Exception):
    """`--output` could not be written; the message names the file and why."""


def add_format_options(parser: argparse.ArgumentParser) -> None:
    """`--format`, its `--json` shorthand, `--output FILE` and `-v`."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="how to write the results (default: table)",
    )
    parser.add_argument(
        "--json", action="store_true", help="the versioned JSON document (same as --format json)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE, replaced atomically (for node_exporter's textfile collector)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show each finding's evidence")


def chosen_format(args: argparse.Namespace) -> str:
    """`--format`, or `json` for `--json`; the table by default. ValueError when they disagree."""
    wanted: str | None = getattr(args, "format", None)
    if getattr(args, "json", False):
        if wanted not in (None, "json"):
            raise ValueError(f"--json and --format {wanted} ask for two formats; give one")
        return "json"
    return wanted or "table"


def emit(document: ScanDocument, args: argparse.Namespace) -> None:
    """Write `document` in the chosen format to standard output or, atomically, to `--output`."""
    name = chosen_format(args)
    verbose = bool(getattr(args, "verbose", False))
    output: Path | None = getattr(args, "output", None)
    if output is None:
        render(document, name, sys.stdout, verbose=verbose, console=stdout_console())
        return
    buffer = io.StringIO()
    render(document, name, buffer, verbose=verbose)
    try:
        replace_file(output, buffer.getvalue().encode("utf-8"))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise OutputError(f"cannot write {output}: {reason}") from None


def render(
    document: ScanDocument,
    name: str,
    stream: TextIO,
    *,
    verbose: bool = False,
    console: Console | None = None,
) -> None:
    """`document` in format `name` on `stream` (the table on `console` when one is given)."""
    if name == "table":
        target = console or Console(file=stream, width=160, color_system=None)
        write_table(document, target, verbose=verbose)
        return
    writers: dict[str, Callable[[ScanDocument, TextIO], None]] = {
        "json": write_json,
        "csv": write_csv,
        "markdown": write_markdown,
        "prometheus": write_prometheus,
    }
    writers[name](document, stream)


def emit_or_say(document: ScanDocument, args: argparse.Namespace, command: str) -> int | None:
    """`emit`, or one line on standard error and `EXIT_CANT_CREATE` when `--output` fails."""
    try:
        emit(document, args)
    except OutputError as error:
        print(f"trackdeck {command}: {error}", file=sys.stderr)
        return EXIT_CANT_CREATE
    return None
