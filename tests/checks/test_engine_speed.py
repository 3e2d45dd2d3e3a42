"""What makes a fleet scan fast without changing a finding: zones interleaved, independent questions
asked ahead in one window, nothing asked twice, TLS contexts loaded once (the smoke benchmark checks
the questions per host of a 1,000-host fleet)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from checks.blocklist_queries import canary_names, list_queries
from checks.context import BlocklistSettings, CheckContext
from checks.engine import Target, interleaved, scan
from checks.tls_probe import _client_context
from tests.support.worlds import DnsWorld, tls_world

HOSTS = [
    "links-mg.brand.example",
    "links-sg.brand.example",
    "dangling.brand.example",
    "links.caa-ok.example",
    "links.caa-blocked.example",
    "plain.brand.example",
]


def test_targets_are_taken_round_robin_across_registered_domains() -> None:
    targets = [Target(host=f"h{index}.a.example") for index in range(3)]
    targets += [Target(host=f"h{index}.b.example") for index in range(2)]
    targets.append(Target(host="h0.c.example"))
    order = [target.host for target in interleaved(targets)]
    assert order == [
        "h0.a.example", "h0.b.example", "h0.c.example",
        "h1.a.example", "h1.b.example", "h2.a.example",
    ]  # fmt: skip


def test_list_queries_name_every_question_of_the_lists_once() -> None:
    settings = BlocklistSettings()
    names = list_queries(["links.shop.example", "click.shop.example"], settings)
    assert names[:3] == tuple(canary_names(settings).values())
    assert "links.shop.example.dbl.spamhaus.org" in names
    assert "click.shop.example.dbl.spamhaus.org" in names
    assert names.count("shop.example.multi.surbl.org") == 1
    assert names.count("shop.example.multi.uribl.com") == 1
    assert list_queries(["links.shop.example"], BlocklistSettings(enabled=False)) == ()


def test_a_scan_asks_every_question_once(world: DnsWorld, ctx: CheckContext) -> None:
    ctx = dataclasses.replace(ctx, blocklists=BlocklistSettings())
    reports = scan([Target(host=host) for host in HOSTS], ctx, concurrency=4)
    assert [report.host for report in reports] == HOSTS
    asked = [(q.qname, q.rdtype, q.recursion_desired) for q in world.resolver.queries]
    assert len(asked) == len(set(asked))  # ahead of the hosts or not, nothing is asked twice
    for host in HOSTS:
        assert world.resolver.count(host, "A") == 1
        assert world.resolver.count(f"{host}.dbl.spamhaus.org") == 1
    assert world.resolver.count("dbltest.com.dbl.spamhaus.org") == 1
    dangling = next(report for report in reports if report.host == "dangling.brand.example")
    assert "dns.dangling" in dangling.codes()
    assert "blocklist.clean" in dangling.codes()


def test_tls_contexts_are_loaded_once_per_bundle_version(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    with tls_world() as tls:
        bundle.write_bytes(tls.certificates.ca_bundle_path.read_bytes())
        first = _client_context(str(bundle), verify=True)
        assert _client_context(str(bundle), verify=True) is first
        bundle.write_bytes(bundle.read_bytes() + b"\n")
        assert _client_context(str(bundle), verify=True) is not first
    assert _client_context(None, verify=False) is _client_context(None, verify=False)
