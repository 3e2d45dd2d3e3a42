"""The scan engine: streaming, bounded concurrency, cancellation, a shared cache, isolated crashes."""

from __future__ import annotations

import threading
import time

from checks.context import CheckContext
from checks.engine import Scan, Target, check_host, scan
from checks.model import Expectation, Severity
from tests.support.worlds import DnsWorld
from tui.fleet.expectations import guess_expectation, guess_for_target
from tui.sim.dns_server import Rule

FLEET = (
    "links-mg.brand.example",
    "links-eu.brand.example",
    "links-sg.brand.example",
    "links-sp.brand.example",
    "wrong.brand.example",
    "dangling.brand.example",
    "stale.brand.example",
    "links.caa-ok.example",
)


def test_reports_stream_as_hosts_finish(world: DnsWorld, ctx: CheckContext) -> None:
    world.resolver.set_rules([Rule(name="links-mg.brand.example", delay=0.4)])
    hosts = [report.host for report in Scan([Target(host=h) for h in FLEET], ctx).run()]
    assert sorted(hosts) == sorted(FLEET)
    assert hosts[-1] == "links-mg.brand.example"


def test_scan_returns_reports_in_target_order(ctx: CheckContext) -> None:
    reports = scan([Target(host=host) for host in FLEET], ctx, guess=guess_for_target)
    assert [report.host for report in reports] == list(FLEET)
    assert reports[0].expectation.esp == "mailgun"


def test_concurrency_is_bounded(ctx: CheckContext) -> None:
    lock = threading.Lock()
    in_flight = 0
    peak = 0

    def slow_guess(target: Target, chain: tuple[str, ...]) -> Expectation:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return Expectation()

    scan([Target(host=host) for host in FLEET], ctx, concurrency=3, guess=slow_guess)
    assert peak <= 3
    assert peak >= 2


def test_cancel_stops_the_scan_early(world: DnsWorld, ctx: CheckContext) -> None:
    world.resolver.set_rules([Rule(name="*.brand.example", delay=0.3)])
    hosts = [f"h{index}.brand.example" for index in range(40)]
    running = Scan([Target(host=host) for host in hosts], ctx, concurrency=2)
    seen = []
    for report in running.run():
        seen.append(report.host)
        running.cancel()
    assert len(seen) < len(hosts) // 2  # the hosts not started were never checked


def test_each_question_is_asked_once_across_the_fleet(world: DnsWorld, ctx: CheckContext) -> None:
    hosts = [f"h{index}.brand.example" for index in range(10)] + [
        "links-mg.brand.example",
        "stale.brand.example",
        "hop1.brand.example",
    ]
    scan([Target(host=host) for host in hosts], ctx, concurrency=8)
    assert world.resolver.distinct_questions() == len(world.resolver.queries)
    assert world.resolver.count(qname="brand.example", rdtype="SOA") == 1
    assert world.resolver.count(qname="brand.example", rdtype="NS") == 1
    assert world.resolver.count(qname="mailgun.org", rdtype="AAAA") == 1


def test_a_crash_in_one_host_does_not_end_the_scan(ctx: CheckContext) -> None:
    def fragile_guess(target: Target, chain: tuple[str, ...]) -> Expectation:
        if target.host == "wrong.brand.example":
            raise RuntimeError("boom")
        return Expectation()

    reports = scan([Target(host=host) for host in FLEET], ctx, guess=fragile_guess)
    crashed = next(report for report in reports if report.host == "wrong.brand.example")
    assert crashed.codes() == ("check.crashed",)
    assert crashed.health is Severity.UNKNOWN
    assert "RuntimeError: boom" in crashed.findings[0].detail
    assert len(reports) == len(FLEET)


def test_https_problems_are_informational_where_https_is_not_expected(ctx: CheckContext) -> None:
    expectation = guess_expectation("links-mg.brand.example", (), "mandrill")
    report = check_host(Target(host="links-mg.brand.example", expectation=expectation), ctx)
    unreachable = next(f for f in report.findings if f.code == "tls.unreachable")
    assert unreachable.severity is Severity.INFO
    assert "Mandrill does not document HTTPS" in unreachable.detail
