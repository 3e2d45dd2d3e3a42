"""Fuzzing the `.eml` auditor's reader: any bytes, and the sample messages of tests/data/emails cut,
spliced and altered, give a well-formed ParsedMessage or EmailParseError, never anything else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support.data import EMAILS
from tests.support.fuzzing import fuzz
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
