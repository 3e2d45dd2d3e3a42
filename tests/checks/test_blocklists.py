"""URI blocklist decoding, registered domains, and the blocklist check against a loopback resolver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.blocklist_codes import decode_dbl, decode_surbl, decode_uribl
from checks.blocklist_queries import UNCONFIRMED_CANARY_TEST_POINTS, canary_names
from checks.blocklists import ListVerdict, check_blocklists
from checks.context import BlocklistSettings, CheckContext
from checks.dnsclient import DnsClient
from checks.model import Finding, Severity
from checks.psl import is_apex, is_ip_literal, registered_domain
from tests.support.data import ZONES
from tui.sim.dns_server import DnsServer, Rule
from tui.sim.zones import load_zones, zones_from_text

BLOCKLIST_ZONES = ZONES / "blocklists"
DBL_CANARY = "dbltest.com.dbl.spamhaus.org"
SURBL_CANARY = "test.surbl.org.multi.surbl.org"
URIBL_CANARY = "test.uribl.com.multi.uribl.com"
DQS_KEY = "CanarySecretDqsKey0123456zq"
Result = tuple[tuple[Finding, ...], tuple[ListVerdict, ...]]


# --- decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "meaning"),
    [
        ("127.0.1.2", "low-reputation domain (spam)"),
        ("127.0.1.4", "phishing-related domain"),
        ("127.0.1.5", "malware-related domain"),
        ("127.0.1.6", "botnet C&C domain"),
        ("127.0.1.102", "abused legitimate domain (spam)"),
        ("127.0.1.103", "abused redirector"),
        ("127.0.1.104", "abused legitimate domain used in phishing"),
        ("127.0.1.105", "abused legitimate domain used by malware"),
        ("127.0.1.106", "abused legitimate domain hosting botnet C&C"),
    ],
)
def test_dbl_listing_codes_decode_to_their_category(address: str, meaning: str) -> None:
    assert decode_dbl(address) == ("listed", meaning)


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.1.255", "IP address queried against a domain list"),
        ("127.255.255.252", "typing error in the DNSBL zone name"),
        ("127.255.255.254", "public/open resolver"),
        ("127.255.255.255", "excessive number of queries"),
        ("127.255.255.250", "DQS key disabled"),
        ("127.255.255.251", "DQS key rejected"),
        ("127.255.255.7", "Spamhaus error code 127.255.255.7"),
        ("127.0.1.3", "unknown DBL return code"),
        ("127.0.2.5", "unknown DBL return code"),
        ("127.0.0.2", "unknown DBL return code"),
        ("192.0.2.80", "outside 127.0.0.0/8"),
        ("10.0.0.1", "resolver rewrites answers"),
        ("not-an-address", "not an IPv4 answer"),
    ],
)
def test_dbl_errors_and_unknown_codes_are_never_listed(address: str, words: str) -> None:
    status, meaning = decode_dbl(address)
    assert status == "not_tested"
    assert words in meaning


@pytest.mark.parametrize(
    ("address", "categories"),
    [
        ("127.0.0.8", ["PH (phishing)"]),
        ("127.0.0.16", ["MW (malware)"]),
        ("127.0.0.64", ["ABUSE (spam/abuse)"]),
        ("127.0.0.128", ["CR (cracked site)"]),
        ("127.0.0.4", ["DM (disposable email domain)"]),
        ("127.0.0.32", ["CT (click-tracker domain)"]),
        ("127.0.0.24", ["PH (phishing)", "MW (malware)"]),
        ("127.0.0.96", ["ABUSE (spam/abuse)", "CT (click-tracker domain)"]),
        ("127.1.2.72", ["PH (phishing)", "ABUSE (spam/abuse)"]),
        ("127.0.0.254", ["PH", "MW", "ABUSE", "CR", "DM", "CT"]),
    ],
)
def test_surbl_bits_decode_to_every_set_category(address: str, categories: list[str]) -> None:
    status, meaning = decode_surbl(address)
    assert status == "listed"
    for category in categories:
        assert category in meaning


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "refused: SURBL blocks queries"),
        ("127.0.0.2", "unknown SURBL return code"),
        ("127.0.0.0", "unknown SURBL return code"),
        ("192.0.2.80", "outside 127.0.0.0/8"),
    ],
)
def test_surbl_refusal_and_unknown_codes_are_not_tested(address: str, words: str) -> None:
    status, meaning = decode_surbl(address)
    assert status == "not_tested"
    assert words in meaning


@pytest.mark.parametrize(
    ("address", "meaning"),
    [
        ("127.0.0.2", "black"),
        ("127.0.0.4", "grey"),
        ("127.0.0.8", "red"),
        ("127.0.0.6", "black, grey"),
        ("127.0.0.14", "black, grey, red"),
    ],
)
def test_uribl_bits_decode_to_their_lists(address: str, meaning: str) -> None:
    assert decode_uribl(address) == ("listed", meaning)


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("127.0.0.1", "refused: URIBL blocks queries"),
        ("127.0.0.16", "unknown URIBL return code"),
        ("198.51.100.7", "outside 127.0.0.0/8"),
    ],
)
def test_uribl_refusal_and_unknown_codes_are_not_tested(address: str, words: str) -> None:
    status, meaning = decode_uribl(address)
    assert status == "not_tested"
    assert words in meaning


# --- registered domains -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("links.brand.co.uk", "brand.co.uk"),
        ("brand.co.uk", "brand.co.uk"),
        ("a.b.links.brand.com", "brand.com"),
        ("Links.Brand.COM.", "brand.com"),
        ("links.brand.test", "brand.test"),
        ("co.uk", None),
        ("com", None),
        ("", None),
        ("203.0.113.5", None),
        ("2001:db8::1", None),
        ("[2001:db8::1]", None),
    ],
)
def test_registered_domain(host: str, expected: str | None) -> None:
    assert registered_domain(host) == expected


def test_registered_domain_uses_only_the_icann_section() -> None:
    assert registered_domain("tracking.someone.github.io") == "github.io"


def test_apex_and_ip_literal_helpers() -> None:
    assert is_apex("brand.co.uk")
    assert not is_apex("links.brand.co.uk")
    assert not is_apex("co.uk")
    assert is_ip_literal("203.0.113.5")
    assert is_ip_literal("[2001:db8::1]")
    assert not is_ip_literal("links.brand.com")


def test_canary_names_use_the_configured_zones() -> None:
    names = canary_names(BlocklistSettings())
    assert names == {"Spamhaus DBL": DBL_CANARY, "SURBL": SURBL_CANARY, "URIBL": URIBL_CANARY}
    assert UNCONFIRMED_CANARY_TEST_POINTS["dbl"] == "dbltest.com"
    dqs = canary_names(BlocklistSettings(dqs_key=DQS_KEY))
    assert dqs["Spamhaus DBL"] == f"dbltest.com.{DQS_KEY.lower()}.dbl.dq.spamhaus.net"


# --- against a loopback resolver --------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer(load_zones(BLOCKLIST_ZONES), host="127.0.0.1") as running:
        yield running


def make_ctx(
    server: DnsServer, *, timeout: float = 0.5, dqs_key: str | None = None
) -> CheckContext:
    client = DnsClient([server.server], timeout=timeout, attempts=1)
    settings = BlocklistSettings(dqs_key=dqs_key)
    return CheckContext(resolver=client, blocklist_resolver=client, blocklists=settings)


def by_list(result: Result) -> dict[str, ListVerdict]:
    return {verdict.list_name: verdict for verdict in result[1]}


def with_code(result: Result, code: str) -> list[Finding]:
    return [finding for finding in result[0] if finding.code == code]


def test_clean_host_with_passing_canaries_is_reported_clean(server: DnsServer) -> None:
    result = check_blocklists("links.brand.test", make_ctx(server))
    assert {verdict.status for verdict in result[1]} == {"clean"}
    assert by_list(result)["SURBL"].queried == "brand.test.multi.surbl.org"
    assert by_list(result)["Spamhaus DBL"].queried == "links.brand.test.dbl.spamhaus.org"
    (finding,) = result[0]
    assert finding.code == "blocklist.clean"
    assert finding.severity is Severity.OK
    assert finding.title == "Not listed on Spamhaus DBL, SURBL, URIBL"
    assert any("dbltest.com.dbl.spamhaus.org" in line for line in finding.evidence)


def test_dbl_listing_names_list_query_answer_and_category(server: DnsServer) -> None:
    result = check_blocklists("links.spammy.example", make_ctx(server))
    (listed,) = with_code(result, "blocklist.listed")
    assert listed.severity is Severity.FAIL
    assert listed.title == "Listed on Spamhaus DBL: low-reputation domain (spam)"
    evidence = "\n".join(listed.evidence)
    assert "Spamhaus DBL" in evidence
    assert "links.spammy.example.dbl.spamhaus.org" in evidence
    assert "127.0.1.2" in evidence
    assert "decoded: low-reputation domain (spam)" in evidence
    assert "Find and stop the abuse" in listed.fix
    assert "Spamhaus DBL removal" in listed.fix
    (clean,) = with_code(result, "blocklist.clean")
    assert clean.title == "Not listed on SURBL, URIBL"


def test_surbl_listing_decodes_every_category_of_the_registered_domain(server: DnsServer) -> None:
    result = check_blocklists("links.mixed.example", make_ctx(server))
    (listed,) = with_code(result, "blocklist.listed")
    assert listed.title == "Listed on SURBL: PH (phishing), MW (malware), ABUSE (spam/abuse)"
    assert "the registered domain mixed.example" in listed.detail
    assert "SURBL lookup/removal" in listed.fix
    assert by_list(result)["SURBL"].answers == ("127.0.0.88",)


def test_uribl_listing_decodes_grey_and_red(server: DnsServer) -> None:
    result = check_blocklists("links.greyred.example", make_ctx(server))
    (listed,) = with_code(result, "blocklist.listed")
    assert listed.title == "Listed on URIBL: grey, red"
    assert "URIBL removal" in listed.fix
    assert by_list(result)["URIBL"].queried == "greyred.example.multi.uribl.com"


@pytest.mark.parametrize(
    ("host", "title"),
    [
        ("links.redirector.example", "Listed on Spamhaus DBL: abused redirector"),
        ("links.clicky.example", "Listed on SURBL: CT (click-tracker domain)"),
    ],
)
def test_abused_redirector_explains_the_tracking_domain_itself_is_abused(
    server: DnsServer, host: str, title: str
) -> None:
    (listed,) = with_code(check_blocklists(host, make_ctx(server)), "blocklist.listed")
    assert listed.title == title
    assert "tracking/redirect domain itself being abused" in listed.detail


def test_listing_that_arrives_through_a_cname_uses_the_final_address(server: DnsServer) -> None:
    result = check_blocklists("links.viacname.example", make_ctx(server))
    assert by_list(result)["Spamhaus DBL"].status == "listed"
    (listed,) = with_code(result, "blocklist.listed")
    assert any("CNAME spammy.example.dbl.spamhaus.org" in line for line in listed.evidence)


def test_refusal_codes_with_passing_canaries_are_not_tested(server: DnsServer) -> None:
    result = check_blocklists("links.refused.example", make_ctx(server))
    assert {verdict.status for verdict in result[1]} == {"not_tested"}
    assert with_code(result, "blocklist.clean") == []
    dbl, surbl, uribl = with_code(result, "blocklist.not_tested")
    assert all(finding.severity is Severity.UNKNOWN for finding in (dbl, surbl, uribl))
    assert "public/open resolver that Spamhaus refuses" in dbl.fix
    assert "DQS key" in dbl.fix
    assert "URIBL refused queries" in uribl.fix
    assert "local recursive resolver" in uribl.fix
    assert "--blocklist-resolver" in uribl.fix
    assert "127.0.0.1" in by_list(result)["URIBL"].answers


def test_public_resolver_refusing_every_name_is_never_clean() -> None:
    with DnsServer(load_zones(BLOCKLIST_ZONES / "refusing"), host="127.0.0.1") as refusing:
        result = check_blocklists("links.brand.test", make_ctx(refusing))
    assert {verdict.status for verdict in result[1]} == {"not_tested"}
    assert [finding.code for finding in result[0]] == ["blocklist.not_tested"] * 3
    dbl = result[0][0]
    assert dbl.title == (
        "Spamhaus DBL not tested: error: query via a public/open resolver, refused by Spamhaus"
    )
    assert "public/open resolver that Spamhaus refuses" in dbl.fix
    assert "unbound on 127.0.0.1" in dbl.fix


def test_volume_and_rewritten_answers_are_not_tested(server: DnsServer) -> None:
    volume = check_blocklists("x.volume.example", make_ctx(server))
    assert "excessive query volume" in with_code(volume, "blocklist.not_tested")[0].fix
    rewritten = check_blocklists("x.rewritten.example", make_ctx(server))
    dbl, surbl = with_code(rewritten, "blocklist.not_tested")
    assert "outside 127.0.0.0/8" in dbl.title
    assert "rewrites answers" in surbl.fix
    assert with_code(rewritten, "blocklist.clean")[0].title == "Not listed on URIBL"


def test_noerror_without_address_is_not_tested(server: DnsServer) -> None:
    result = check_blocklists("x.nodata.example", make_ctx(server))
    assert by_list(result)["Spamhaus DBL"].status == "not_tested"
    assert by_list(result)["Spamhaus DBL"].meaning == "NOERROR without an A record"


def test_canary_nxdomain_means_not_tested_never_clean(server: DnsServer) -> None:
    server.set_rules([Rule(name=name, rcode="NXDOMAIN") for name in (DBL_CANARY, URIBL_CANARY)])
    result = check_blocklists("links.brand.test", make_ctx(server))
    assert by_list(result)["Spamhaus DBL"].status == "not_tested"
    assert by_list(result)["URIBL"].status == "not_tested"
    assert "test point dbltest.com answered NXDOMAIN" in by_list(result)["Spamhaus DBL"].reason
    (clean,) = with_code(result, "blocklist.clean")
    assert clean.title == "Not listed on SURBL"
    dbl, _uribl = with_code(result, "blocklist.not_tested")
    assert "proves nothing" in dbl.detail
    assert "Spamhaus DQS key" in dbl.fix


def test_servfail_is_not_tested(server: DnsServer) -> None:
    server.set_rules([Rule(name="*.multi.surbl.org", rcode="SERVFAIL")])
    result = check_blocklists("links.brand.test", make_ctx(server))
    assert by_list(result)["SURBL"].status == "not_tested"
    (surbl,) = with_code(result, "blocklist.not_tested")
    assert surbl.title == "SURBL not tested: lookup failed"
    assert "SERVFAIL" in surbl.detail
    assert "SERVFAIL or timeout" in surbl.fix
    assert with_code(result, "blocklist.clean")[0].title == "Not listed on Spamhaus DBL, URIBL"


def test_timeout_is_not_tested(server: DnsServer) -> None:
    server.set_rules([Rule(name="*.multi.uribl.com", drop=True)])
    result = check_blocklists("links.brand.test", make_ctx(server, timeout=0.3))
    assert by_list(result)["URIBL"].status == "not_tested"
    (uribl,) = with_code(result, "blocklist.not_tested")
    assert "timeout" in uribl.detail
    assert "local recursive resolver" in uribl.fix


def test_canary_is_asked_once_for_many_hosts(server: DnsServer) -> None:
    ctx = make_ctx(server)
    for index in range(5):
        check_blocklists(f"links{index}.brand.test", ctx)
    for canary in (DBL_CANARY, SURBL_CANARY, URIBL_CANARY):
        assert server.count(qname=canary, rdtype="A") == 1
    assert server.count(qname="brand.test.multi.surbl.org", rdtype="A") == 1
    assert server.count(qname="links4.brand.test.dbl.spamhaus.org", rdtype="A") == 1


def test_ip_literal_is_sent_reversed_to_surbl_only(server: DnsServer) -> None:
    result = check_blocklists("127.0.0.2", make_ctx(server))
    assert not [query for query in server.queries if query.qname.endswith("dbl.spamhaus.org")]
    assert not [query for query in server.queries if query.qname.endswith("multi.uribl.com")]
    assert set(by_list(result)) == {"SURBL", "URIBL"}
    assert by_list(result)["SURBL"].queried == "2.0.0.127.multi.surbl.org"
    (listed,) = with_code(result, "blocklist.listed")
    assert "the address 127.0.0.2" in listed.detail
    (uribl,) = with_code(result, "blocklist.not_tested")
    assert uribl.title == "URIBL not tested: not a registrable domain"


def test_public_suffix_is_not_queried(server: DnsServer) -> None:
    result = check_blocklists("co.uk", make_ctx(server))
    assert server.queries == ()
    assert [verdict.list_name for verdict in result[1]] == ["SURBL", "URIBL"]
    assert all(verdict.reason.endswith("registered domains only") for verdict in result[1])
    assert [finding.code for finding in result[0]] == ["blocklist.not_tested"] * 2


def test_disabled_blocklists_ask_nothing(server: DnsServer) -> None:
    client = DnsClient([server.server], timeout=0.5, attempts=1)
    ctx = CheckContext(
        resolver=client, blocklist_resolver=client, blocklists=BlocklistSettings(enabled=False)
    )
    assert check_blocklists("links.spammy.example", ctx) == ((), ())
    assert server.queries == ()


def test_dqs_key_never_appears_in_findings_or_verdicts() -> None:
    dbl_text = (BLOCKLIST_ZONES / "dbl.spamhaus.org.zone").read_text(encoding="utf-8")
    dqs_zone = f"{DQS_KEY}.dbl.dq.spamhaus.net"
    zones = {**load_zones(BLOCKLIST_ZONES), **zones_from_text({dqs_zone: dbl_text})}
    del zones["dbl.spamhaus.org"]
    with DnsServer(zones, host="127.0.0.1") as dqs:
        ctx = make_ctx(dqs, dqs_key=DQS_KEY)
        results = [check_blocklists(host, ctx) for host in ("links.brand.test", "a.spammy.example")]
        dqs.set_rules([Rule(name=f"*.{dqs_zone}", rcode="SERVFAIL")])
        results.append(check_blocklists("links.other.test", ctx))
        queried = {query.qname for query in dqs.queries}
    assert f"links.brand.test.{dqs_zone}".lower() in queried
    texts = [repr(ctx.blocklists)]
    for findings, verdicts in results:
        texts += [str(finding.as_json()) + repr(finding) for finding in findings]
        texts += [repr(verdict) for verdict in verdicts]
    everything = "\n".join(texts)
    assert DQS_KEY.lower() not in everything.lower()
    assert "<key>.dbl.dq.spamhaus.net" in everything
    assert with_code(results[1], "blocklist.listed")[0].title.startswith("Listed on Spamhaus DBL")
    (servfail,) = with_code(results[2], "blocklist.not_tested")
    assert "DQS key's service is on" in servfail.fix
