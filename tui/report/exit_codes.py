"""Every exit status trackdeck returns, in one place (the README's table lists the same)."""

from __future__ import annotations

from collections.abc import Iterable

from checks.model import HostReport, Severity

EXIT_OK = 0
"""Every host is ok (or only informational findings)."""
EXIT_WARN = 1
"""The worst finding is a warning."""
EXIT_FAIL = 2
"""Something fails."""
EXIT_UNKNOWN = 3
"""Nothing fails, but something could not be checked."""
EXIT_USAGE = 64
"""A usage or configuration error (BSD's EX_USAGE): bad options, a bad or missing inventory."""
EXIT_SOFTWARE = 70
"""trackdeck itself failed (BSD's EX_SOFTWARE): one line says where the traceback was written."""
EXIT_CANT_CREATE = 73
"""The results could not be written to `--output` (BSD's EX_CANTCREAT); the scan itself ran."""
EXIT_INTERRUPTED = 130
"""Interrupted with Ctrl-C (128 + SIGINT), or a write cancelled while it ran."""
EXIT_BROKEN_PIPE = 141
"""Standard output was closed by its reader (`| head`): 128 + SIGPIPE, as a shell would say."""

EXIT_DECLINED = 1
"""A write command: the user answered no, so nothing was written."""
EXIT_NOTHING_DONE = 1
"""`creds`: nothing was stored or deleted (refused, or the keyring failed)."""
EXIT_NOT_WRITTEN = 1
"""`import`: the fragment was not written (the file exists already)."""
EXIT_ESP_FAILED = 2
"""`import`: the ESP refused or failed."""


def exit_status(reports: Iterable[HostReport]) -> int:
    """2 if anything fails, else 3 if anything is unknown, else 1 for warnings, else 0."""
    worst = Severity.worst(report.health for report in reports)
    return {
        Severity.FAIL: EXIT_FAIL,
        Severity.UNKNOWN: EXIT_UNKNOWN,
        Severity.WARN: EXIT_WARN,
    }.get(worst, EXIT_OK)
