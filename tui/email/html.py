"""Every URL an HTML email body refers to, with the attribute or stylesheet it came from.

The HTML part is read with the standard library's `html.parser` (entities decoded, attributes
unquoted, `<style>` kept as raw text); Outlook's conditional comments (``<!--[if mso]>…<![endif]-->``)
are parsed too, since they hold VML backgrounds that only Outlook loads.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

from checks.names import to_ascii
from checks.printable import printable
from tui.email.linear import defuse

HREF: Final = "href"
SRC: Final = "src"
SRCSET: Final = "srcset"
BACKGROUND: Final = "background"
CSS: Final = "css"
TEXT: Final = "text"
LIST_UNSUBSCRIBE: Final = "list-unsubscribe"
IMAGE_SOURCES: Final = frozenset({SRC, SRCSET, BACKGROUND, CSS})
"""Sources that load an image (or a stylesheet) when the message is displayed."""

_SCHEMES: Final = frozenset({"http", "https", "mailto", ""})
_SRC_ATTRIBUTES: Final = frozenset({"src", "poster"})
_HREF_ATTRIBUTES: Final = frozenset({"href", "action"})
_CSS_URL: Final = re.compile(
    r"""url\(\s*(?:"(?P<dq>[^"\n]*)(?P<dq_end>")?|'(?P<sq>[^'\n]*)(?P<sq_end>')?|(?P<bare>[^)\s]*))"""
    r"""\s*(?P<close>\))?"""
    r"""|@import\s+(?:"(?P<import_dq>[^"\n]*)(?P<import_dq_end>")?|'(?P<import_sq>[^'\n]*)(?P<import_sq_end>')?)""",
    re.IGNORECASE,
)
"""`url(…)` and `@import "…"`. Once started, a match always succeeds and consumes what it read (an
unclosed string ends at the line's end, as in CSS), so the search never rereads the rest of the
stylesheet from every `url(`: linear time. `css_urls` keeps only the complete ones."""
_CSS_COMMENT: Final = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CONDITIONAL: Final = re.compile(r"^\s*\[if[^\]]*\]>(.*?)(?:<!\[endif\]\s*)?$", re.DOTALL)
_MAX_NESTING: Final = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundUrl:
    """One URL of a message and where it came from (`source`, the MIME `part`, the `element`)."""

    url: str
    scheme: str
    host: str | None
    source: str
    part: str
    element: str = ""
    pixel: bool = False

    def __post_init__(self) -> None:
        """Escape control characters: the URL and the element come from the message."""
        object.__setattr__(self, "url", printable(self.url))
        object.__setattr__(self, "element", printable(self.element))


def url_parts(url: str) -> tuple[str, str | None]:
    """(scheme, host) of an absolute URL or a ``mailto:`` address; host None when it has none."""
    try:
        split = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return "", None
    scheme = split.scheme.lower()
    if scheme == "mailto":
        address = urllib.parse.unquote(split.path.split("?")[0].split(",")[0])
        return scheme, _clean_host(address.rpartition("@")[2]) if "@" in address else None
    try:
        host = split.hostname
    except ValueError:
        return scheme, None
    return scheme, _clean_host(host or "")


def _clean_host(host: str) -> str | None:
    """The host in lower case A-labels without a trailing dot; None when it cannot be one."""
    host = host.strip().strip(".").lower()
    if not host or any(char in host for char in " /\\<>\"'`{}|^%") or printable(host) != host:
        return None
    if not host.isascii():
        try:
            host = to_ascii(host)
        except UnicodeError:
            return None
    return host


def make_found(
    url: str, *, source: str, part: str, element: str = "", pixel: bool = False
) -> FoundUrl | None:
    """A FoundUrl for an absolute http(s), protocol-relative or mailto URL with a host, else None."""
    url = url.strip()
    scheme, host = url_parts(url)
    if scheme not in _SCHEMES or host is None or (scheme == "" and not url.startswith("//")):
        return None
    return FoundUrl(
        url=url, scheme=scheme, host=host, source=source, part=part, element=element, pixel=pixel
    )


def split_srcset(value: str) -> tuple[str, ...]:
    """The URLs of a ``srcset`` attribute (candidates are a URL and optional descriptors, by comma)."""
    urls: list[str] = []
    position, length = 0, len(value)
    while position < length:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            position = _skip_descriptors(value, position)
        if url:
            urls.append(url)
    return tuple(urls)


def _skip_descriptors(value: str, position: int) -> int:
    """The position after the descriptors of one srcset candidate (up to a comma outside parens)."""
    depth = 0
    while position < len(value):
        char = value[position]
        position += 1
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            break
    return position


def css_urls(css: str) -> tuple[str, ...]:
    """Every ``url(…)`` and ``@import "…"`` target of a stylesheet or a style attribute."""
    text = _CSS_COMMENT.sub(" ", css)
    found = []
    for match in _CSS_URL.finditer(text):
        url = _complete_css_url(match)
        if url:
            found.append(url)
    return tuple(found)


def _complete_css_url(match: re.Match[str]) -> str:
    """The URL of a `_CSS_URL` match when its strings and parenthesis are closed, else ""."""
    for name in ("import_dq", "import_sq"):
        if match.group(name) is not None:
            return match.group(name) if match.group(name + "_end") else ""
    if not match.group("close"):
        return ""
    for name in ("dq", "sq"):
        if match.group(name) is not None:
            return match.group(name) if match.group(name + "_end") else ""
    return match.group("bare") or ""


def css_declarations(style: str) -> dict[str, str]:
    """A style attribute as property → value (lower case, ``!important`` dropped)."""
    declarations: dict[str, str] = {}
    for item in _CSS_COMMENT.sub(" ", style).split(";"):
        name, _, value = item.partition(":")
        if value:
            clean = value.lower().replace("!important", "").strip()
            declarations[name.strip().lower()] = clean
    return declarations


def _dimension(value: str | None) -> float | None:
    """A width or height in pixels (``1``, ``1px``, ``0``), or None when it is not one."""
    if value is None:
        return None
    text = value.strip().lower().removesuffix("px").strip()
    try:
        return float(text)
    except ValueError:
        return None


def _first_dimension(*values: str | None) -> float | None:
    """The first of `values` that is a pixel dimension."""
    for value in values:
        dimension = _dimension(value)
        if dimension is not None:
            return dimension
    return None


def is_pixel(attributes: Mapping[str, str]) -> bool:
    """The open-tracking pixel heuristic: an image at most 1×1, or one the HTML hides."""
    style = css_declarations(attributes.get("style", ""))
    width = _first_dimension(attributes.get("width"), style.get("width"))
    height = _first_dimension(attributes.get("height"), style.get("height"))
    tiny = width is not None and height is not None and width <= 1 and height <= 1
    hidden = (
        style.get("display") == "none"
        or style.get("visibility") == "hidden"
        or _dimension(style.get("opacity")) == 0
        or _dimension(style.get("max-height")) == 0
    )
    return tiny or hidden


class _Extractor(HTMLParser):
    """Collects URLs from tags, style attributes, `<style>` blocks and conditional comments."""

    def __init__(self, part: str, base: str = "", nesting: int = 0) -> None:
        super().__init__(convert_charrefs=True)
        self.part = part
        self.base = base
        self.nesting = nesting
        self.found: list[FoundUrl] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): value for name, value in attrs if value is not None}
        if tag == "base" and not self.base and "href" in attributes:
            self.base = attributes["href"].strip()
        if tag == "style":
            self._in_style = True
        for name, value in attributes.items():
            self._attribute(tag, name, value, attributes)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._add(css_urls(data), CSS, "style")

    def handle_comment(self, data: str) -> None:
        match = _CONDITIONAL.match(data)
        if match and self.nesting < _MAX_NESTING:
            self.found.extend(
                extract_html_urls(match.group(1), self.part, self.base, self.nesting + 1)
            )

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """Skip a malformed ``<![…`` section: the standard parser raises AssertionError on it."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i)
            return -1 if end < 0 else end + 1

    def _attribute(self, tag: str, name: str, value: str, attributes: Mapping[str, str]) -> None:
        if name in _HREF_ATTRIBUTES and tag != "base":
            self._add((value,), HREF, tag)
        elif name in _SRC_ATTRIBUTES:
            self._add((value,), SRC, tag, pixel=tag == "img" and is_pixel(attributes))
        elif name == "srcset":
            self._add(split_srcset(value), SRCSET, tag)
        elif name == "background":
            self._add((value,), BACKGROUND, tag)
        elif name == "style":
            self._add(css_urls(value), CSS, tag)

    def _add(self, urls: Iterable[str], source: str, element: str, *, pixel: bool = False) -> None:
        for url in urls:
            if not url.strip() or url.strip().startswith("#"):
                continue
            absolute = self._absolute(url.strip())
            found = make_found(
                absolute, source=source, part=self.part, element=element, pixel=pixel
            )
            if found is not None:
                self.found.append(found)

    def _absolute(self, url: str) -> str:
        """`url` resolved against `<base href>` when it is relative and a base is known."""
        if not self.base or ":" in url.split("/", 1)[0] or url.startswith("//"):
            return url
        try:
            return urllib.parse.urljoin(self.base, url)
        except ValueError:
            return url


def extract_html_urls(
    html: str, part: str = "text/html", base: str = "", nesting: int = 0
) -> tuple[FoundUrl, ...]:
    """Every URL in an HTML document, in document order."""
    extractor = _Extractor(part, base, nesting)
    extractor.feed(defuse(html))
    extractor.close()
    return tuple(extractor.found)
