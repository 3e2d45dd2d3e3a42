"""The versioned JSON shape of a host's result, shared by `check`, `scan`, `demo` and `audit-email`."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
from collections.abc import Mapping

from checks.model import HostReport
from checks.names import unicode_form

JSON_VERSION = 1


def report_json(report: HostReport, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """One domain in the versioned JSON shape."""
    domain: dict[str, object] = {"host": report.host}
    shown = unicode_form(report.host)
    if shown:
        domain["host_unicode"] = shown  # beside the A-label, which is what DNS is asked
    domain["esp"] = report.expectation.esp
    domain.update(extra or {})
    domain["health"] = report.health.value
    domain["findings"] = [finding.as_json() for finding in report.findings]
    return domain


def utc_text(moment: dt.datetime) -> str:
    """An instant as ISO 8601 in UTC, to the second, with a `Z` (`2026-12-06T13:07:26Z`)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@functools.cache
def trackdeck_version() -> str:
    """The installed trackdeck's version (from its package metadata), `0+unknown` when not installed."""
    try:
        return importlib.metadata.version("trackdeck")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
