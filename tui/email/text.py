"""URLs written out in a plain-text part, and RFC 3676 format=flowed undone so wrapped URLs rejoin."""

from __future__ import annotations

import re
from typing import Final

from tui.email.html import TEXT, FoundUrl, make_found

_TEXT_URL: Final = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING: Final = ".,;:!?*'\""
_CLOSERS: Final = {")": "(", "]": "[", "}": "{", ">": "<"}


def text_urls(text: str, part: str = "text/plain") -> tuple[FoundUrl, ...]:
    """The http(s) and mailto URLs written out in plain text, trailing punctuation trimmed."""
    found = []
    for match in _TEXT_URL.finditer(text):
        item = make_found(trim_url(match.group(0)), source=TEXT, part=part)
        if item is not None:
            found.append(item)
    return tuple(found)


def trim_url(url: str) -> str:
    """`url` without the sentence punctuation or unmatched closing bracket that follows it."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: a line ending in a space continues on the next line."""
    lines: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        line = line[1:] if line.startswith(" ") else line
        if line.endswith(" ") and line != "-- ":
            pending += line[:-1] if delsp else line
        else:
            lines.append(pending + line)
            pending = ""
    if pending:
        lines.append(pending)
    return "\n".join(lines)
