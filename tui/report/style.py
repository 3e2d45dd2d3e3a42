"""How a severity looks: its colour, and its symbol and word (readable with NO_COLOR too)."""

from __future__ import annotations

from rich.text import Text

from checks.model import Severity
from tui.report.summary import SYMBOLS

SEVERITY_STYLE = {
    Severity.FAIL: "bold red",
    Severity.UNKNOWN: "bold magenta",
    Severity.WARN: "yellow",
    Severity.INFO: "cyan",
    Severity.OK: "green",
}


def health_text(severity: Severity) -> Text:
    """The health as symbol + word, styled."""
    return Text(f"{SYMBOLS[severity]} {severity.value}", style=SEVERITY_STYLE[severity])
