"""Terminal escape injection: text from outside (a message's headers, links and mailto hosts; DNS
answers, certificate fields and pages quoted in findings and facts; ESP answers) never reaches an
output with a C0 or C1 control character (tab and newline aside): not the table (even piped), not
the JSON, not `audit-email`'s report, not the dashboard's details or notifications."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from checks.model import Expectation, Facts, Finding, HostReport, Severity
from checks.printable import json_safe, printable, printable_lines
from esp_clients.shapes import printable as esp_printable
from tests.support.fuzzing import CONTROL, fuzz
from tui.app.screens.detail import dns_view, esp_view, finding_label, finding_text
from tui.app.screens.email_audit import shown
from tui.cli.formats.document import from_reports
from tui.cli.formats.table import write_table
from tui.cli.formats.write import FORMATS, render
from tui.email.audit import plan_audit
from tui.email.document import write_json as write_email_json
from tui.email.output import write_report
from tui.email.parse import parse_input
from tui.fleet.rows import FleetRow

HOSTILE = st.lists(
    st.sampled_from(
        ["\x1b", "\x9b", "\x07", "\x00", "\r", "\x08", "\x7f", "\x90", "\x9d", "]", "[", ";",
         "2J", "8;;https://evil.example/\x1b\\", "0;title\x07", "52;c;", "a", " ", "\n", "é"]
    )
    | st.characters(codec="utf-8", max_codepoint=0x9F),
    max_size=12,
).map("".join)  # fmt: skip
"""Text rich in escape sequences: CSI (ESC [ and U+009B), OSC 8 links, OSC 0 titles, OSC 52."""


def _console() -> Console:
    """A piped console: what `trackdeck … | less` or a log file receives."""
    return Console(file=io.StringIO(), width=120, color_system=None, force_terminal=False)


def _text(console: Console) -> str:
    stream = console.file
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def _clean(text: str, where: str) -> None:
    found = CONTROL.search(text)
    assert found is None, f"{where}: {found.group()!r} in {text[max(0, found.start() - 40) :]!r}"


def _encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def _message(subject: str, name: str, path: str, mail_host: str, text: str) -> bytes:
    link = "https://links.brand.example/ls/click?upn=x&url=" + urllib.parse.quote(path, safe="")
    html = (
        f'<a href="{link}">{text}</a> <a href="https://shop.example/{urllib.parse.quote(path)}">'
        f'x</a> <a href="mailto:a@{urllib.parse.quote(mail_host)}">m</a>'
        f'<img src="https://img.example/p.gif?{urllib.parse.quote(text)}" width="1" height="1">'
    )
    return (
        f"From: {_encoded_word(name)} <news@brand.example>\r\n"
        f"Subject: {_encoded_word(subject)}\r\n"
        f"List-Unsubscribe: <mailto:u@{urllib.parse.quote(mail_host)}>\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
        f"{html}\r\n"
    ).encode()


@fuzz(0.3)
@given(subject=HOSTILE, name=HOSTILE, path=HOSTILE, mail_host=HOSTILE, text=HOSTILE)
def test_audit_email_outputs_hold_no_control_character(
    subject: str, name: str, path: str, mail_host: str, text: str
) -> None:
    message = parse_input(_message(subject, name, path, mail_host, text))
    audit = plan_audit(message, source=f"msg{text}.eml")
    for verbose in (False, True):
        console = _console()
        write_report(audit, console, verbose=verbose)
        _clean(_text(console), f"audit-email report (verbose={verbose})")
    stream = io.StringIO()
    write_email_json(audit, stream)
    _clean(stream.getvalue(), "audit-email --json")
    assert json.loads(stream.getvalue())["message"]["subject"] == message.subject
    for row in audit.domains:
        _clean(shown(row.host), "dashboard notification")


def _report(hostile: str) -> HostReport:
    finding = Finding(
        code="tls.untrusted",
        severity=Severity.FAIL,
        title=f"certificate issued by {hostile}",
        detail=f"The issuer {hostile} is not trusted.\nSecond line.",
        fix=f"Replace the certificate {hostile}",
        evidence=(f"issuer: {hostile}", f"CNAME {hostile}"),
    )
    facts = Facts(
        cname_chain=(f"a{hostile}.example",),
        addresses=(hostile,),
        caa_owner=hostile,
        caa_records=(f'0 issue "{hostile}"',),
        tls_issuer=hostile,
        tls_sans=(hostile,),
        tls_not_after=hostile,
        blocklist_answers=(hostile,),
    )
    return HostReport(
        host="links.brand.example", expectation=Expectation(), findings=(finding,), facts=facts
    )


@fuzz(0.5)
@given(hostile=HOSTILE)
def test_check_and_scan_outputs_hold_no_control_character(hostile: str) -> None:
    now = dt.datetime.now(dt.UTC)
    document = from_reports("check", [_report(hostile)], now, now)
    for verbose in (False, True):
        console = _console()
        write_table(document, console, verbose=verbose)
        _clean(_text(console), f"table (verbose={verbose})")
    for name in FORMATS:
        stream = io.StringIO()
        render(document, name, stream, verbose=True)
        text = stream.getvalue()
        if name == "csv":  # RFC 4180 ends every record with CRLF: the only CR allowed
            text = text.replace("\r\n", "\n")
        _clean(text, f"--format {name}")
        if name == "json":
            json.loads(stream.getvalue())


@fuzz(0.5)
@given(hostile=HOSTILE)
def test_the_dashboard_details_hold_no_control_character(hostile: str) -> None:
    report = _report(hostile)
    row = FleetRow(
        key="acme/links.brand.example",
        host="links.brand.example",
        brand="Acme",
        account="acme",
        esp="mailgun",
        esp_label="Mailgun",
        report=report,
    )
    for finding in report.findings:
        _clean(finding_text(finding), "details: finding")
        _clean(finding_label(finding).plain, "details: finding list")
    _clean(dns_view(row), "details: DNS's view")
    _clean(esp_view(row), "details: ESP's view")


@pytest.mark.parametrize("char", [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))])
def test_every_control_character_is_escaped_the_same_way_everywhere(char: str) -> None:
    """One rule: checks.printable, and esp_clients' copy (a room that cannot import it)."""
    text = f"a{char}b"
    assert printable(text) == esp_printable(text) == f"a\\x{ord(char):02x}b"
    kept = char in "\t\n"
    assert printable_lines(text) == (text if kept else printable(text))
    assert CONTROL.search(json_safe(json.dumps(text, ensure_ascii=False))) is None
    assert json.loads(json_safe(json.dumps(text, ensure_ascii=False))) == text
