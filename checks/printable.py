"""Text from outside (email, DNS, TLS, HTTP, ESP APIs) made safe for a terminal: every C0 and C1
control character and DEL written as a visible escape (``\\x1b``), so that no message, DNS answer,
certificate or API answer can move the cursor, clear the screen, set the window title, plant an
OSC 8 link or an OSC 52 clipboard write, in the table, the dashboard, the logs, or the Markdown and
CSV exports. The one rule every output path uses; `esp_clients.shapes.printable` (a room that
cannot import this one) writes the same escapes, and a test holds the two to it."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")
_C1 = re.compile(r"[\x7f-\x9f]")


def _escape(found: re.Match[str]) -> str:
    return "".join(f"\\x{ord(char):02x}" for char in found.group())


def printable(text: str) -> str:
    """`text` on one line: every control character (newlines and tabs too) as ``\\xNN``."""
    return _CONTROL.sub(_escape, text)


def printable_lines(text: str) -> str:
    """`text` with its newlines and tabs kept and every other control character as ``\\xNN``
    (prose our own checks wrote, around values from outside)."""
    return _CONTROL_BUT_LINES.sub(_escape, text)


def printable_all(texts: Iterable[str]) -> tuple[str, ...]:
    """Each of `texts` through `printable`."""
    return tuple(printable(text) for text in texts)


def json_safe(document: str) -> str:
    """A JSON text with DEL and the C1 controls as ``\\u00NN`` escapes: `json.dumps` with
    `ensure_ascii=False` escapes C0 but writes C1 raw, and terminals obey C1 (CSI is U+009B). The
    same JSON value, safe to print."""
    return _C1.sub(lambda found: f"\\u{ord(found.group()):04x}", document)
