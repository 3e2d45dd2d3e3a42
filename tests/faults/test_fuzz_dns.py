"""Fuzzing DNS answers: random messages built with dnspython into `interpret_response`; random and
mutated wire bytes over real UDP into `DnsClient`; and every check of a host fed random answers.
Nothing raises, and every result and finding is well-formed (never a listing or a pass from noise
that does not say so)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.context import BlocklistSettings, CheckContext
from checks.dnsanswer import DnsResult, DnsStatus, interpret_response
from checks.dnsclient import DnsClient
from checks.engine import Target, check_host
from checks.model import Finding, Severity
from checks.names import normalize
from tests.support.dns_strategies import (
    LABEL,
    RDTYPES,
    ScriptedResolver,
    hosts,
    names,
    responses,
    wire_of,
)
from tests.support.fuzzing import fuzz
from tui.fleet.expectations import guess_for_target

QUESTION_TYPES = st.sampled_from([*RDTYPES, "ANY"])


def assert_result(result: DnsResult, qname: str, rdtype: str) -> None:
    """A DnsResult as every check expects it."""
    assert isinstance(result.status, DnsStatus)
    assert (result.name, result.rdtype) == (normalize(qname), rdtype)
    assert isinstance(result.ttl, int) and result.ttl >= 0
    assert all(isinstance(record, str) and record for record in result.records)
    assert (result.status is DnsStatus.ANSWER) == bool(result.records)
    assert all(isinstance(a, str) and isinstance(b, str) for a, b in result.cnames)
    assert result.error if result.status is DnsStatus.ERROR else not result.error
    assert isinstance(result.evidence(), str)


@fuzz(1.0)
@given(data=st.data())
def test_interpret_response_reads_any_message(data: st.DataObject) -> None:
    qname = data.draw(names(), label="qname")
    rdtype = data.draw(QUESTION_TYPES, label="rdtype")
    message = data.draw(responses(qname, rdtype), label="response")
    assert_result(
        interpret_response(normalize(qname), rdtype, message, "192.0.2.53"), qname, rdtype
    )


class Replayer:
    """A UDP server on loopback answering every query with `reply`, its first two bytes (the
    message id) replaced by the query's, so the client reads it as the answer to its question."""

    def __init__(self) -> None:
        self.reply = b""
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.05)
        self.server = ("127.0.0.1", int(self.socket.getsockname()[1]))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                query, client = self.socket.recvfrom(65535)
            except TimeoutError:
                continue
            with contextlib.suppress(OSError):
                self.socket.sendto(query[:2] + self.reply[2:], client)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture(scope="module")
def replayer() -> Iterator[Replayer]:
    server = Replayer()
    yield server
    server.close()


@st.composite
def wires(draw: st.DrawFn, qname: str, rdtype: str) -> bytes:
    """Raw bytes, or a real answer's wire cut short or with some bytes changed."""
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        return draw(st.binary(max_size=300))
    wire = bytearray(wire_of(draw(responses(qname, rdtype))))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(wire) - 1))
        wire[position] = draw(st.integers(min_value=0, max_value=255))
    return bytes(wire[: draw(st.integers(min_value=0, max_value=len(wire)))])


@fuzz(0.5)
@given(data=st.data())
def test_dns_client_survives_any_wire_answer(replayer: Replayer, data: st.DataObject) -> None:
    qname = data.draw(LABEL, label="label") + ".fuzz.example"
    rdtype = data.draw(st.sampled_from(RDTYPES), label="rdtype")
    replayer.reply = data.draw(wires(qname + ".", rdtype), label="wire")
    client = DnsClient([replayer.server], timeout=0.2, attempts=1)
    assert_result(client.query(qname, rdtype), qname, rdtype)


class ScriptedContext(CheckContext):
    """A context whose authoritative servers answer from the same script."""

    __slots__ = ()

    def authoritative_client(self, address: str) -> DnsClient:
        return self.resolver


def refuse(address: str, port: int, timeout: float) -> socket.socket:
    raise ConnectionRefusedError(f"{address}:{port} is not part of the fuzzed world")


def scripted(data: st.DataObject) -> Callable[[str, str], DnsResult]:
    """Answers drawn per question, each from a random message about that question."""

    def answer(name: str, rdtype: str) -> DnsResult:
        message = data.draw(responses(name + ".", rdtype, sections=3), label=f"{name} {rdtype}")
        return interpret_response(name, rdtype, message, "192.0.2.53")

    return answer


CODES = frozenset(
    {"dns.no_record", "dns.cname_mismatch", "dns.dangling", "dns.proxied", "dns.not_cname",
     "dns.conflict", "dns.apex", "dns.not_propagated", "dns.lookup_failed", "dns.cname_loop",
     "dns.chain_too_long", "dns.lame_nameserver", "dns.authoritative_failed", "dns.target_unknown",
     "dns.ok", "caa.blocks_issuer", "caa.lookup_failed", "caa.ok", "blocklist.listed",
     "blocklist.not_tested", "blocklist.clean", "tls.unreachable"}
)  # fmt: skip


def assert_finding(finding: Finding) -> None:
    assert finding.code in CODES, finding.code
    assert isinstance(finding.severity, Severity) and finding.title
    assert all(isinstance(text, str) for text in (finding.detail, finding.fix, *finding.evidence))


@fuzz(0.3)
@given(data=st.data())
def test_every_check_of_a_host_survives_any_answers(data: st.DataObject) -> None:
    host = data.draw(hosts(), label="host")
    resolver = ScriptedResolver(scripted(data))
    ctx = ScriptedContext(
        resolver=resolver,
        blocklist_resolver=resolver,
        dialer=refuse,
        blocklists=BlocklistSettings(enabled=True),
    )
    report = check_host(Target(host=host), ctx, guess_for_target)
    for finding in report.findings:
        assert_finding(finding)
    listed = [f for f in report.findings if f.code == "blocklist.listed"]
    assert all(f.severity is Severity.FAIL and "decoded:" in " ".join(f.evidence) for f in listed)


def test_the_drawn_types_cover_every_question_the_checks_ask() -> None:
    asked = {"A", "AAAA", "CNAME", "CAA", "SOA", "NS"}
    assert asked <= set(RDTYPES)
