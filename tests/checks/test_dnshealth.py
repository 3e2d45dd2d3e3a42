"""The DNS client when the network is part of the incident: a resolver that stopped answering is
found out by a canary and asked no more (the next one is), lost answers are asked for again inside
the question's budget, truncated answers go over TCP, a host's deadline ends its questions, and
every question leaves from one of many random source ports."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from checks.dnsanswer import DnsStatus, unanswered
from checks.dnsbatch import ask_many
from checks.dnscanary import canary
from checks.dnsclient import AnswerCache, Deadline, DnsClient
from checks.dnshealth import FIRST_WAIT, ResolverHealth, first_wait
from checks.dnssend import OPEN_SOCKETS, POOL_SIZE, SOCKET_USES
from checks.servers import Server
from tests.support.worlds import world_zones
from tui.sim.dns_server import DnsServer, Rule
from tui.sim.zones import zones_from_text

WIDE = """
$ORIGIN wide.test.
$TTL 300
@ IN SOA ns1.wide.test. hostmaster.wide.test. 1 3600 600 86400 60
@ IN NS ns1.wide.test.
ns1 IN A 127.0.0.2
* IN A 192.0.2.7
"""
BIG = "".join(f"big IN A 192.0.2.{index}\n" for index in range(1, 60))


@pytest.fixture
def server() -> Iterator[DnsServer]:
    zones = world_zones()
    zones.update(zones_from_text({"wide.test": WIDE + BIG}))
    with DnsServer(zones) as started:
        yield started


@pytest.fixture
def silent() -> Iterator[DnsServer]:
    """A resolver that swallows every question (and logs it)."""
    with DnsServer(world_zones(), rules=[Rule(drop=True)]) as started:
        yield started


def names(count: int) -> list[tuple[str, str]]:
    return [(f"n{index}.wide.test", "A") for index in range(count)]


# The health record, alone ------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """A canary that records what it was asked and answers as told."""

    def __init__(self, answers: bool) -> None:
        self.answers = answers
        self.asked: list[tuple[Server, float]] = []

    def __call__(self, server: Server, timeout: float) -> bool:
        self.asked.append((server, timeout))
        return self.answers


def decided(health: ResolverHealth, server: Server) -> None:
    """Wait for the canary's thread to give its verdict (the fake clock never moves)."""
    health.settle([server], until=float("inf"))


def test_a_silent_server_is_down_when_the_canary_gets_no_answer_either() -> None:
    probe = Probe(answers=False)
    health = ResolverHealth(probe, clock=FakeClock())
    server = ("192.0.2.53", 53)
    health.silent(server, sent_at=99.0, timeout=2.0)
    decided(health, server)
    assert probe.asked == [(server, 2.0)]
    assert "nor to the canary question `. NS` within 2s" in health.down(server)
    assert health.claim(server) and not health.claim(server)  # said once


def test_a_server_heard_since_the_question_left_is_not_suspected() -> None:
    probe = Probe(answers=False)
    health = ResolverHealth(probe, clock=FakeClock())
    server = ("192.0.2.53", 53)
    health.heard(server, rtt=0.02)
    health.silent(server, sent_at=99.0, timeout=2.0)  # answered at 100 something sent at 99
    assert probe.asked == [] and not health.down(server) and health.srtt(server) == 0.02


def test_a_canary_answer_clears_the_suspicion() -> None:
    health = ResolverHealth(Probe(answers=True), clock=FakeClock())
    server = ("192.0.2.53", 53)
    health.silent(server, sent_at=99.0, timeout=2.0)
    decided(health, server)
    assert not health.down(server) and not health.claim(server) and not health.suspected(server)


def test_the_first_wait_follows_the_round_trips_within_bounds() -> None:
    assert first_wait(2.0, None) == FIRST_WAIT
    assert first_wait(2.0, 0.01) == FIRST_WAIT
    assert first_wait(2.0, 0.8) == 0.8
    assert first_wait(2.0, 5.0) == 2.0
    assert first_wait(0.2, None) == pytest.approx(0.1)  # a short timeout still leaves tries
    health = ResolverHealth(None, clock=FakeClock())
    server = ("192.0.2.53", 53)
    assert health.rto(server) is None
    health.heard(server, rtt=0.1)
    assert health.rto(server) == pytest.approx(0.3)  # 0.1 + 4 × 0.05
    for _ in range(50):
        health.heard(server, rtt=0.1)
    assert health.rto(server) == pytest.approx(0.1, abs=0.01)  # a steady server: its round trip
    health.heard(server, rtt=0.9)
    widened = health.rto(server)
    assert widened is not None and widened > 0.9  # a slow answer widens the wait at once
    health.silent(server, sent_at=0.0, timeout=2.0)  # without a canary: never called down
    assert not health.down(server) and not health.suspected(server)


def test_the_canary_tells_a_silent_server_from_a_live_one(
    server: DnsServer, silent: DnsServer
) -> None:
    assert canary(server.server, 0.5)
    assert not canary(silent.server, 0.3)
    server.set_rules([Rule(rcode="REFUSED")])
    assert canary(server.server, 0.5)  # a refusal is an answer: the resolver is alive


# Source ports -----------------------------------------------------------------------------


def test_a_batch_leaves_from_many_random_ports_each_used_a_few_times(server: DnsServer) -> None:
    client = DnsClient([server.server], cache=AnswerCache())
    assert client.prefetch(names(512), window=256) == 512
    ports = [query.source_port for query in server.queries]
    assert len(ports) >= 512
    assert len(set(ports)) >= 512 // SOCKET_USES
    assert max(ports.count(port) for port in set(ports)) <= SOCKET_USES
    assert all(client.query(name, rdtype).records == ("192.0.2.7",) for name, rdtype in names(512))


def _open_sockets() -> int:
    """How many sockets this process holds (the batch's selector is a file too, not counted)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:  # the directory's own descriptor, closed by now
            continue
    return count


def test_a_long_batch_holds_a_few_dozen_sockets_not_one_per_question(server: DnsServer) -> None:
    client = DnsClient([server.server], cache=AnswerCache())
    before = _open_sockets()
    most = 0
    questions = [(name, rdtype, True) for name, rdtype in names(3000)]
    for index, (_question, result) in enumerate(
        ask_many(questions, client.servers, timeout=2.0, attempts=2, window=256)
    ):
        assert result.records == ("192.0.2.7",)
        if index % 50 == 0:
            most = max(most, _open_sockets() - before)
    assert 0 < most <= OPEN_SOCKETS * POOL_SIZE  # used-up sockets close after their last answer
    assert _open_sockets() <= before


# Lost and truncated answers ---------------------------------------------------------------


def test_an_answer_lost_twice_is_asked_for_again_within_the_budget(server: DnsServer) -> None:
    server.set_rules([Rule(name="*.wide.test", lose_first=2, transports=("udp",))])
    client = DnsClient([server.server], timeout=1.0, cache=AnswerCache())
    assert client.prefetch(names(20), window=20) == 20
    assert all(client.query(name, rdtype).records == ("192.0.2.7",) for name, rdtype in names(20))
    alone = client.with_cache(AnswerCache()).query("alone.wide.test", "A")
    assert alone.records == ("192.0.2.7",)
    assert server.count("alone.wide.test") == 3  # two lost, the third answered


def test_a_truncated_answer_is_asked_again_over_tcp_only(server: DnsServer) -> None:
    server.set_rules([Rule(name="big.wide.test", truncate_udp=True)])
    for ask in ("alone", "in a batch"):
        server.reset_log()
        client = DnsClient([server.server], timeout=1.0, cache=AnswerCache())
        if ask == "in a batch":
            assert client.prefetch([("big.wide.test", "A")]) == 1
        assert len(client.query("big.wide.test", "A").records) == 59
        assert [query.transport for query in server.queries] == ["udp", "tcp"], ask


# A resolver that stopped answering ---------------------------------------------------------


def test_a_dead_resolver_is_asked_no_more_once_the_canary_decides(silent: DnsServer) -> None:
    health = ResolverHealth(canary)
    client = DnsClient([silent.server], timeout=0.5, health=health)
    client.prefetch(names(50), window=50)
    assert all(client.query(*question).status is DnsStatus.ERROR for question in names(50))
    assert health.down(silent.server)
    received = silent.count()
    later = client.query("after.wide.test", "A")
    assert later.error == (
        f"not asked: the resolver 127.0.0.1:{silent.port} stopped answering (dns.resolver_down)"
    )
    assert unanswered(later)
    assert silent.count() == received  # the dead resolver was not asked again


def test_the_next_resolver_answers_once_the_first_is_down(
    server: DnsServer, silent: DnsServer
) -> None:
    health = ResolverHealth(canary)
    client = DnsClient([silent.server, server.server], timeout=0.5, health=health)
    first = client.query("first.wide.test", "A")
    assert first.records == ("192.0.2.7",)  # asked again of the second before the timeout
    health.settle([silent.server], until=time.monotonic() + 10)
    assert health.down(silent.server)
    received = silent.count()
    assert all(client.query(f"x{index}.wide.test", "A").records for index in range(20))
    assert silent.count() == received


# A host's deadline -------------------------------------------------------------------------


def test_no_question_outlives_the_hosts_deadline(silent: DnsServer, server: DnsServer) -> None:
    cache = AnswerCache()
    deadline = Deadline(0.3)
    client = DnsClient([silent.server], timeout=1.0, cache=cache, deadline=deadline)
    cut = client.query("slow.wide.test", "A")
    assert cut.error.startswith(
        "no answer before this host's time for unanswered DNS questions ran out"
    )
    assert client.query("later.wide.test", "A").error == (
        "not asked: this host's 0.3s for unanswered DNS questions had run out"
    )
    # a cut question is not remembered: another host, with time left, asks it again
    assert cache.peek((client.servers, "slow.wide.test", "A", True)) is None


def test_a_question_in_flight_is_awaited_only_until_the_deadline(silent: DnsServer) -> None:
    cache = AnswerCache()
    owner = DnsClient([silent.server], timeout=1.0, cache=cache)
    asking = threading.Thread(target=owner.query, args=("shared.wide.test", "A"))
    asking.start()
    time.sleep(0.05)
    waiter = owner.with_deadline(Deadline(0.2))
    assert waiter.query("shared.wide.test", "A").error == (
        "no answer: this host's 0.2s for unanswered DNS questions had run out"
    )
    asking.join()
    assert owner.query("shared.wide.test", "A").error.startswith("timeout after 2s")


def test_only_answers_that_never_came_spend_a_hosts_time(
    server: DnsServer, silent: DnsServer
) -> None:
    server.set_rules([Rule(delay=0.2)])  # slow, but it answers
    deadline = Deadline(0.3)
    answering = DnsClient([server.server], timeout=1.0, cache=AnswerCache(), deadline=deadline)
    for name, rdtype in names(3):  # 0.6 s of answers, one after the other: twice the deadline
        assert answering.query(name, rdtype).records == ("192.0.2.7",)
    assert answering.prefetch(names(6)[3:], window=8) == 3
    assert deadline.spent == 0
    dead = DnsClient([silent.server], timeout=1.0, cache=AnswerCache(), deadline=deadline)
    assert dead.query("gone.wide.test", "A").status is DnsStatus.ERROR
    assert deadline.left() <= 0  # its wait was cut at the 0.3 s left, and spent
    assert "had run out" in answering.query("later.wide.test", "A").error
