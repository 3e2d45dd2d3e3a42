"""TLS check through real handshakes on loopback (TlsWorld), plus the pure name-matching rules."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from checks.context import CheckContext
from checks.dnsclient import DnsClient
from checks.http import check_http
from checks.model import Finding, Severity
from checks.tls import check_tls
from checks.tls_probe import days_left, hostname_matches, probe_tls
from tui.sim.certificates import TestCertificates
from tui.sim.tls_world import HttpBehaviour, TlsWorld

FIXED_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
"""Real 'now' frozen at import: OpenSSL checks validity against the real clock, so stay close to it."""
HOST = "links.brand.example"
A1, A2, A3 = "192.0.2.10", "192.0.2.11", "2001:db8::10"


@pytest.fixture
def world(certificates: TestCertificates) -> Iterator[TlsWorld]:
    with TlsWorld(certificates) as tls_world:
        yield tls_world


def make_context(
    world: TlsWorld, ca_bundle: str | None = None, timeout: float = 1.0
) -> CheckContext:
    return CheckContext(
        resolver=DnsClient([]),
        blocklist_resolver=DnsClient([]),
        dialer=world.dialer,
        ca_bundle=ca_bundle or str(world.certificates.ca_bundle_path),
        clock=lambda: FIXED_NOW,
        connect_timeout=timeout,
    )


def only(findings: tuple[Finding, ...], code: str) -> Finding:
    matching = [finding for finding in findings if finding.code == code]
    assert len(matching) == 1, [finding.code for finding in findings]
    return matching[0]


def test_valid_certificate_is_one_ok_finding_with_days_left(world: TlsWorld) -> None:
    world.add(A1, kind="valid", host=HOST, now=FIXED_NOW)
    findings, probes = check_tls(HOST, [A1], make_context(world))
    assert [finding.code for finding in findings] == ["tls.ok"]
    assert findings[0].severity is Severity.OK
    assert findings[0].title == "certificate valid, 90 days left"
    assert probes[0].verified and probes[0].outcome == "ok"
    assert probes[0].certificate is not None and HOST in probes[0].certificate.sans
    assert any("trackdeck test CA" in line for line in findings[0].evidence)


def test_expired_certificate_fails_and_says_reprovision(world: TlsWorld) -> None:
    world.add(A1, kind="expired", host=HOST, now=FIXED_NOW)
    findings, probes = check_tls(HOST, [A1], make_context(world))
    expired = only(findings, "tls.expired")
    assert expired.severity is Severity.FAIL
    assert "10 days ago" in expired.title
    assert "Re-provision the certificate" in expired.fix and HOST in expired.fix
    assert probes[0].certificate is not None  # read through the unverified second handshake
    assert "tls.untrusted" not in [finding.code for finding in findings]
    assert any(A1 in line and "not after" in line for line in expired.evidence)


def test_expiring_certificate_warns_with_date_and_days_left(world: TlsWorld) -> None:
    world.add(A1, kind="expiring", host=HOST, now=FIXED_NOW)
    findings, _ = check_tls(HOST, [A1], make_context(world))
    expiring = only(findings, "tls.expiring")
    date = f"{FIXED_NOW + dt.timedelta(days=5):%Y-%m-%d}"
    assert expiring.severity is Severity.WARN
    assert "5 days" in expiring.title and date in expiring.detail
    assert expiring.fix.startswith("Renew the certificate") and f"before {date}" in expiring.fix
    assert len(findings) == 1


def test_wrong_name_is_a_hostname_mismatch_not_untrusted(world: TlsWorld) -> None:
    world.add(A1, kind="wrong_name", host=HOST, now=FIXED_NOW)
    findings, probes = check_tls(HOST, [A1], make_context(world))
    mismatch = only(findings, "tls.hostname_mismatch")
    assert mismatch.severity is Severity.FAIL
    assert "shared.esp-tracking.example" in mismatch.detail
    assert "Enable HTTPS for" in mismatch.fix and HOST in mismatch.fix
    assert probes[0].verified and len(findings) == 1


def test_untrusted_chain_fails_naming_the_store(world: TlsWorld) -> None:
    world.add(A1, kind="untrusted", host=HOST, now=FIXED_NOW)
    ctx = make_context(world)
    findings, probes = check_tls(HOST, [A1], ctx)
    untrusted = only(findings, "tls.untrusted")
    assert untrusted.severity is Severity.FAIL
    assert "rogue CA" in untrusted.detail and str(ctx.ca_bundle) in untrusted.detail
    assert "Re-provision the certificate" in untrusted.fix
    assert not probes[0].verified and "verify failed" in probes[0].error
    assert len(findings) == 1


def test_all_addresses_refused_is_unreachable_fail(world: TlsWorld) -> None:
    world.refuse(A1)
    findings, _ = check_tls(HOST, [A1, A2], make_context(world))
    unreachable = only(findings, "tls.unreachable")
    assert unreachable.severity is Severity.FAIL
    assert A1 in unreachable.detail and A2 in unreachable.detail
    assert "enable HTTPS" in unreachable.fix
    assert len(findings) == 1


def test_mixed_addresses_warn_naming_only_the_dead_one(world: TlsWorld) -> None:
    world.add(A1, kind="valid", host=HOST, now=FIXED_NOW)
    world.refuse(A3)
    findings, probes = check_tls(HOST, [A1, A3], make_context(world))
    unreachable = only(findings, "tls.unreachable")
    assert unreachable.severity is Severity.WARN
    assert unreachable.title == "port 443 unreachable at 1 of 2 addresses"
    assert A3 in unreachable.detail and A1 not in unreachable.detail
    assert "IPv6" in unreachable.detail and "Remove 2001:db8::10" in unreachable.fix
    assert [probe.outcome for probe in probes] == ["ok", "unreachable"]


def test_findings_from_several_addresses_are_merged_per_code(world: TlsWorld) -> None:
    world.add(A1, kind="expired", host=HOST, now=FIXED_NOW)
    world.add(A2, kind="expired", host=HOST, now=FIXED_NOW)
    findings, _ = check_tls(HOST, [A1, A2, A1], make_context(world))
    expired = only(findings, "tls.expired")
    assert A1 in expired.detail and A2 in expired.detail
    assert len(expired.evidence) == 2


@pytest.mark.parametrize("mode", ["reset_handshake", "plain_tcp"])
def test_broken_handshake_fails(world: TlsWorld, mode: str) -> None:
    world.add(A1, kind="valid", host=HOST, now=FIXED_NOW, behaviour=HttpBehaviour(mode=mode))
    findings, probes = check_tls(HOST, [A1], make_context(world))
    failed = only(findings, "tls.handshake_failed")
    assert failed.severity is Severity.FAIL
    assert "Enable HTTPS" in failed.fix and A1 in failed.detail
    assert probes[0].error


def test_server_that_never_speaks_times_out_as_handshake_failure(world: TlsWorld) -> None:
    world.add(
        A1,
        kind="valid",
        host=HOST,
        now=FIXED_NOW,
        behaviour=HttpBehaviour(mode="hang_after_accept"),
    )
    findings, _ = check_tls(HOST, [A1], make_context(world, timeout=0.5))
    failed = only(findings, "tls.handshake_failed")  # ended by the timeout, which it names
    assert "timed out" in failed.detail


def test_system_store_rejects_the_test_ca(world: TlsWorld) -> None:
    world.add(A1, kind="valid", host=HOST, now=FIXED_NOW)
    ctx = make_context(world)
    system_ctx = CheckContext(
        resolver=ctx.resolver, blocklist_resolver=ctx.blocklist_resolver, dialer=world.dialer
    )
    probe = probe_tls(HOST, A1, system_ctx)
    assert probe.outcome == "untrusted" and not probe.verified


def test_unreadable_ca_bundle_is_unknown_not_a_failure(world: TlsWorld) -> None:
    world.add(A1, kind="valid", host=HOST, now=FIXED_NOW)
    findings, _ = check_tls(HOST, [A1], make_context(world, ca_bundle="/nonexistent/ca.pem"))
    finding = only(findings, "tls.not_checked")
    assert finding.severity is Severity.UNKNOWN and "--ca-bundle" in finding.fix


def test_no_addresses_means_no_findings(world: TlsWorld) -> None:
    assert check_tls(HOST, [], make_context(world)) == ((), ())


def test_sni_picks_each_hosts_certificate_and_behaviour_on_one_address(world: TlsWorld) -> None:
    other = "click.other.example"
    redirect = HttpBehaviour(status=302, headers=(("Location", "https://www.other.example/"),))
    world.add_host(A1, kind="valid", host=HOST, now=FIXED_NOW)
    world.add_host(A1, kind="expired", host=other, now=FIXED_NOW, behaviour=redirect)
    ctx = make_context(world)
    assert [f.code for f in check_tls(HOST, [A1], ctx)[0]] == ["tls.ok"]
    assert [f.code for f in check_tls(other, [A1], ctx)[0]] == ["tls.expired"]
    assert check_http(HOST, A1, ctx)[1].status == 404
    assert check_http(other, A1, ctx)[1].location == "https://www.other.example/"
    unknown = check_tls("nobody.example", [A1], ctx)[0]
    assert [f.code for f in unknown] == ["tls.hostname_mismatch"]
    assert "shared.esp-tracking.example" in unknown[0].detail
    assert world.server_count == 1


def test_sni_site_added_to_a_plain_server_keeps_its_default(world: TlsWorld) -> None:
    world.add(A1, kind="untrusted", host=HOST, now=FIXED_NOW)
    server = world.add_host(
        A1, kind="expiring", host="b.brand.example", now=FIXED_NOW, expiring_days=10.5
    )
    ctx = make_context(world)
    assert [f.code for f in check_tls(HOST, [A1], ctx)[0]] == ["tls.untrusted"]
    expiring = only(check_tls("b.brand.example", [A1], ctx)[0], "tls.expiring")
    assert "10 days" in expiring.title
    assert server.site_names == ("b.brand.example",)


def test_an_internationalised_name_is_sent_as_its_idna_2008_a_label(world: TlsWorld) -> None:
    """Python's ssl would encode `links.straße.de` by IDNA 2003: `links.strasse.de`, another
    domain, here served with an expired certificate and a 503."""
    world.add_host(A1, kind="valid", host="links.xn--strae-oqa.de", now=FIXED_NOW)
    broken = HttpBehaviour(status=503)
    world.add_host(A1, kind="expired", host="links.strasse.de", now=FIXED_NOW, behaviour=broken)
    ctx = make_context(world)
    findings, probes = check_tls("links.straße.de", [A1], ctx)
    assert [f.code for f in findings] == ["tls.ok"]
    assert probes[0].certificate is not None
    assert "links.xn--strae-oqa.de" in probes[0].certificate.sans
    assert check_http("links.straße.de", A1, ctx)[1].status == 404


def test_a_name_idna_2008_refuses_is_never_sent(world: TlsWorld) -> None:
    """Not dialled at all (the address is unmapped: dialling it would be `tls.unreachable`)."""
    ctx = make_context(world)
    findings, probes = check_tls("links.\u2764.example", [A1], ctx)
    finding = only(findings, "tls.not_checked")
    assert len(findings) == 1 and finding.severity is Severity.UNKNOWN
    assert "is not a valid internationalised name (IDNA 2008)" in finding.detail
    assert "where the ESP lists it" in finding.fix
    assert probes[0].certificate is None
    [http], probe = check_http("links.\u2764.example", A1, ctx)
    assert (http.code, http.severity) == ("http.error", Severity.UNKNOWN)
    assert probe.error.startswith("not asked:") and "IDNA 2008" in probe.error


def test_unmapped_address_is_refused_by_the_world(world: TlsWorld) -> None:
    with pytest.raises(ConnectionRefusedError):
        world.dialer("198.51.100.7", 443, 1.0)


@pytest.mark.parametrize(
    ("host", "sans", "expected"),
    [
        ("links.brand.example", ["links.brand.example"], True),
        ("Links.Brand.Example.", ["links.brand.EXAMPLE"], True),
        ("links.brand.example", ["*.brand.example"], True),
        ("brand.example", ["*.brand.example"], False),
        ("a.links.brand.example", ["*.brand.example"], False),
        ("links.brand.example", ["l*.brand.example"], False),
        ("links.brand.example", ["links.*.example"], False),
        ("links.example", ["*.example"], False),
        ("links.brand.example", ["other.brand.example", "*.brand.example"], True),
        ("links.brand.example", [], False),
        ("xn--caf-dma.brand.example", ["xn--caf-dma.brand.example"], True),
        ("", ["*.example"], False),
    ],
)
def test_hostname_matches(host: str, sans: list[str], expected: bool) -> None:
    assert hostname_matches(host, sans) is expected


def test_days_left_floors_and_goes_negative() -> None:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert days_left(now + dt.timedelta(days=5, hours=23), now) == 5
    assert days_left(now - dt.timedelta(hours=1), now) == -1


def test_world_stops_every_thread_it_started(certificates: TestCertificates) -> None:
    before = set(threading.enumerate())
    with TlsWorld(certificates) as tls_world:
        behaviour = HttpBehaviour(mode="hang_after_accept")
        tls_world.add(A1, kind="valid", host=HOST, now=FIXED_NOW, behaviour=behaviour)
        with tls_world.dialer(A1, 443, 1.0) as stalled:
            assert stalled.getpeername()[0] == "127.0.0.1"
    assert set(threading.enumerate()) <= before
