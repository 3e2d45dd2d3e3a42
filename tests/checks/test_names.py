"""Host names: IDNA 2008 with the UTS 46 mapping wherever a name is converted, and the Unicode form
shown beside the A-label wherever a host is displayed."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from rich.console import Console

from checks.model import Expectation, Facts, Finding, HostReport, Severity
from checks.names import display_host, normalize_host, to_ascii, unicode_form
from tui.cli.formats.document import from_reports
from tui.cli.formats.table import write_table
from tui.cli.formats.write import render
from tui.email.html import url_parts


@pytest.mark.parametrize(
    ("name", "a_label"),
    [
        (
            "links.straße.de",
            "links.xn--strae-oqa.de",
        ),  # IDNA 2003 made it strasse.de: another domain
        ("LINKS.Bücher.DE", "links.xn--bcher-kva.de"),
        ("ｌｉｎｋｓ。bücher.de", "links.xn--bcher-kva.de"),  # UTS 46 maps full-width forms
        ("klick.ελλάς.gr", "klick.xn--hxarsa0b.gr"),  # the final sigma kept (2003: hxarsa5b)
        ("_dmarc.bücher.de", "_dmarc.xn--bcher-kva.de"),  # ASCII labels stay as they are
    ],
)
def test_names_are_converted_by_idna_2008_with_uts46(name: str, a_label: str) -> None:
    assert to_ascii(name) == a_label
    if not name.startswith("_"):
        assert normalize_host(name) == a_label


def test_hosts_in_a_message_are_converted_the_same_way() -> None:
    assert url_parts("https://links.straße.de/c/1") == ("https", "links.xn--strae-oqa.de")
    assert url_parts("mailto:a@straße.de") == ("mailto", "xn--strae-oqa.de")


@pytest.mark.parametrize("name", ["a\u200db.example", "ü\u0378.example", "links.\u2764.example"])
def test_names_idna_2008_refuses_are_refused(name: str) -> None:
    with pytest.raises(UnicodeError):
        to_ascii(name)
    with pytest.raises(ValueError, match="not a valid internationalised name"):
        normalize_host(name)


def test_the_unicode_form_stands_beside_the_a_label() -> None:
    assert unicode_form("links.xn--strae-oqa.de") == "links.straße.de"
    assert unicode_form("links.brand.example") is None
    assert unicode_form("xn--zz.example") is None  # not a valid A-label: shown as it is
    assert display_host("links.xn--strae-oqa.de") == "links.xn--strae-oqa.de (links.straße.de)"
    assert display_host("links.brand.example") == "links.brand.example"


def _report(host: str) -> HostReport:
    finding = Finding(
        code="dns.no_record", severity=Severity.FAIL, title="no record", detail="", fix="add it"
    )
    return HostReport(host=host, expectation=Expectation(), findings=(finding,), facts=Facts())


def test_json_and_table_show_the_unicode_form() -> None:
    reports = [_report("links.xn--strae-oqa.de"), _report("links.brand.example")]
    now = dt.datetime.now(dt.UTC)
    document = from_reports("check", reports, now, now)
    stream = io.StringIO()
    render(document, "json", stream)
    domains = json.loads(stream.getvalue())["domains"]
    assert domains[0]["host"] == "links.xn--strae-oqa.de"
    assert domains[0]["host_unicode"] == "links.straße.de"
    assert "host_unicode" not in domains[1]
    console = Console(file=io.StringIO(), width=160, color_system=None)
    write_table(document, console)
    assert "links.xn--strae-oqa.de (links.straße.de)" in console.file.getvalue()  # type: ignore[attr-defined]  # the StringIO given above
