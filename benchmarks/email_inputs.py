"""Adversarial inputs for the email reader: each family repeats a construct that a careless parser
rescans from every occurrence (unclosed tags, comments, strings, brackets, titles; long headers;
deep MIME nesting). The fuzz tests read them at small sizes, `make bench` times them at large ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final


def message(body: bytes, headers: bytes = b"", kind: bytes = b"text/html") -> bytes:
    """A minimal message around `body`, with extra `headers` (CRLF-terminated)."""
    return (
        b"From: Sender <a@brand.example>\r\nSubject: x\r\n"
        + headers
        + b"Content-Type: "
        + kind
        + b"; charset=utf-8\r\n\r\n"
        + body
    )


def _repeat(unit: bytes, size: int) -> bytes:
    return unit * max(1, size // len(unit))


def _nested(size: int) -> bytes:
    levels = max(1, size // 60)
    return b"From: a@brand.example\r\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level)
        for level in range(levels)
    )


FAMILIES: Final[dict[str, Callable[[int], bytes]]] = {
    "unclosed <title> (HTML file)": lambda n: b"<html><title>" + _repeat(b"<title ", n),
    "unclosed <a  (HTML file)": lambda n: b"<html>" + _repeat(b"<a ", n),
    "unclosed attribute quotes": lambda n: message(_repeat(b"<a x='", n)),
    "unclosed comments": lambda n: message(_repeat(b"<!--x>", n)),
    "unclosed end tags": lambda n: message(_repeat(b"</", n)),
    "unclosed MSO sections": lambda n: message(
        b"<!--[if mso]>" + _repeat(b"<![endif]x>", n) + b"-->"
    ),
    "unclosed CSS url(": lambda n: message(b"<style>" + _repeat(b"url(", n) + b"</style>"),
    "unclosed CSS strings": lambda n: message(
        b"<p style='" + _repeat(b'url("x @import "', n) + b"'>"
    ),
    "unclosed List-Unsubscribe <": lambda n: message(
        b"<p>x</p>", b"List-Unsubscribe: " + _repeat(b"<a ", n) + b"\r\n"
    ),
    "long Content-Type": lambda n: message(
        b"x", kind=b"text/html; " + _repeat(b"a=b; ", n) + b"x=y"
    ),
    "long DKIM-Signature": lambda n: message(
        b"x", b"DKIM-Signature: " + _repeat(b"; ", n) + b"\r\n"
    ),
    "plain-text URL starts": lambda n: message(_repeat(b"http://", n), kind=b"text/plain"),
    "nested multiparts": _nested,
}
"""Each family's input of about n bytes."""
