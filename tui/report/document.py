"""The versioned JSON shape of a host's result, shared by `check`, `scan`, `demo` and `audit-email`."""

from __future__ import annotations

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
