"""Readers that take time linear in their input, where the obvious tool does not.

- `defuse`, before the standard library's HTML parser: `html.parser` rescans to the end of the input
  for every markup construct that is never closed (a `<a ` with no `>` after it, a `<!--` with no
  `-->`, a `<![endif]` with no `]>`), then reads it as text up to the next `>` and moves on:
  thousands of them make a message take minutes. `defuse` walks the markup once the way the parser
  does and writes the `<` of each such construct, and of the text the parser would read with it,
  as `&lt;`: the parser then reads the same text (and finds the same URLs) without the rescans.
- `BOUNDED_POLICY`, the standard library's `policy.default` reading only the first
  MAX_HEADER_CHARS characters of a header: its header parser is quadratic in a header's length.
- `bracketed` and `title_text`, where a lazy regular expression would rescan from every `<`.
"""

from __future__ import annotations

import email.policy
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

MAX_HEADER_CHARS: Final = 8 * 1024
"""The part of each header that is read (DKIM-Signature, List-Unsubscribe and Content-Type stay far
below it): the standard library's header parser takes time quadratic in a header's length."""

_TITLE_OPEN: Final = re.compile(r"<title", re.IGNORECASE)
_TITLE_CLOSE: Final = re.compile(r"</title", re.IGNORECASE)
_COMMENT_CLOSE: Final = re.compile(r"--\s*>")
"""html.parser's `commentclose`."""
_SECTION_CLOSE: Final = re.compile(r"]\s*>")
"""_markupbase's `_msmarkedsectionclose` (`<![if …]>`, `<![endif]>`)."""
_CDATA_CLOSE: Final = re.compile(r"]\s*]\s*>")
"""_markupbase's `_markedsectionclose` (`<![CDATA[…]]>` and the SGML keywords)."""
_CDATA_KEYWORDS: Final = frozenset({"temp", "cdata", "ignore", "include", "rcdata"})
_SECTION_NAME: Final = re.compile(r"<!\[\s*([a-zA-Z][-_.a-zA-Z0-9]*)")
_TAG_NAME: Final = re.compile(r"<([a-zA-Z][^\t\n\r\f />\x00]*)")
_RAW_TEXT: Final = {
    name: re.compile(rf"</\s*{name}\s*>", re.IGNORECASE) for name in ("script", "style")
}
"""The elements html.parser reads as raw text up to their end tag (CDATA_CONTENT_ELEMENTS)."""


@dataclass(frozen=True, slots=True)
class _Closes:
    """Where the last possible end of each kind of construct starts (-1: none), found once."""

    gt: int
    comment: int
    section: int
    cdata: int

    @classmethod
    def of(cls, text: str) -> _Closes:
        return cls(
            gt=text.rfind(">"),
            comment=_last_start(_COMMENT_CLOSE, text),
            section=_last_start(_SECTION_CLOSE, text),
            cdata=_last_start(_CDATA_CLOSE, text),
        )


def _last_start(pattern: re.Pattern[str], text: str) -> int:
    """Where the last match of `pattern` in `text` starts, or -1."""
    last = -1
    for match in pattern.finditer(text):
        last = match.start()
    return last


def defuse(text: str) -> str:
    """`text` with every never-closed construct, and the text read with it, starting `&lt;`."""
    closes = _Closes.of(text)
    pieces: list[str] = []
    done = 0  # text[:done] is in pieces
    position = text.find("<")
    while 0 <= position < len(text):
        if position > closes.gt:  # no `>` after it: nothing from here on is markup
            pieces += [text[done:position], text[position:].replace("<", "&lt;")]
            done = len(text)
            break
        end = _construct_end(text, position, closes)
        if end is None:  # never closed: text up to the next `>` (or `<`), as the parser reads it
            gt = text.find(">", position + 1)
            end = gt + 1 if gt >= 0 else position + 1
            pieces += [text[done:position], text[position:end].replace("<", "&lt;")]
            done = end
        position = text.find("<", end)
    pieces.append(text[done:])
    return "".join(pieces)


def _construct_end(text: str, position: int, closes: _Closes) -> int | None:
    """Where the construct at `position` ends (the end of text: raw text to the end), or None when
    it never can."""
    if text.startswith("<!--", position):
        match = (
            _COMMENT_CLOSE.search(text, position + 4) if closes.comment >= position + 4 else None
        )
        return match.end() if match else None
    if text.startswith("<![", position):
        return _section_end(text, position, closes)
    tag = _TAG_NAME.match(text, position)
    if tag is None and not text.startswith(("</", "<!", "<?"), position):
        return position + 1  # a lone `<`: text
    gt = text.find(">", position + 1) + 1
    raw_text = _RAW_TEXT.get(tag.group(1).lower()) if tag else None
    if raw_text is None:
        return gt
    end_tag = raw_text.search(text, gt)
    return end_tag.start() if end_tag else len(text)  # raw text is never markup


def _section_end(text: str, position: int, closes: _Closes) -> int | None:
    """Where the marked section at `position` ends, or None when it never can."""
    name = _SECTION_NAME.match(text, position)
    keyword = name.group(1).lower() if name else ""
    cdata = keyword in _CDATA_KEYWORDS
    pattern, last = (_CDATA_CLOSE, closes.cdata) if cdata else (_SECTION_CLOSE, closes.section)
    match = pattern.search(text, position + 3) if last >= position + 3 else None
    return match.end() if match else None


class BoundedPolicy(email.policy.EmailPolicy):
    """`policy.default`, reading only the first MAX_HEADER_CHARS characters of each header."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        """The parsed header, from its first MAX_HEADER_CHARS characters."""
        if isinstance(value, str):
            value = value[:MAX_HEADER_CHARS]
        return super().header_fetch_parse(name, value)  # type: ignore[no-any-return]  # typeshed: Any


BOUNDED_POLICY: Final = BoundedPolicy()


def bracketed(value: str) -> Iterator[str]:
    """Each ``<…>`` of `value`, left to right (one pass: a regex would rescan from every `<`)."""
    opening = value.find("<")
    while opening >= 0:
        closing = value.find(">", opening + 1)
        if closing < 0:
            return
        yield value[opening + 1 : closing]
        opening = value.find("<", closing + 1)


def title_text(text: str) -> str:
    """The text of the first ``<title>`` element, in one pass (a lazy regex is quadratic on
    unclosed titles)."""
    opening = _TITLE_OPEN.search(text)
    tag_end = text.find(">", opening.end()) if opening else -1
    closing = _TITLE_CLOSE.search(text, tag_end) if tag_end >= 0 else None
    if closing is None:
        return ""
    return " ".join(html.unescape(text[tag_end + 1 : closing.start()]).split())
