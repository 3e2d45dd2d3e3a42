"""Fuzzing the `.eml` auditor's reader: any bytes, and the sample messages of tests/data/emails cut,
spliced and altered, give a well-formed ParsedMessage or EmailParseError, never anything else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.email_inputs import FAMILIES
from tests.support.data import EMAILS
from tests.support.fuzzing import fuzz
from tui.email import html as html_module
from tui.email import parse as email_parse

SAMPLES = tuple(
    path.read_bytes() for path in sorted(EMAILS.glob("*")) if path.suffix in (".eml", ".html")
)
HEADERS = st.sampled_from(
    [b"From: ", b"Content-Type: multipart/alternative; boundary=", b"Content-Transfer-Encoding: ",
     b"base64", b"quoted-printable", b"=?utf-8?b?", b"--", b"\r\n\r\n", b"<a href=\"", b"=\r\n",
     b"List-Unsubscribe: <", b"charset=", b"DKIM-Signature: d="]
)  # fmt: skip


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """Any bytes, or a sample message with pieces cut, replaced or inserted (MIME words too)."""
    if not SAMPLES or draw(st.integers(min_value=0, max_value=4)) == 0:
        return draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        cut = draw(st.integers(min_value=0, max_value=40))
        data[at : at + cut] = draw(HEADERS | st.binary(max_size=12))
    return bytes(data)


@fuzz(0.5)
@given(data=messages())
def test_the_message_reader_raises_only_its_own_error(data: bytes) -> None:
    try:
        parsed = email_parse.parse_input(data)
    except email_parse.EmailParseError as error:
        assert str(error)
        return
    assert isinstance(parsed.kind, str) and parsed.kind
    for found in parsed.urls:
        assert isinstance(found.url, str) and isinstance(found.scheme, str)
        assert found.host is None or isinstance(found.host, str)
    assert all(isinstance(text, str) for text in (*parsed.parts, *parsed.notes))


MARKUP = st.sampled_from(
    ["<", ">", "<a ", "<a href='https://a.example/'>", '<img src="https://i.example/p.gif">', "</a>",
     "<!--", "-->", "-- >", "<!--[if mso]>", "<![endif]", "<![endif]-->", "]>", "]]>", "<![CDATA[",
     "<![if !mso]>", "<!DOCTYPE html>", "<?xml ?>", "<style>", "</style>", "url(", ")", "'", '"',
     "<script>", "</script >", "<p style='background:url(https://s.example/)'>", "x", " ", "\n",
     "&lt;", "&amp;", "</", "<!"]
)  # fmt: skip


@fuzz(3)
@given(pieces=st.lists(MARKUP, max_size=40))
def test_the_linear_guard_finds_exactly_the_urls_the_plain_parser_finds(pieces: list[str]) -> None:
    """`defuse` only spares the parser its rescans: the same URLs, in the same order."""
    markup = "".join(pieces)
    plain = html_module._Extractor("text/html")  # the parser without the guard
    plain.feed(markup)
    plain.close()
    assert html_module.extract_html_urls(markup) == tuple(plain.found)


@fuzz(0.1)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    size=st.integers(min_value=1_000, max_value=200_000),
    junk=st.binary(max_size=40),
)
def test_large_adversarial_messages_give_an_answer(family: str, size: int, junk: bytes) -> None:
    """Every adversarial family (benchmarks/email_inputs.py, timed by `make bench`) at up to
    200 KB, with some junk inside, is read or refused in one sentence, never anything else."""
    data = FAMILIES[family](size)
    at = len(data) // 2
    data = data[:at] + junk + data[at:]
    try:
        parsed = email_parse.parse_input(data)
    except email_parse.EmailParseError as error:
        assert "\n" not in str(error) and str(error)
    else:
        assert parsed.kind in ("eml", "html")
