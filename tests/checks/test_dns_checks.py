"""One test per DNS and CAA finding code, against the loopback world (tests/data/zones/world)."""

from __future__ import annotations

import pytest

from checks.authoritative import check_authoritative
from checks.caa import blocking_reason, check_caa, parse_caa
from checks.context import CheckContext
from checks.dns import evaluate_dns, resolve_host
from checks.dnsanswer import DnsStatus
from checks.model import Expectation, Finding, Severity
from tests.support.worlds import DnsWorld
from tui.fleet.expectations import guess_expectation
from tui.sim.dns_server import Rule


def dns_findings(host: str, ctx: CheckContext, esp: str | None = "mailgun") -> tuple[Finding, ...]:
    """Resolver, authoritative and CAA findings for `host`, the ESP as given."""
    resolved = resolve_host(host, ctx)
    expectation = guess_expectation(host, resolved.chain, esp)
    caa = check_caa(resolved, expectation, ctx)[0] if resolved.status is not DnsStatus.ERROR else ()
    return evaluate_dns(resolved, expectation) + check_authoritative(resolved, ctx).findings + caa


def only(findings: tuple[Finding, ...], code: str) -> Finding:
    """The single finding with `code`."""
    matching = [finding for finding in findings if finding.code == code]
    assert len(matching) == 1, [finding.code for finding in findings]
    return matching[0]


def test_healthy_cname_reaches_the_esp_target(ctx: CheckContext) -> None:
    findings = dns_findings("links-mg.brand.example", ctx)
    assert {f.severity for f in findings} == {Severity.OK}
    assert only(findings, "dns.ok").title == "CNAME → mailgun.org"


def test_no_record_for_nxdomain_gives_the_exact_cname(ctx: CheckContext) -> None:
    finding = only(dns_findings("missing.brand.example", ctx), "dns.no_record")
    assert finding.severity is Severity.FAIL
    assert finding.fix == "Publish: missing.brand.example. 3600 IN CNAME mailgun.org."


def test_no_record_for_nodata(ctx: CheckContext) -> None:
    finding = only(dns_findings("nodata.brand.example", ctx), "dns.no_record")
    assert "NODATA" in finding.detail


def test_cname_mismatch_names_both_targets(ctx: CheckContext) -> None:
    finding = only(dns_findings("wrong.brand.example", ctx), "dns.cname_mismatch")
    assert finding.severity is Severity.FAIL
    assert "web.elsewhere.example" in finding.title and "mailgun.org" in finding.title
    assert finding.fix == "Replace the CNAME with: wrong.brand.example. 3600 IN CNAME mailgun.org."


def test_esp_region_variant_is_enforced(ctx: CheckContext) -> None:
    finding = only(
        dns_findings("links-mg.brand.example", ctx, esp="mailgun-eu"), "dns.cname_mismatch"
    )
    assert "eu.mailgun.org" in finding.fix


def test_dangling_cname_is_a_takeover_risk(ctx: CheckContext) -> None:
    finding = only(dns_findings("dangling.brand.example", ctx), "dns.dangling")
    assert finding.severity is Severity.FAIL
    assert "gone.deadesp.example" in finding.title
    assert "Remove the CNAME" in finding.fix
    assert "claims" in finding.detail


def test_cloudflare_proxy_fails_where_the_esp_forbids_it(ctx: CheckContext) -> None:
    finding = only(dns_findings("proxied.brand.example", ctx, esp="mailgun"), "dns.proxied")
    assert finding.severity is Severity.FAIL
    assert "DNS only" in finding.fix and "104.16.1.1" in finding.detail


def test_cloudflare_proxy_is_a_warning_where_allowed(ctx: CheckContext) -> None:
    finding = only(dns_findings("proxied.brand.example", ctx, esp="sendgrid"), "dns.proxied")
    assert finding.severity is Severity.WARN


def test_cloudflare_proxy_is_expected_for_ses(ctx: CheckContext) -> None:
    finding = only(dns_findings("proxied.brand.example", ctx, esp="ses"), "dns.proxied")
    assert finding.severity is Severity.INFO


def test_plain_a_records_where_a_cname_is_needed(ctx: CheckContext) -> None:
    finding = only(dns_findings("plain.brand.example", ctx), "dns.not_cname")
    assert finding.severity is Severity.FAIL
    assert "Delete the A/AAAA records" in finding.fix and "CNAME mailgun.org." in finding.fix


def test_plain_a_records_without_a_known_target_only_warn(ctx: CheckContext) -> None:
    finding = only(dns_findings("plain.brand.example", ctx, esp=None), "dns.not_cname")
    assert finding.severity is Severity.WARN


def test_conflict_seen_at_the_authoritative_server(ctx: CheckContext) -> None:
    findings = dns_findings("conflict.brand.example", ctx)
    finding = only(findings, "dns.conflict")
    assert finding.severity is Severity.FAIL
    assert "Delete A 192.0.2.20" in finding.fix
    assert "dns.not_propagated" not in [f.code for f in findings]


def test_apex_host(ctx: CheckContext) -> None:
    finding = only(dns_findings("brand.example", ctx), "dns.apex")
    assert finding.severity is Severity.FAIL
    assert "links.brand.example" in finding.fix


def test_not_propagated_reports_the_ttl_left(ctx: CheckContext) -> None:
    finding = only(dns_findings("stale.brand.example", ctx), "dns.not_propagated")
    assert finding.severity is Severity.WARN
    assert "eu.mailgun.org" in finding.detail
    assert "300 s" in finding.fix


def test_lookup_failure_is_unknown_never_ok(world: DnsWorld, ctx: CheckContext) -> None:
    world.resolver.set_rules([Rule(name="links-mg.brand.example", rcode="SERVFAIL")])
    findings = dns_findings("links-mg.brand.example", ctx)
    finding = only(findings, "dns.lookup_failed")
    assert finding.severity is Severity.UNKNOWN
    assert "SERVFAIL" in finding.detail
    assert "dns.ok" not in [f.code for f in findings]


def test_timeout_is_unknown(world: DnsWorld) -> None:
    world.resolver.set_rules([Rule(name="links-mg.brand.example", drop=True)])
    ctx = world.context(timeout=0.2)
    finding = only(dns_findings("links-mg.brand.example", ctx), "dns.lookup_failed")
    assert "timeout" in finding.detail


def test_cname_loop(ctx: CheckContext) -> None:
    finding = only(dns_findings("loop1.brand.example", ctx), "dns.cname_loop")
    assert finding.severity is Severity.FAIL
    assert "loop2.brand.example" in finding.detail


def test_long_chain_warns(ctx: CheckContext) -> None:
    finding = only(dns_findings("hop1.brand.example", ctx), "dns.chain_too_long")
    assert finding.severity is Severity.WARN
    assert "10 CNAME hops" in finding.title


def test_lame_name_server(ctx: CheckContext) -> None:
    finding = only(dns_findings("links.lame.example", ctx), "dns.lame_nameserver")
    assert finding.severity is Severity.WARN
    assert "ns2.lame.example (127.0.0.3)" in finding.detail


def test_all_name_servers_silent_is_unknown(world: DnsWorld, ctx: CheckContext) -> None:
    world.authoritative.set_rules([Rule(rcode="REFUSED")])
    finding = only(dns_findings("links-mg.brand.example", ctx), "dns.authoritative_failed")
    assert finding.severity is Severity.UNKNOWN
    assert "REFUSED" in finding.detail


def test_caa_at_the_brand_apex_blocks_lets_encrypt(ctx: CheckContext) -> None:
    finding = only(dns_findings("links.caa-blocked.example", ctx), "caa.blocks_issuer")
    assert finding.severity is Severity.FAIL
    assert finding.fix.endswith('caa-blocked.example. IN CAA 0 issue "letsencrypt.org"')
    assert "digicert.com" in finding.detail


def test_caa_that_admits_the_esp_ca_is_ok(ctx: CheckContext) -> None:
    finding = only(dns_findings("links.caa-ok.example", ctx), "caa.ok")
    assert "letsencrypt.org" in finding.title


def test_caa_at_the_cname_target_is_the_esps_own_policy(ctx: CheckContext) -> None:
    findings = dns_findings("forbid.caa-ok.example", ctx)
    finding = only(findings, "caa.blocks_issuer")
    assert "forbid-target.caa-ok.example" in finding.detail
    assert finding.fix.startswith("Ask")


def test_caa_lookup_failure_is_unknown(world: DnsWorld, ctx: CheckContext) -> None:
    world.resolver.set_rules([Rule(rdtype="CAA", rcode="SERVFAIL")])
    finding = only(dns_findings("links-mg.brand.example", ctx), "caa.lookup_failed")
    assert finding.severity is Severity.UNKNOWN


def test_caa_unconfirmed_ca_only_warns(ctx: CheckContext) -> None:
    resolved = resolve_host("links.caa-blocked.example", ctx)
    expectation = Expectation(esp="x", esp_label="X", cas=("pki.goog",), cas_certain=False)
    findings, _relevant = check_caa(resolved, expectation, ctx)
    assert findings[0].severity is Severity.WARN


@pytest.mark.parametrize(
    ("records", "blocked"),
    [
        (['0 issue "letsencrypt.org"'], False),
        (['0 issue "digicert.com"'], True),
        (['0 issue ";"'], True),
        (['0 iodef "mailto:a@b.example"'], False),
        (['0 issuewild "digicert.com"'], False),
        (['128 tbs "x"'], True),
        (['0 issue "LetsEncrypt.org; validationmethods=http-01"'], False),
        (['0 issue "digicert.com"', '0 issue "letsencrypt.org"'], False),
    ],
)
def test_caa_blocking_rules(records: list[str], blocked: bool) -> None:
    parsed = [record for record in map(parse_caa, records) if record]
    assert (blocking_reason(parsed, ("letsencrypt.org",)) is not None) is blocked


def test_each_distinct_question_is_asked_once(world: DnsWorld) -> None:
    ctx = world.context()
    for _round in range(3):
        for host in ("links-mg.brand.example", "stale.brand.example", "links.caa-ok.example"):
            dns_findings(host, ctx)
    assert world.resolver.distinct_questions() == len(world.resolver.queries)
    assert world.authoritative.distinct_questions() == len(world.authoritative.queries)
    assert world.resolver.count(qname="mailgun.org", rdtype="AAAA") == 1
