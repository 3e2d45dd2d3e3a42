"""Reading saved messages: MIME, transfer encodings, charsets, every URL source, clear errors for
malformed and truncated input, and property tests that no input crashes the parser."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.email_inputs import FAMILIES, message
from tests.support.data import EMAILS
from tui.email.html import css_urls, extract_html_urls, is_pixel, split_srcset, url_parts
from tui.email.parse import EmailParseError, ParsedMessage, parse_input
from tui.email.text import text_urls, trim_url, unflow


def parsed(name: str) -> ParsedMessage:
    return parse_input((EMAILS / name).read_bytes())


def urls_by_source(message: ParsedMessage, source: str) -> list[str]:
    return [found.url for found in message.urls if found.source == source]


# --- the corpus ----------------------------------------------------------------------------------


def test_multipart_alternative_reads_both_parts_and_the_headers() -> None:
    message = parsed("branded_sendgrid.eml")
    assert message.kind == "eml"
    assert message.from_header == "Harbour Coffee <news@brand.example>"
    assert message.from_domain == "brand.example"
    assert message.subject == "Autumn blends are here"
    assert message.dkim_domains == ("brand.example",)
    assert message.return_path_domain == "em4412.brand.example"
    assert [part.split(";")[0] for part in message.parts] == ["text/plain", "text/html"]
    parts = {found.part for found in message.urls}
    assert parts == {"header", "text/plain", "text/html"}


def test_quoted_printable_soft_line_breaks_inside_urls_are_joined() -> None:
    message = parsed("branded_sendgrid.eml")
    shop = (
        "https://links-sg.brand.example/ls/click?upn=u001.Pq7Rk2LmX9vT4wZ8nB1cD5eF-2FgH3jK6mN0pQ2rS4tU"
        "-3D-3Dw1Kq_Zt8Y"
    )
    assert shop in urls_by_source(message, "text")
    assert shop in urls_by_source(message, "href")
    assert "https://img.brand.example/logo@2x.png" in urls_by_source(message, "srcset")


def test_list_unsubscribe_gives_its_https_and_mailto_urls() -> None:
    message = parsed("branded_sendgrid.eml")
    assert urls_by_source(message, "list-unsubscribe") == [
        "https://links-sg.brand.example/asm/unsubscribe/?user_id=4412097&data=Qm9vMzVh",
        "mailto:unsubscribe@brand.example?subject=unsubscribe",
    ]


def test_open_pixel_is_recognised_by_its_size() -> None:
    pixels = [found.url for found in parsed("branded_sendgrid.eml").urls if found.pixel]
    assert pixels == [
        "https://links-sg.brand.example/wf/open?upn=u001.Kx2Vb8Nm4Qw6Er0Ty5Ui-2BOp3As7Df-3D"
    ]


def test_base64_html_with_crlf_line_ends() -> None:
    message = parsed("shared_ses.eml")
    assert message.parts == ("text/html; charset=UTF-8; base64",)
    assert message.dkim_domains == ("brand.example", "amazonses.com")
    assert len(urls_by_source(message, "href")) == 2
    assert [found.pixel for found in message.urls if found.source == "src"] == [True]


def test_latin1_and_windows_1252_parts_and_encoded_headers_decode() -> None:
    message = parsed("mandrill_latin1.eml")
    assert message.from_header == "Café du Port <bonjour@brand.example>"
    assert message.subject == "Cafés d'automne – 10 € de réduction"
    assert message.parts == (
        "text/plain; charset=iso-8859-1; quoted-printable",
        "text/html; charset=windows-1252; quoted-printable",
    )
    assert len(urls_by_source(message, "text")) == 1
    assert len(urls_by_source(message, "href")) == 2


def test_shift_jis_base64_text_part_and_iso_2022_jp_headers() -> None:
    message = parsed("ses_branded.eml")
    assert message.from_header == "ハーバーコーヒー <news@brand.example>"
    assert message.subject == "秋のブレンドが届きました"
    assert message.parts == ("text/plain; charset=Shift_JIS; base64",)
    assert all(found.host == "links-ses.brand.example" for found in message.urls)
    assert len(message.urls) == 2


def test_unknown_charset_is_read_as_utf8_with_a_note() -> None:
    message = parsed("unknown_charset.eml")
    assert message.notes == (
        "the text/html part declares an unknown character set 'x-harbour-8': read as UTF-8",
    )
    assert urls_by_source(message, "href") == ["https://www.brand.example/odd"]


def test_css_background_vml_and_picture_sources_are_found() -> None:
    message = parsed("mailchimp_css.eml")
    by_element = {(found.source, found.element) for found in message.urls}
    assert {
        ("css", "style"),
        ("background", "table"),
        ("css", "td"),
        ("src", "v:fill"),
        ("srcset", "source"),
        ("src", "img"),
    } <= by_element
    css = urls_by_source(message, "css")
    assert "https://fonts.cdn-assets.example/css/roboto.css" in css
    assert not any("commented-out" in url for url in css)
    assert "https://mcusercontent.com/a1b2c3d4e5/images/outlook-bg.jpg" in urls_by_source(
        message, "src"
    )


def test_format_flowed_with_delsp_rejoins_wrapped_urls() -> None:
    message = parsed("sparkpost_flowed.eml")
    (first, second) = urls_by_source(message, "text")
    assert first.endswith(
        "/RgRnXyZ8P0Ql9Mk2Tq7Wv4Yb1Ed6Hg3Jn8Lp0Rs5Uw2Xz7Ac4Fe9Ih1Ko6Nq3St8Vx0Za5Cd2Gf7Jh4~"
    )
    assert second.endswith("/RgRnXyQ0Z3Fu9Wq2Er5Ty8Ui1Op4As7Df0Gh3Jk6Lz9Xc2Vb5Nm8A~~")


def test_bare_html_file_uses_its_meta_charset_and_base_href() -> None:
    message = parsed("newsletter.html")
    assert message.kind == "html"
    assert message.subject == "Harbour Coffee – the winter letter"
    assert message.parts == ("text/html; charset=windows-1252; file",)
    urls = [found.url for found in message.urls]
    assert "https://www.brand.example/letters/winter/images/header.jpg" in urls
    assert "https://www.brand.example/letters/winter/archive.html" in urls
    assert "mailto:hello@brand.example" in urls
    assert not any("#top" in url or url.startswith("tel:") for url in urls)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.eml", "the file is empty"),
        ("not_an_email.txt", "not an email message: it does not start with headers"),
        ("outlook.msg", "Outlook .msg file"),
        (
            "malformed_no_boundary.eml",
            "malformed MIME: the multipart/alternative part has no boundary",
        ),
        (
            "malformed_boundary_missing.eml",
            "the boundary of the multipart/mixed part never appears",
        ),
        ("truncated_multipart.eml", "never reaches its closing boundary: the file is truncated"),
        ("truncated_base64.eml", "base64 body of the text/html part is cut off"),
        ("truncated_headers.eml", "ends inside the headers"),
    ],
)
def test_malformed_and_truncated_input_gives_one_clear_error(name: str, words: str) -> None:
    with pytest.raises(EmailParseError) as caught:
        parsed(name)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_stray_line_in_the_headers_is_named() -> None:
    data = b"From: a@brand.example\nthis is not a header\nSubject: x\n\nbody https://x.example/\n"
    with pytest.raises(
        EmailParseError, match=r"malformed headers: line 2 \('this is not a header'\)"
    ):
        parse_input(data)


def test_an_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(EmailParseError, match="larger than 50 MB"):
        parse_input(b"From: a@b.example\n\n" + b"x" * (50 * 1024 * 1024))


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "urls"),
    [
        ("a.png 1x, b.png 2x", ("a.png", "b.png")),
        ("a.png,b.png", ("a.png,b.png",)),
        ("a.png, b.png", ("a.png", "b.png")),
        ("https://x.example/i.png?w=1,2 480w, https://x.example/j.png 800w", (
            "https://x.example/i.png?w=1,2", "https://x.example/j.png")),
        ("a.png (min-width: 1px, 2px) 1x, b.png", ("a.png", "b.png")),
        ("  ", ()),
    ],
)  # fmt: skip
def test_srcset_candidates(value: str, urls: tuple[str, ...]) -> None:
    assert split_srcset(value) == urls


def test_css_urls_quoted_unquoted_and_imports() -> None:
    css = (
        "a{background:url( 'q.png' )} b{background:URL(\"d.png\")} c{x:url(u.png)} @import 'i.css';"
    )
    assert css_urls(css) == ("q.png", "d.png", "u.png", "i.css")


@pytest.mark.parametrize(
    ("attributes", "pixel"),
    [
        ({"width": "1", "height": "1"}, True),
        ({"width": "0", "height": "0"}, True),
        ({"style": "width:1px;height:1px"}, True),
        ({"style": "display: none !important"}, True),
        ({"style": "visibility:hidden"}, True),
        ({"width": "1", "height": "60"}, False),
        ({"width": "600"}, False),
        ({}, False),
    ],
)
def test_pixel_heuristic(attributes: dict[str, str], pixel: bool) -> None:
    assert is_pixel(attributes) is pixel


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("see https://x.example/a.", "https://x.example/a"),
        ("(https://x.example/a)", "https://x.example/a"),
        ("https://x.example/wiki/A_(b))", "https://x.example/wiki/A_(b)"),
        ("<https://x.example/a?b=c>,", "https://x.example/a?b=c"),
        ('"https://x.example/q"!', "https://x.example/q"),
    ],
)
def test_text_urls_lose_trailing_punctuation(text: str, url: str) -> None:
    assert [found.url for found in text_urls(text)] == [url]
    assert trim_url(url + "),.") == url


def test_url_parts_of_odd_urls() -> None:
    assert url_parts("HTTPS://Links.Brand.Example./x") == ("https", "links.brand.example")
    assert url_parts("https://brand.example@evil.example/") == ("https", "evil.example")
    assert url_parts("http://[::1]:8080/") == ("http", "::1")
    assert url_parts("http://[broken/") == ("", None)
    assert url_parts("https://bücher.example/") == ("https", "xn--bcher-kva.example")
    assert url_parts("mailto:a@Brand.Example?subject=x") == ("mailto", "brand.example")


def test_relative_and_script_urls_are_not_urls_of_the_message() -> None:
    html = (
        '<a href="/relative">r</a><a href="javascript:alert(1)">j</a><img src="cid:logo">'
        '<img src="data:image/png;base64,AAAA"><a href="//cdn.example/x">p</a>'
    )
    assert [found.url for found in extract_html_urls(html)] == ["//cdn.example/x"]


def test_unflow_keeps_the_signature_separator() -> None:
    assert unflow("a \nb\n-- \nsig", delsp=False) == "a b\n-- \nsig"
    assert unflow("https://x.example/ab \ncd", delsp=True) == "https://x.example/abcd"


def test_a_thousand_nested_multiparts_are_refused_in_one_sentence() -> None:
    """The standard library's MIME parser recurses once per level: RecursionError, not an answer."""
    with pytest.raises(EmailParseError, match="nested hundreds of levels deep") as caught:
        parse_input(FAMILIES["nested multiparts"](60_000))
    assert "\n" not in str(caught.value)


def test_unclosed_titles_brackets_and_css_strings_find_what_is_closed() -> None:
    html_file = b"<html><TITLE lang=en>Sale &amp; more</Title><title>x" + b"<title " * 50
    assert parse_input(html_file).subject == "Sale & more"
    assert parse_input(b"<html><title>no end" + b"<title " * 50).subject == ""
    unsubscribe = b"List-Unsubscribe: <mailto:u@list.example>, <https://u.example/\r\n x> <a<b"
    urls = [found.url for found in parse_input(message(b"x", unsubscribe + b"\r\n")).urls]
    assert urls == ["mailto:u@list.example", "https://u.example/x"]
    css = "a{b:url( 'https://a.example/1' )} c{d:url(https://b.example/2)} @import 'https://c.example/3';"
    assert css_urls(css) == ("https://a.example/1", "https://b.example/2", "https://c.example/3")
    unclosed = 'url("https://x.example/\n) url(https://y.example/ @import "https://z.example/'
    assert css_urls(unclosed) == ()


def test_never_closed_markup_is_read_as_text_up_to_the_next_angle_bracket() -> None:
    """As html.parser reads it without the linear guard (and as browsers do for `<![`)."""
    html = '<a href="https://a.example/">a</a><!-- x <a href="https://b.example/">b</a><p>'
    assert [found.host for found in extract_html_urls(html)] == ["a.example"]
    html = '<a href="https://a.example/">a</a><![endif] <a href="https://c.example/">c</a><a '
    assert [found.host for found in extract_html_urls(html)] == ["a.example"]
    html = '<style>a<!--b{background:url(https://s.example/)}</style><a href="https://f.example/">'
    assert [found.host for found in extract_html_urls(html)] == ["s.example", "f.example"]


def test_malformed_marked_sections_do_not_stop_the_html_parser() -> None:
    html = '<![From: x><a href="https://after.example/">a</a><![if !mso]><a href="https://b.example/">b</a>'
    assert [found.host for found in extract_html_urls(html)] == ["after.example", "b.example"]


# --- properties ----------------------------------------------------------------------------------

_PIECES = [
    b"From: a@b.example\n", b"Subject: ", b"Content-Type: ", b"multipart/alternative; boundary=b",
    b"text/html; charset=", b"text/plain; format=flowed; charset=", b"utf-8", b"x-nope", b"zlib",
    b"Content-Transfer-Encoding: ", b"base64", b"quoted-printable", b"\n", b"\r\n", b"--b", b"--b--",
    b"<a href='https://x.example/'>", b"<![", b"<!--[if mso]>", b"<![endif]-->", b"=3D", b"=\n",
    b"List-Unsubscribe: <", b">", b"DKIM-Signature: d=", b"=?utf-8?b?", b"?=", b"url(", b"srcset=",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    try:
        result = parse_input(data)
    except EmailParseError as error:
        assert str(error)
    else:
        assert result.kind in ("eml", "html")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.binary(max_size=6)), max_size=40))
def test_message_shaped_bytes_never_crash_the_parser(pieces: list[bytes]) -> None:
    try:
        result = parse_input(b"".join(pieces))
    except EmailParseError as error:
        assert str(error)
    else:
        assert all(found.host for found in result.urls)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_arbitrary_html_text_never_crashes_the_extractor(html: str) -> None:
    for found in extract_html_urls(html):
        assert found.host
