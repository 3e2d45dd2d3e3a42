"""Scans when DNS itself is broken: a dead resolver is said once (`dns.resolver_down`) and every
other host cites it; a dead first resolver is replaced by the next; a host in a zone whose servers
are dead ends by its deadline, and one whose every answer is slow but comes gets them all; lost
answers are asked for again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from checks.context import BlocklistSettings, CheckContext
from checks.dnsclient import DnsClient
from checks.engine import Scan, Target, scan
from checks.model import HostReport, Severity
from tests.support.worlds import DnsWorld, world_zones
from tui.sim.dns_server import DnsServer, Rule

TIMEOUT = 0.5
HOSTS = [f"h{index}.brand.example" for index in range(40)]


@pytest.fixture
def silent() -> Iterator[DnsServer]:
    """A resolver that swallows every question (and logs it)."""
    with DnsServer(world_zones(), rules=[Rule(drop=True)]) as started:
        yield started


def resolvers(world: DnsWorld, *servers: tuple[str, int], lists: bool = False) -> CheckContext:
    """The world's context asking `servers` (resolver and lists alike)."""
    ctx = world.context(timeout=TIMEOUT)
    client = DnsClient(servers, timeout=TIMEOUT, cache=ctx.resolver.cache)
    return dataclasses.replace(
        ctx, resolver=client, blocklist_resolver=client, blocklists=BlocklistSettings(enabled=lists)
    )


def findings_of(reports: list[HostReport], code: str) -> list[tuple[str, Severity, str]]:
    return [
        (report.host, finding.severity, finding.detail)
        for report in reports
        for finding in report.findings
        if finding.code == code
    ]


def test_a_dead_resolver_is_said_once_and_every_host_cites_it(
    world: DnsWorld, silent: DnsServer
) -> None:
    ctx = resolvers(world, silent.server, lists=True)
    running = Scan([Target(host=host) for host in HOSTS], ctx, concurrency=8)
    reports = list(running.run())
    assert {report.health for report in reports} == {Severity.UNKNOWN}
    said = findings_of(reports, "dns.resolver_down")
    where = f"127.0.0.1:{silent.port}"
    assert len(said) == 1, said
    _host, severity, detail = said[0]
    assert severity is Severity.UNKNOWN and where in detail and "Said once, here." in detail
    down = next(f for r in reports for f in r.findings if f.code == "dns.resolver_down")
    assert "--resolver IP[:PORT]" in down.fix and down.evidence[0].startswith(where)
    cited = [d for _h, _s, d in findings_of(reports, "dns.lookup_failed") if "resolver_down" in d]
    assert len(cited) == len(HOSTS)  # the rest are unknown at once, citing it
    lists = findings_of(reports, "blocklist.not_tested")
    assert lists and all("dns.resolver_down" in detail for _h, _s, detail in lists)
    received = silent.count()
    health = running.ctx.resolver.health
    assert health is not None and health.down(silent.server)
    assert silent.count() == received


def test_the_next_resolver_takes_over_and_the_scan_says_why(
    world: DnsWorld, silent: DnsServer
) -> None:
    ctx = resolvers(world, silent.server, world.resolver.server)
    hosts = ["links-mg.brand.example", "links-sg.brand.example", "links-sp.brand.example"]
    reports = scan([Target(host=host) for host in hosts], ctx)
    assert all("dns.ok" in report.codes() for report in reports)
    said = findings_of(reports, "dns.resolver_down")
    assert len(said) == 1
    _host, severity, detail = said[0]
    assert severity is Severity.INFO  # the scan's verdicts came from the second resolver
    assert f"asks 127.0.0.1:{world.resolver.port} instead" in detail


def test_a_host_in_a_zone_whose_servers_are_dead_ends_after_its_first_questions(
    world: DnsWorld,
) -> None:
    world.resolver.set_rules([Rule(name="*brand.example", delay=5, rcode="SERVFAIL")])
    world.authoritative.set_rules([Rule(name="*brand.example", drop=True)])
    (report,) = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    assert report.codes() == ("dns.lookup_failed",)
    assert "timeout after 1s" in report.findings[0].detail
    # its A and its zone's SOA were asked at once; nothing that waits on them was asked after
    asked = {(query.qname, query.rdtype) for query in world.resolver.queries}
    assert asked == {("links-mg.brand.example", "A"), ("brand.example", "SOA"), ("", "NS")}
    # the root's NS is the canary: the resolver answered it, so the resolver is not called dead


def test_a_slow_answer_that_comes_is_waited_for_however_many_come_before_it(
    world: DnsWorld,
) -> None:
    slow = 0.9 * TIMEOUT  # each answer in time; one after the other, they take far over 3 timeouts
    quick = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    world.resolver.set_rules([Rule(name="*brand.example", delay=slow)])
    world.authoritative.set_rules([Rule(delay=slow)])
    (report,) = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    assert report.codes() == quick[0].codes()  # a loaded resolver is slow, not broken
    assert Severity.UNKNOWN not in {finding.severity for finding in report.findings}


def test_a_host_stops_waiting_once_three_timeouts_went_unanswered(world: DnsWorld) -> None:
    # the host's A comes (slowly); its zone's SOA and its CAA questions never do
    world.resolver.set_rules(
        [
            Rule(name="*brand.example", rdtype="SOA", drop=True),
            Rule(name="*brand.example", rdtype="CAA", drop=True),
            Rule(name="*brand.example", delay=0.9 * TIMEOUT),
        ]
    )
    (report,) = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    assert "dns.ok" in report.codes()  # the slow answer was waited for
    (caa,) = [finding for finding in report.findings if finding.code == "caa.lookup_failed"]
    assert caa.severity is Severity.UNKNOWN
    # the SOA's two timeouts (its question and the zone search's) and the CAA's spent it
    assert "this host's 1.5s for unanswered DNS questions had run out" in caa.detail


def test_lost_answers_are_asked_for_again_and_no_host_is_unknown(world: DnsWorld) -> None:
    world.resolver.set_rules([Rule(lose_first=2, transports=("udp",))])
    ctx = world.context(timeout=1.0)
    hosts = ["links-mg.brand.example", "links-sg.brand.example", "dangling.brand.example"]
    reports = scan([Target(host=host) for host in hosts], ctx)
    assert [report.health for report in reports].count(Severity.UNKNOWN) == 0
    assert "dns.dangling" in reports[2].codes()
    assert world.resolver.count("links-mg.brand.example", "A") == 3


def test_a_name_server_that_loses_answers_is_not_called_lame(world: DnsWorld) -> None:
    world.authoritative.set_rules([Rule(lose_first=2, transports=("udp",))])
    (report,) = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    assert "dns.lame_nameserver" not in report.codes()
    assert "dns.authoritative_failed" not in report.codes()
    assert world.authoritative.count("links-mg.brand.example", "ANY") == 3


def test_a_silent_name_server_is_waited_for_once_per_scan(world: DnsWorld) -> None:
    hosts = [f"h{index}.lame.example" for index in range(10)]  # ns2.lame.example never answers
    reports = scan([Target(host=host) for host in hosts], world.context(timeout=TIMEOUT),
                   concurrency=2)  # fmt: skip
    lame = [
        f.detail for report in reports for f in report.findings if f.code == "dns.lame_nameserver"
    ]
    assert len(lame) == len(hosts)  # still lame for every host: ns1 answered, ns2 did not
    skipped = [detail for detail in lame if "the name server 127.0.0.3:" in detail]
    assert len(skipped) >= len(hosts) // 2  # once found silent, it was not waited for again
    assert not any("dns.resolver_down" in detail for detail in lame)


def test_a_dead_blocklist_resolver_is_said_once_as_such(world: DnsWorld, silent: DnsServer) -> None:
    ctx = world.context(timeout=TIMEOUT)
    lists = DnsClient([silent.server], timeout=TIMEOUT, cache=ctx.resolver.cache)
    ctx = dataclasses.replace(ctx, blocklist_resolver=lists, blocklists=BlocklistSettings())
    hosts = ["links-mg.brand.example", "links-sg.brand.example", "links-sp.brand.example"]
    reports = scan([Target(host=host) for host in hosts], ctx)
    assert all("dns.ok" in report.codes() for report in reports)  # the resolver answered
    said = [f for report in reports for f in report.findings if f.code == "dns.resolver_down"]
    assert len(said) == 1
    assert said[0].title == f"the blocklist resolver 127.0.0.1:{silent.port} is not answering"
    assert "--blocklist-resolver IP[:PORT]" in said[0].fix
    untested = [
        f for report in reports for f in report.findings if f.code == "blocklist.not_tested"
    ]
    assert len(untested) == 3 * len(hosts)
    assert all(f.title.endswith("not tested: resolver down") for f in untested)


def test_a_zone_whose_name_servers_cannot_be_looked_up_says_which_question_failed(
    world: DnsWorld,
) -> None:
    world.resolver.set_rules([Rule(name="ns1.brand.example", rcode="SERVFAIL")])
    (report,) = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    (failed,) = [f for f in report.findings if f.code == "dns.authoritative_failed"]
    assert "the addresses of its name servers could not be looked up" in failed.detail
    assert "ns1.brand.example A: SERVFAIL" in failed.detail
    world.resolver.set_rules([Rule(name="brand.example", rdtype="NS", rcode="SERVFAIL")])
    (report,) = scan([Target(host="links-mg.brand.example")], world.context(timeout=TIMEOUT))
    (failed,) = [f for f in report.findings if f.code == "dns.authoritative_failed"]
    assert "its NS question failed: SERVFAIL" in failed.detail
