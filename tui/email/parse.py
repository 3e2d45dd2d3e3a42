"""Read a saved email message (or a bare HTML file) and list every URL in it with where it came from.

MIME, quoted-printable, base64 and character sets are the standard library's `email` package with
`policy.default`; HTML goes to `tui.email.html`. Malformed or truncated input raises
`EmailParseError` with one sentence saying what is wrong. Nothing here knows any ESP.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Final

from checks.printable import printable, printable_all
from tui.email.html import LIST_UNSUBSCRIBE, FoundUrl, extract_html_urls, make_found, url_parts
from tui.email.linear import BOUNDED_POLICY, bracketed, title_text
from tui.email.text import text_urls, unflow

MAX_BYTES: Final = 50 * 1024 * 1024
"""Larger inputs are refused: no real message is that big, and parsing it would take minutes."""

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_HEADER_END: Final = re.compile(rb"\r?\n[ \t]*\r?\n")
_HEADER_LINE: Final = re.compile(r"^[!-9;-~]+[ \t]*:")
_DKIM_DOMAIN: Final = re.compile(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", re.IGNORECASE)
_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_ERRORS: Final = (
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    LookupError,
    email.errors.HeaderParseError,
)
"""What reading a hostile header can raise inside the standard library's header parser."""
_TRUNCATED_BASE64: Final = (
    email.errors.InvalidBase64LengthDefect,
    email.errors.InvalidBase64PaddingDefect,
)
_MAX_DEPTH: Final = 20


class EmailParseError(ValueError):
    """The input cannot be audited (not a message, malformed MIME, truncated): the text says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedMessage:
    """What the audit needs from a message: who sent it, its authentication domains, its URLs."""

    kind: str
    from_header: str = ""
    from_domain: str | None = None
    subject: str = ""
    dkim_domains: tuple[str, ...] = ()
    return_path_domain: str | None = None
    urls: tuple[FoundUrl, ...] = ()
    parts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Escape control characters in what the message says (an encoded Subject may hold ESC)."""
        for name in ("from_header", "subject"):
            object.__setattr__(self, name, printable(getattr(self, name)))
        for name in ("parts", "notes"):
            object.__setattr__(self, name, printable_all(getattr(self, name)))


def parse_input(data: bytes) -> ParsedMessage:
    """A message (``.eml``, "Show original") or a bare HTML file, told apart by their first bytes."""
    if len(data) > MAX_BYTES:
        raise EmailParseError(f"larger than {MAX_BYTES // 2**20} MB: not a single email message")
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if not body.strip():
        raise EmailParseError("the file is empty")
    if body.startswith(_OLE_MAGIC):
        raise EmailParseError(
            "this is an Outlook .msg file, not a MIME message: save the message as .eml "
            '(or copy it from "Show original" / "View source")'
        )
    if body.startswith(_UTF16_BOMS) or body.lstrip().startswith(b"<"):
        return parse_html_file(body)
    try:
        return parse_message(body)
    except RecursionError:  # the standard library's MIME parser recurses once per nested part
        raise EmailParseError(
            "malformed MIME: the parts are nested hundreds of levels deep, which no mail client "
            "sends; the message cannot be read"
        ) from None


def parse_message(data: bytes) -> ParsedMessage:
    """Every URL of a MIME message: its text parts (HTML and plain) and its List-Unsubscribe."""
    message = email.message_from_bytes(data, policy=BOUNDED_POLICY)
    assert isinstance(message, EmailMessage)  # the policy's message factory
    _check_structure(message, data)
    urls: list[FoundUrl] = list(_list_unsubscribe(message))
    parts: list[str] = []
    notes: list[str] = []
    for part in _text_parts(message, 0):
        text, description, note = _part_text(part)
        parts.append(description)
        notes.extend([note] if note else [])
        label = part.get_content_type()
        found = extract_html_urls(text, label) if label == "text/html" else text_urls(text, label)
        urls.extend(found)
    if not parts:
        notes.append("the message has no text/html or text/plain part: only its headers were read")
    from_header = _header(message, "From")
    return ParsedMessage(
        kind="eml",
        from_header=from_header,
        from_domain=_address_domain(from_header),
        subject=_header(message, "Subject"),
        dkim_domains=_dkim_domains(message),
        return_path_domain=_address_domain(_header(message, "Return-Path")),
        urls=tuple(urls),
        parts=tuple(parts),
        notes=tuple(notes),
    )


def _check_structure(message: EmailMessage, data: bytes) -> None:
    """Refuse what is not a message, and MIME the parser had to guess about (malformed, cut off)."""
    if not _header_names(message):
        raise EmailParseError(
            "not an email message: it does not start with headers (From:, Subject: …) and is not HTML"
        )
    if not _HEADER_END.search(data):
        raise EmailParseError(
            "the file ends inside the headers (no blank line, no body): it is truncated"
        )
    for part in message.walk():
        for defect in part.defects:
            problem = _structural_problem(part, defect, data)
            if problem:
                raise EmailParseError(problem)


def _header_names(message: Message) -> list[str]:
    try:
        return list(message.keys())
    except _HEADER_ERRORS:
        return []


def _structural_problem(part: Message, defect: email.errors.MessageDefect, data: bytes) -> str:
    """The sentence for a defect that makes the parse a guess, or "" for a harmless one."""
    kind = part.get_content_type()
    if isinstance(defect, email.errors.MissingHeaderBodySeparatorDefect):
        return f"malformed headers: {_bad_header_line(data)} is neither a header nor the blank line that ends them"
    if isinstance(defect, email.errors.NoBoundaryInMultipartDefect):
        return f"malformed MIME: the {kind} part has no boundary parameter"
    if isinstance(defect, email.errors.StartBoundaryNotFoundDefect):
        return f"malformed MIME: the boundary of the {kind} part never appears (or the file is cut off)"
    if isinstance(defect, email.errors.CloseBoundaryNotFoundDefect):
        return f"the {kind} part never reaches its closing boundary: the file is truncated"
    return ""


def _bad_header_line(data: bytes) -> str:
    """The first line of the header block that is not a header, quoted (at most 40 characters)."""
    for number, raw in enumerate(data.splitlines()[:500], start=1):
        line = raw.decode("utf-8", "replace")
        if not line.strip():
            break
        if number == 1 and line.startswith("From "):
            continue
        if not _HEADER_LINE.match(line) and not line[:1].isspace():
            shown = line if len(line) <= 40 else line[:39] + "…"
            return f"line {number} ({shown!r})"
    return "a line"


def _text_parts(part: Message, depth: int) -> Iterator[Message]:
    """The text/html and text/plain parts that are displayed (not attachments), in order."""
    if depth > _MAX_DEPTH:
        return
    if part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else ():
            if isinstance(sub, Message):
                yield from _text_parts(sub, depth + 1)
    elif part.get_content_type() in ("text/html", "text/plain") and (
        part.get_content_disposition() != "attachment"
    ):
        yield part


def _part_text(part: Message) -> tuple[str, str, str]:
    """(text, description, note) of one text part, transfer encoding and charset undone."""
    kind = part.get_content_type()
    charset = _param(part, "charset") or "us-ascii"
    encoding = _header(part, "Content-Transfer-Encoding").lower() or "7bit"
    raw = part.get_payload(decode=True)
    payload = raw if isinstance(raw, bytes) else b""
    if any(isinstance(defect, _TRUNCATED_BASE64) for defect in part.defects):
        raise EmailParseError(
            f"the base64 body of the {kind} part is cut off or corrupt: the file is truncated"
        )
    note = ""
    try:
        text = payload.decode(charset, errors="replace")
    except (LookupError, UnicodeError):
        text = payload.decode("utf-8", errors="replace")
        note = f"the {kind} part declares an unknown character set {charset!r}: read as UTF-8"
    if kind == "text/plain" and _param(part, "format").lower() == "flowed":
        text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
    return text, f"{kind}; charset={charset}; {encoding}", note


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except _HEADER_ERRORS:
        return ""
    return value.strip() if isinstance(value, str) else ""


def _header(message: Message, name: str) -> str:
    """One header, decoded (RFC 2047) and unfolded; "" when absent or unreadable."""
    values = _headers(message, name)
    return values[0] if values else ""


def _headers(message: Message, name: str) -> tuple[str, ...]:
    try:
        values = message.get_all(name) or []
        return tuple(" ".join(str(value).split()) for value in values)
    except _HEADER_ERRORS:
        return ()


def _address_domain(text: str) -> str | None:
    """The domain of the first address in a From or Return-Path header."""
    try:
        address = email.utils.parseaddr(text)[1]
    except _HEADER_ERRORS:
        return None
    if "@" not in address:
        return None
    return url_parts(f"mailto:{address}")[1]


def _dkim_domains(message: Message) -> tuple[str, ...]:
    """The distinct ``d=`` domains of the DKIM-Signature headers, in order."""
    domains: list[str] = []
    for value in _headers(message, "DKIM-Signature"):
        match = _DKIM_DOMAIN.search(value)
        domain = url_parts(f"mailto:x@{match.group(1)}")[1] if match else None
        if domain and domain not in domains:
            domains.append(domain)
    return tuple(domains)


def _list_unsubscribe(message: Message) -> Iterator[FoundUrl]:
    """The ``<…>`` URLs of List-Unsubscribe (whitespace inside the brackets is folding, RFC 2369)."""
    for value in _headers(message, "List-Unsubscribe"):
        for inner in bracketed(value):
            found = make_found(
                "".join(inner.split()),
                source=LIST_UNSUBSCRIBE,
                part="header",
                element="List-Unsubscribe",
            )
            if found is not None:
                yield found


def parse_html_file(data: bytes) -> ParsedMessage:
    """Every URL of a bare HTML file (a template or a "view in browser" page); no headers."""
    text, charset, note = decode_html_bytes(data)
    if not text.lstrip().startswith("<"):
        raise EmailParseError("not an email message: UTF-16 text that is not HTML")
    return ParsedMessage(
        kind="html",
        subject=title_text(text),
        urls=extract_html_urls(text, "text/html"),
        parts=(f"text/html; charset={charset}; file",),
        notes=(note,) if note else (),
    )


def decode_html_bytes(data: bytes) -> tuple[str, str, str]:
    """(text, charset, note): BOM, then UTF-8, then the ``<meta charset>``, then Windows-1252."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace"), codec, ""
    try:
        return data.decode("utf-8"), "utf-8", ""
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        charset = declared.group(1).decode("ascii").lower()
        try:
            return data.decode(charset, errors="replace"), charset, ""
        except (LookupError, UnicodeError):
            pass
    note = "the HTML file is not UTF-8 and declares no usable charset: read as Windows-1252"
    return data.decode("cp1252", errors="replace"), "windows-1252", note
