"""When trackdeck itself fails: one line on standard error naming the file that holds the traceback
(secret shapes redacted), and exit status 70; `--debug` turns on trackdeck's own log lines."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from pathlib import Path
from typing import TextIO

from tui.inventory.credentials import redact_secret_shapes
from tui.inventory.files import write_new_file
from tui.inventory.paths import state_dir

LOG_FORMAT = "%(asctime)s.%(msecs)03d %(name)s: %(message)s"


def enable_debug_log(stream: TextIO | None = None) -> None:
    """trackdeck's own log lines (ESP requests without secrets, per-host check timings) on stderr.

    Only the `trackdeck` loggers: httpx's own lines would print whole URLs.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    logger = logging.getLogger("trackdeck")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def report_crash(
    error: BaseException, *, directory: Path | None = None, debug: bool = False
) -> None:
    """Write the traceback to a file in the state directory and say so in one line."""
    text = redact_secret_shapes("".join(traceback.format_exception(error)))
    summary = redact_secret_shapes(f"{type(error).__name__}: {error}".splitlines()[0][:200])
    try:
        path = _crash_file(directory or state_dir())
        write_new_file(path, text)
    except OSError as write_error:
        where = f"(the traceback could not be saved: {write_error.strerror}; run with --debug)"
    else:
        where = f"the traceback is in {path}"
    sys.stderr.write(f"trackdeck: internal error ({summary}); {where}. Please report it.\n")
    if debug:
        sys.stderr.write(text)


def _crash_file(directory: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return directory / f"crash-{stamp}.txt"
