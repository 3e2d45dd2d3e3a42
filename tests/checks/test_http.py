"""HTTP check over real TLS on loopback (TlsWorld), plus the pure parsing helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from checks.context import CheckContext
from checks.dnsclient import DnsClient
from checks.http import (
    build_request,
    check_http,
    dechunk,
    parse_cloudflare_error,
    parse_response,
)
from checks.model import Severity
from tui.sim.certificates import TestCertificates
from tui.sim.tls_world import HttpBehaviour, TlsWorld

FIXED_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOST = "links.brand.example"
ADDRESS = "192.0.2.20"
CF_1014_PAGE = (
    b"<!DOCTYPE html><html><head><title>CNAME Cross-User Banned | links.brand.example | "
    b'Cloudflare</title></head><body><h1><span class="cf-error-type">Error</span>'
    b'<span class="cf-error-code">1014</span></h1><p>Ray ID: 8f0e</p></body></html>'
)
CF_HEADERS = (("Server", "cloudflare"), ("CF-Ray", "8f0e1d2c3b4a5968-FRA"))


@pytest.fixture
def world(certificates: TestCertificates) -> Iterator[TlsWorld]:
    with TlsWorld(certificates) as tls_world:
        yield tls_world


def make_context(world: TlsWorld, timeout: float = 1.0) -> CheckContext:
    return CheckContext(
        resolver=DnsClient([]),
        blocklist_resolver=DnsClient([]),
        dialer=world.dialer,
        ca_bundle=str(world.certificates.ca_bundle_path),
        clock=lambda: FIXED_NOW,
        connect_timeout=timeout,
    )


def serve(world: TlsWorld, behaviour: HttpBehaviour, kind: str = "valid") -> CheckContext:
    world.add(ADDRESS, kind=kind, host=HOST, now=FIXED_NOW, behaviour=behaviour)
    return make_context(world)


def test_404_is_ok(world: TlsWorld) -> None:
    findings, probe = check_http(HOST, ADDRESS, serve(world, HttpBehaviour(status=404)))
    assert [(f.code, f.severity) for f in findings] == [("http.ok", Severity.OK)]
    assert findings[0].title == "HTTPS answers 404"
    assert probe.status == 404 and probe.status_line == "HTTP/1.1 404 Not Found"


def test_redirect_is_ok_and_names_the_location(world: TlsWorld) -> None:
    behaviour = HttpBehaviour(status=302, headers=(("Location", "https://www.brand.example/"),))
    findings, probe = check_http(HOST, ADDRESS, serve(world, behaviour))
    assert findings[0].code == "http.ok" and probe.location == "https://www.brand.example/"
    assert findings[0].title == "HTTPS answers 302 (redirect to https://www.brand.example/)"
    assert "Location: https://www.brand.example/" in findings[0].evidence


def test_http_answers_even_when_the_certificate_is_bad(world: TlsWorld) -> None:
    findings, probe = check_http(HOST, ADDRESS, serve(world, HttpBehaviour(), kind="untrusted"))
    assert findings[0].code == "http.ok" and probe.status == 404


def test_503_is_an_http_error(world: TlsWorld) -> None:
    findings, probe = check_http(HOST, ADDRESS, serve(world, HttpBehaviour(status=503)))
    error = findings[0]
    assert (error.code, error.severity) == ("http.error", Severity.FAIL)
    assert error.title == "HTTPS answers 503" and probe.status == 503
    assert "Report the 503" in error.fix and ADDRESS in error.fix
    assert "status line: HTTP/1.1 503 Service Unavailable" in error.evidence


def test_cloudflare_1014_page_says_set_dns_only(world: TlsWorld) -> None:
    behaviour = HttpBehaviour(status=403, headers=CF_HEADERS, body=CF_1014_PAGE)
    findings, probe = check_http(HOST, ADDRESS, serve(world, behaviour))
    error = findings[0]
    assert (error.code, error.severity) == ("http.error", Severity.FAIL)
    assert probe.cloudflare_error == 1014
    assert "1014" in error.title and "CNAME cross-user banned" in error.title
    assert "DNS only (grey cloud)" in error.fix and HOST in error.fix
    assert "CF-Ray: 8f0e1d2c3b4a5968-FRA" in error.evidence
    assert "Server: cloudflare" in error.evidence


def test_chunked_cloudflare_1016_page_is_found(world: TlsWorld) -> None:
    page = b"error code: 1016"
    body = b"%x\r\n" % 6 + page[:6] + b"\r\n" + b"%x\r\n" % (len(page) - 6) + page[6:]
    behaviour = HttpBehaviour(
        status=530,
        headers=(*CF_HEADERS, ("Transfer-Encoding", "chunked")),
        body=body + b"\r\n0\r\n\r\n",
    )
    findings, probe = check_http(HOST, ADDRESS, serve(world, behaviour))
    assert probe.cloudflare_error == 1016
    assert findings[0].title == "Cloudflare error 1016: origin DNS error"
    assert "DNS only (grey cloud)" in findings[0].fix


def test_cloudflare_5xx_without_code_suggests_dns_only(world: TlsWorld) -> None:
    behaviour = HttpBehaviour(status=522, headers=CF_HEADERS, body=b"<html>timeout</html>")
    findings, _ = check_http(HOST, ADDRESS, serve(world, behaviour))
    assert findings[0].severity is Severity.FAIL and "Cloudflare answered" in findings[0].detail
    assert "DNS only (grey cloud)" in findings[0].fix


def test_headers_that_never_finish_are_unknown_within_the_deadline(world: TlsWorld) -> None:
    ctx = serve(world, HttpBehaviour(mode="hang_headers"))
    findings, probe = check_http(HOST, ADDRESS, ctx)
    assert (findings[0].code, findings[0].severity) == ("http.error", Severity.UNKNOWN)
    assert findings[0].title == "no complete HTTP answer within 1s"  # ended by the deadline
    assert probe.status is None and "Re-check" in findings[0].fix


def test_server_that_never_speaks_is_unknown_within_the_deadline(world: TlsWorld) -> None:
    ctx = serve(world, HttpBehaviour(mode="hang_after_accept"))
    findings, _ = check_http(HOST, ADDRESS, ctx)
    assert findings[0].severity is Severity.UNKNOWN and "timed out" in findings[0].title


def test_refused_connection_is_unknown(world: TlsWorld) -> None:
    world.refuse(ADDRESS)
    findings, probe = check_http(HOST, ADDRESS, make_context(world))
    assert findings[0].severity is Severity.UNKNOWN and probe.status is None
    assert "refused" in findings[0].title


def test_network_text_is_sanitised(world: TlsWorld) -> None:
    evil = "nginx\x1b[31m\x07" + "x" * 500
    behaviour = HttpBehaviour(status=302, headers=(("Server", evil), ("Location", "/\x1b]8;;")))
    findings, probe = check_http(HOST, ADDRESS, serve(world, behaviour))
    assert probe.server is not None and len(probe.server) <= 120
    assert all("\x1b" not in line and "\x07" not in line for line in findings[0].evidence)
    assert "\x1b" not in findings[0].title


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<title>Error 1014</title>", 1014),
        ("error code: 1016", 1016),
        ('<span class="cf-error-code">1003</span>', 1003),
        ("ERROR 1001 DNS resolution error", 1001),
        ("no code here, just error 404", None),
        ("error 10145", None),
        ("", None),
    ],
)
def test_parse_cloudflare_error(body: str, expected: int | None) -> None:
    assert parse_cloudflare_error(body) == expected


def test_cloudflare_code_ignored_on_success_or_without_cloudflare() -> None:
    ok_page = b"HTTP/1.1 200 OK\r\nServer: cloudflare\r\n\r\nblog post about Error 1014"
    other = b"HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\nError 1014 in our app"
    for raw in (ok_page, other):
        assert parse_response(ADDRESS, raw, timed_out=False, timeout=1.0).cloudflare_error is None


def test_garbage_answer_is_not_http() -> None:
    probe = parse_response(ADDRESS, b"SSH-2.0-OpenSSH\r\n\r\n", timed_out=False, timeout=1.0)
    assert probe.status is None and probe.error == "the answer is not HTTP"


def test_dechunk_and_request_bytes() -> None:
    assert dechunk(b"5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n") == b"hello world"
    assert dechunk(b"not chunked") == b"not chunked"
    request = build_request("links.brand.example\r\nX-Evil: 1", "/")
    assert request.count(b"\r\n") == 6 and b"\r\nX-Evil" not in request
    assert request.startswith(b"GET / HTTP/1.1\r\nHost: links.brand.exampleX-Evil:1\r\n")
    assert b"User-Agent: trackdeck\r\n" in request and b"Connection: close\r\n" in request
