"""Many questions at once (`DnsClient.prefetch`): every answer, failure and fallback reads exactly as
the same question asked alone, and the fast wire reader agrees with dnspython's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.zone
import pytest

from checks.dnsanswer import DnsResult, DnsStatus, interpret_response, name_problem
from checks.dnsclient import AnswerCache, DnsClient
from checks.dnssend import QueryIds
from checks.dnswire import fast_interpret
from tests.support.worlds import world_zones
from tui.sim.dns_server import DnsServer, Rule, build_response, to_wire
from tui.sim.zones import resolve, zones_from_text

FAULTS = """
$ORIGIN faults.test.
$TTL 60
@ IN SOA ns1.faults.test. hostmaster.faults.test. 1 3600 600 86400 30
@ IN NS ns1.faults.test.
ns1 IN A 127.0.0.2
ok IN A 192.0.2.1
"""
BIG = "".join(f"big IN A 192.0.2.{index}\n" for index in range(1, 60))


def _names(zones: dict[str, dns.zone.Zone]) -> list[str]:
    """Every owner name of the zones, and a name below each that does not exist."""
    names: list[str] = []
    for zone in zones.values():
        for owner in zone.nodes:
            text = owner.to_text().rstrip(".").lower()
            names += [text, f"nope.{text}"]
    return sorted(set(names))


def _wire(zones: dict[str, dns.zone.Zone], name: str) -> bytes:
    by_origin = {zone.origin or dns.name.from_text(key): zone for key, zone in zones.items()}
    query = dns.message.make_query(name, "A")
    answer = resolve(by_origin, dns.name.from_text(name), dns.rdatatype.A, authoritative=False)
    return to_wire(build_response(query, answer, recursion_available=True), 65535)


def test_fast_reading_equals_dnspython_reading_for_every_test_name() -> None:
    zones = world_zones()
    fast_count = 0
    for name in _names(zones):
        wire = _wire(zones, name)
        expected = interpret_response(name, "A", dns.message.from_wire(wire), "127.0.0.1")
        fast = fast_interpret(name, "A", wire, "127.0.0.1")
        if fast is not None:
            fast_count += 1
            assert fast == expected, name
    assert fast_count > 100  # the common shapes (answers, chains, NXDOMAIN, NODATA) are read fast


def test_fast_reading_declines_what_it_does_not_know() -> None:
    zones = world_zones()
    wire = _wire(zones, "links-mg.brand.example")
    assert fast_interpret("links-mg.brand.example", "A", wire[:30], "x") is None
    assert fast_interpret("links-mg.brand.example", "AAAA", wire, "x") is None
    refused = bytearray(wire)
    refused[3] = (refused[3] & 0xF0) | 5
    assert fast_interpret("links-mg.brand.example", "A", bytes(refused), "x") is None


@pytest.fixture
def server() -> Iterator[DnsServer]:
    zones = world_zones()
    zones.update(zones_from_text({"faults.test": FAULTS + BIG}))
    with DnsServer(zones) as started:
        yield started


def _alone(server: DnsServer, names: list[str], *, timeout: float = 2.0) -> dict[str, DnsResult]:
    client = DnsClient([server.server], timeout=timeout, cache=AnswerCache())
    return {name: client.query(name, "A") for name in names}


def _together(
    server: DnsServer, names: list[str], *, timeout: float = 2.0, window: int = 64
) -> dict[str, DnsResult]:
    client = DnsClient([server.server], timeout=timeout, cache=AnswerCache())
    asked = client.prefetch(((name, "A") for name in names), window=window)
    assert asked == len(set(names))
    server.reset_log()
    results = {name: client.query(name, "A") for name in names}
    assert server.queries == ()  # every answer came from the prefetch
    return results


def test_prefetched_answers_equal_answers_asked_alone(server: DnsServer) -> None:
    names = _names(world_zones())[:400]
    assert _together(server, names, window=16) == _alone(server, names)


def test_failures_read_the_same_when_asked_together(server: DnsServer) -> None:
    server.set_rules(
        [
            Rule(name="dropped.faults.test", drop=True),
            Rule(name="refused.faults.test", rcode="REFUSED"),
            Rule(name="servfail.faults.test", rcode="SERVFAIL"),
            Rule(name="garbage.faults.test", malformed=True),
            Rule(name="big.faults.test", truncate_udp=True),
        ]
    )
    names = [f"{kind}.faults.test" for kind in ("dropped", "refused", "servfail", "garbage", "big")]
    names.append("ok.faults.test")
    together = _together(server, names, timeout=0.3)
    assert together == _alone(server, names, timeout=0.3)
    assert together["dropped.faults.test"].error.startswith("timeout after 0.6s")
    assert together["refused.faults.test"].error.startswith("REFUSED from")
    assert together["garbage.faults.test"].error.startswith("malformed answer")
    assert len(together["big.faults.test"].records) == 59  # truncated, then asked over TCP
    assert together["ok.faults.test"].status is DnsStatus.ANSWER


def test_prefetch_skips_what_the_scan_already_has(server: DnsServer) -> None:
    client = DnsClient([server.server], cache=AnswerCache())
    client.query("ok.faults.test", "A")
    asked = client.prefetch([("ok.faults.test", "A"), ("links-mg.brand.example", "A")])
    assert asked == 1
    assert client.prefetch([("links-mg.brand.example", "A")]) == 0
    assert server.count("ok.faults.test") == 1
    assert server.count("links-mg.brand.example") == 1


def test_prefetch_stops_when_told(server: DnsServer) -> None:
    client = DnsClient([server.server], cache=AnswerCache())
    assert client.prefetch([("ok.faults.test", "A")], stop=lambda: True) == 0
    assert server.queries == ()


def test_a_question_in_flight_is_awaited_not_asked_again(server: DnsServer) -> None:
    server.set_rules([Rule(name="ok.faults.test", delay=0.3)])
    client = DnsClient([server.server], cache=AnswerCache())
    prefetch = threading.Thread(target=client.prefetch, args=([("ok.faults.test", "A")],))
    prefetch.start()
    time.sleep(0.1)
    answer = client.query("ok.faults.test", "A")
    prefetch.join()
    assert answer.records == ("192.0.2.1",)
    assert client.cache.questions_asked == 1 and client.cache.hits == 1
    # every try (a slow answer may be asked for again) left from the prefetch's one socket
    assert len({query.source_port for query in server.queries}) == 1


def test_query_ids_are_unpredictable_16_bit_values() -> None:
    ids = QueryIds()
    drawn = [ids.next() for _ in range(2000)]  # several refills of the pool
    assert all(0 <= value < 65536 for value in drawn)
    assert len(set(drawn)) > 1900  # 2,000 draws from 65,536 values: few repeats


@pytest.mark.parametrize(
    "name",
    ["links.brand.example", "_dmarc.brand.example.", "a" * 63 + ".example", "x-y.b_c.example",
     "a" * 64 + ".example", "a..example", "", ".", "bad name.example", "ünï.example",
     ".".join(["abcdefghi"] * 26)],  # 259 characters
)  # fmt: skip
def test_the_fast_name_check_agrees_with_dnspython(name: str) -> None:
    try:
        dns.name.from_text(name)
        expected = True
    except (dns.exception.DNSException, ValueError):
        expected = False
    assert (name_problem(name) == "") is expected
