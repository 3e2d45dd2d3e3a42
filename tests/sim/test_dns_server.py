"""The loopback DNS server answers like a resolver or an authoritative server, on UDP and TCP."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rrset
import dns.zone
import pytest

from checks.dnsanswer import DnsStatus
from checks.dnsclient import DnsClient
from tui.sim.dns_server import DnsServer, QueryRecord, Rule, chance
from tui.sim.zones import load_zones, zones_from_text

SOA = (
    "@ {ttl} IN SOA ns1.{origin}. hostmaster.{origin}. 1 7200 900 1209600 {minimum}\n@ IN NS ns1\n"
)
ACME = (
    SOA.format(ttl=3600, origin="acme.example", minimum=120)
    + """
$TTL 300
ns1 IN A 127.0.0.1
www IN A 192.0.2.10
links IN CNAME track.esp.test.
inzone IN CNAME www
both IN CNAME other.esp.test.
both IN A 192.0.2.50
dangling IN CNAME gone.nowhere.invalid.
toancestor IN CNAME test.
loop1 IN CNAME loop2
loop2 IN CNAME loop1
deep.a.b IN A 192.0.2.9
"""
)
ESP = (
    SOA.format(ttl=900, origin="esp.test", minimum=60)
    + """
$TTL 600
track IN CNAME edge.cdn.test.
other IN A 192.0.2.51
"""
)
BIG_TXT = " ".join(f'"{index:02d}-{"x" * 60}"' for index in range(12))
CDN = (
    SOA.format(ttl=900, origin="cdn.test", minimum=60)
    + f"""
$TTL 3600
edge 120 IN A 192.0.2.80
edge IN AAAA 2001:db8::80
*.wild IN A 192.0.2.99
sub.wild IN TXT "not a wildcard"
big IN TXT {BIG_TXT}
"""
)
CHAIN = (
    SOA.format(ttl=300, origin="chain.test", minimum=60)
    + "".join(f"h{hop} IN CNAME h{hop + 1}\n" for hop in range(16))
    + "h16 IN A 192.0.2.16\n"
    + "".join(f"k{hop} IN CNAME k{hop + 1}\n" for hop in range(17))
    + "k17 IN A 192.0.2.17\n"
)
ZONES = zones_from_text(
    {"acme.example": ACME, "esp.test": ESP, "cdn.test": CDN, "chain.test": CHAIN}
)


@pytest.fixture
def server() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as running:
        yield running


@pytest.fixture
def authority() -> Iterator[DnsServer]:
    with DnsServer(ZONES, authoritative=True) as running:
        yield running


def ask(
    server: DnsServer, name: str, rdtype: str = "A", *, tcp: bool = False, edns: bool = False
) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    if tcp:
        return dns.query.tcp(query, server.address, timeout=2, port=server.port)
    return dns.query.udp(query, server.address, timeout=2, port=server.port)


def rows(section: list[dns.rrset.RRset]) -> list[tuple[str, str, int, str]]:
    return [
        (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype), rrset.ttl, rdata.to_text())
        for rrset in section
        for rdata in rrset
    ]


def test_cname_chain_across_zones_is_one_answer(server: DnsServer) -> None:
    for tcp in (False, True):
        response = ask(server, "links.acme.example", tcp=tcp)
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.RA and not response.flags & dns.flags.AA
        assert rows(response.answer) == [
            ("links.acme.example.", "CNAME", 300, "track.esp.test."),
            ("track.esp.test.", "CNAME", 600, "edge.cdn.test."),
            ("edge.cdn.test.", "A", 120, "192.0.2.80"),
        ]


def test_dns_client_reads_the_chain(server: DnsServer) -> None:
    result = DnsClient([server.server], timeout=1).query("links.acme.example", "AAAA")
    assert result.status is DnsStatus.ANSWER
    assert result.records == ("2001:db8::80",)
    assert result.cnames == (
        ("links.acme.example", "track.esp.test"),
        ("track.esp.test", "edge.cdn.test"),
    )


def test_cname_question_returns_only_the_cname(server: DnsServer) -> None:
    response = ask(server, "links.acme.example", "CNAME")
    assert rows(response.answer) == [("links.acme.example.", "CNAME", 300, "track.esp.test.")]


def test_nxdomain_carries_the_soa_with_its_ttl(server: DnsServer) -> None:
    response = ask(server, "nope.acme.example")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.answer == []
    [soa] = response.authority
    assert (soa.name.to_text(), soa.ttl, soa[0].minimum) == ("acme.example.", 3600, 120)


def test_nodata_and_empty_non_terminal(server: DnsServer) -> None:
    for name in ("www.acme.example", "a.b.acme.example", "b.acme.example"):
        response = ask(server, name, "AAAA")
        assert response.rcode() == dns.rcode.NOERROR, name
        assert response.answer == []
        assert [rrset.name.to_text() for rrset in response.authority] == ["acme.example."]


def test_ancestors_of_held_zones_have_no_data_and_others_do_not_exist(server: DnsServer) -> None:
    for name in (".", "example", "test"):
        response = ask(server, name)
        assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, []), name
    for name in ("com", "unheld.org", "nowhere.invalid"):
        assert ask(server, name).rcode() == dns.rcode.NXDOMAIN, name


def test_dangling_chain_is_nxdomain_with_the_cnames(server: DnsServer) -> None:
    response = ask(server, "dangling.acme.example")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert rows(response.answer) == [
        ("dangling.acme.example.", "CNAME", 300, "gone.nowhere.invalid.")
    ]
    towards_ancestor = ask(server, "toancestor.acme.example")
    assert towards_ancestor.rcode() == dns.rcode.NOERROR
    assert len(towards_ancestor.answer) == 1


def test_cname_loop_and_overlong_chain_are_servfail(server: DnsServer) -> None:
    assert ask(server, "loop1.acme.example").rcode() == dns.rcode.SERVFAIL
    assert ask(server, "k0.chain.test").rcode() == dns.rcode.SERVFAIL
    sixteen = ask(server, "h0.chain.test")
    assert sixteen.rcode() == dns.rcode.NOERROR
    assert len(sixteen.answer) == 17
    assert rows(sixteen.answer)[-1][3] == "192.0.2.16"


def test_authoritative_mode_stays_inside_its_zone(authority: DnsServer) -> None:
    response = ask(authority, "links.acme.example")
    assert response.flags & dns.flags.AA and not response.flags & dns.flags.RA
    assert rows(response.answer) == [("links.acme.example.", "CNAME", 300, "track.esp.test.")]
    inside = ask(authority, "inzone.acme.example")
    assert [row[1] for row in rows(inside.answer)] == ["CNAME", "A"]
    missing = ask(authority, "nope.acme.example")
    assert missing.rcode() == dns.rcode.NXDOMAIN and missing.flags & dns.flags.AA
    refused = ask(authority, "example.org")
    assert refused.rcode() == dns.rcode.REFUSED and not refused.flags & dns.flags.AA


def test_node_with_cname_and_a_answers_each_type(server: DnsServer) -> None:
    assert rows(ask(server, "both.acme.example", "A").answer) == [
        ("both.acme.example.", "A", 300, "192.0.2.50")
    ]
    assert rows(ask(server, "both.acme.example", "CNAME").answer) == [
        ("both.acme.example.", "CNAME", 300, "other.esp.test.")
    ]


def test_any_returns_every_rrset_at_the_node(server: DnsServer) -> None:
    response = ask(server, "both.acme.example", "ANY")
    assert sorted(row[1] for row in rows(response.answer)) == ["A", "CNAME"]


def test_wildcards_match_only_names_that_do_not_exist(server: DnsServer) -> None:
    for name in ("foo.wild.cdn.test", "x.y.wild.cdn.test"):
        assert rows(ask(server, name).answer) == [(f"{name}.", "A", 3600, "192.0.2.99")]
    for name in ("wild.cdn.test", "sub.wild.cdn.test"):
        response = ask(server, name)
        assert (response.rcode(), response.answer) == (dns.rcode.NOERROR, []), name
    assert ask(server, "x.sub.wild.cdn.test").rcode() == dns.rcode.NXDOMAIN


def test_large_answer_is_truncated_without_edns_and_fits_with_it(server: DnsServer) -> None:
    plain = ask(server, "big.cdn.test", "TXT")
    assert plain.flags & dns.flags.TC and plain.answer == []
    with_edns = ask(server, "big.cdn.test", "TXT", edns=True)
    assert not with_edns.flags & dns.flags.TC
    assert (with_edns.edns, with_edns.payload) == (0, 1232)
    assert len(rows(with_edns.answer)) == 1
    assert len(ask(server, "big.cdn.test", "TXT", tcp=True).answer) == 1


def test_truncate_rule_forces_a_tcp_retry(server: DnsServer) -> None:
    server.set_rules([Rule(name="links.*", truncate_udp=True)])
    truncated = ask(server, "links.acme.example")
    assert truncated.flags & dns.flags.TC and truncated.answer == []
    query = dns.message.make_query("links.acme.example", "A")
    response, used_tcp = dns.query.udp_with_fallback(
        query, server.address, timeout=2, port=server.port
    )
    assert used_tcp and len(response.answer) == 3
    assert [record.transport for record in server.queries] == ["udp", "udp", "tcp"]


def test_drop_rule_times_the_client_out_and_is_still_counted(server: DnsServer) -> None:
    server.set_rules([Rule(name="www.acme.example", drop=True)])
    query = dns.message.make_query("www.acme.example", "A")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(query, server.address, timeout=0.3, port=server.port)
    assert server.count("www.acme.example", "A") == 1
    result = DnsClient([server.server], timeout=0.2, attempts=1).query("www.acme.example", "A")
    assert result.status is DnsStatus.ERROR and "timeout" in result.error


def test_rcode_rule_applies_to_its_type_only_and_first_rule_wins(server: DnsServer) -> None:
    server.set_rules([Rule(rdtype="AAAA", rcode="SERVFAIL"), Rule(name="edge.*", rcode="REFUSED")])
    failed = ask(server, "edge.cdn.test", "AAAA")
    assert (failed.rcode(), failed.answer) == (dns.rcode.SERVFAIL, [])
    assert ask(server, "edge.cdn.test", "A").rcode() == dns.rcode.REFUSED
    assert ask(server, "www.acme.example", "A").rcode() == dns.rcode.NOERROR


def test_malformed_rule_makes_the_client_fail_to_parse(server: DnsServer) -> None:
    server.set_rules([Rule(malformed=True)])
    for tcp in (False, True):
        with pytest.raises(dns.exception.FormError):
            ask(server, "www.acme.example", tcp=tcp)


def test_udp_only_rule_leaves_tcp_alone(server: DnsServer) -> None:
    server.set_rules([Rule(rcode="REFUSED", transports=("udp",))])
    assert ask(server, "www.acme.example").rcode() == dns.rcode.REFUSED
    assert ask(server, "www.acme.example", tcp=True).rcode() == dns.rcode.NOERROR


def test_delayed_answers_are_served_concurrently(server: DnsServer) -> None:
    server.set_delay(1.0)  # the clients wait 2 s
    names = [f"n{index}.wild.cdn.test" for index in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        pending = [pool.submit(ask, server, name) for name in names]
        while server.count() < len(names) and not any(future.done() for future in pending):
            time.sleep(0.01)
        # all 50 questions were taken in while the first answer was still being delayed
        assert server.count() == len(names) and not any(future.done() for future in pending)
        answers = [future.result() for future in pending]
    assert all(len(response.answer) == 1 for response in answers)
    assert server.distinct_questions() == 50


def test_stop_does_not_wait_for_pending_delays() -> None:
    delay = 60.0
    running = DnsServer(ZONES, rules=[Rule(delay=delay)]).start()
    query = dns.message.make_query("www.acme.example", "A")
    with pytest.raises(dns.exception.Timeout):
        dns.query.udp(query, running.address, timeout=0.2, port=running.port)
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < delay / 2  # generous: it did not wait for the delay
    suffix = f"-{running.port}"
    assert not [thread for thread in threading.enumerate() if thread.name.endswith(suffix)]


def test_query_log_counts_and_distinct_questions(server: DnsServer) -> None:
    ask(server, "www.acme.example")
    ask(server, "WWW.acme.example.")
    ask(server, "www.acme.example", "AAAA", tcp=True)
    query = dns.message.make_query("www.acme.example", "A")
    query.flags &= ~dns.flags.RD
    response = dns.query.udp(query, server.address, timeout=2, port=server.port)
    assert (response.id, response.flags & dns.flags.RD) == (query.id, 0)
    assert server.queries[0] == QueryRecord("www.acme.example", "A", "udp", True)
    assert server.count() == 4
    assert server.count("www.acme.example.", "a") == 3
    assert server.count(rdtype="AAAA") == 1
    assert server.distinct_questions() == 3
    server.reset_log()
    assert (server.queries, server.count()) == ((), 0)


def test_two_servers_share_a_port_on_different_loopback_addresses() -> None:
    other = zones_from_text({"acme.example": ACME.replace("192.0.2.10", "198.51.100.10")})
    with DnsServer(ZONES) as first, DnsServer(other, host="127.0.0.2", port=first.port) as second:
        assert second.server == ("127.0.0.2", first.port)
        assert rows(ask(first, "www.acme.example").answer)[0][3] == "192.0.2.10"
        assert rows(ask(second, "www.acme.example").answer)[0][3] == "198.51.100.10"
        assert (first.count(), second.count()) == (1, 1)


def test_replace_zones_takes_effect_at_run_time(server: DnsServer) -> None:
    assert ask(server, "new.acme.example").rcode() == dns.rcode.NXDOMAIN
    server.replace_zones(zones_from_text({"acme.example": ACME + "new IN A 192.0.2.77\n"}))
    assert rows(ask(server, "new.acme.example").answer)[0][3] == "192.0.2.77"
    assert ask(server, "edge.cdn.test").rcode() == dns.rcode.NXDOMAIN


def test_load_zones_takes_the_origin_from_directive_or_file_name(tmp_path: Path) -> None:
    (tmp_path / "acme.example.zone").write_text(ACME, encoding="utf-8")
    (tmp_path / "anything.zone").write_text("$ORIGIN esp.test.\n" + ESP, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a zone", encoding="utf-8")
    zones = load_zones(tmp_path)
    assert sorted(zones) == ["acme.example", "esp.test"]
    with DnsServer(zones) as running:
        assert [row[3] for row in rows(ask(running, "links.acme.example").answer)] == [
            "track.esp.test.",
            "edge.cdn.test.",
        ]


def test_rule_rejects_unknown_rcode_and_transport() -> None:
    with pytest.raises(dns.rdatatype.UnknownRdatatype):
        Rule(rdtype="NOPE")
    with pytest.raises(dns.rcode.UnknownRcode):
        Rule(rcode="BOGUS")
    with pytest.raises(ValueError, match="transports"):
        Rule(transports=("quic",))


def test_message_without_question_is_formerr_and_not_logged(server: DnsServer) -> None:
    response = dns.query.udp(dns.message.Message(), server.address, timeout=2, port=server.port)
    assert response.rcode() == dns.rcode.FORMERR
    assert server.count() == 0


def test_relativized_zones_are_refused() -> None:
    relative = dns.zone.from_text(ESP, origin="esp.test", check_origin=False)
    with pytest.raises(ValueError, match="relativize=False"):
        DnsServer({"esp.test": relative})


def _ask_all(server: DnsServer, names: list[str], lost: set[str]) -> set[str]:
    """Send one UDP question per name from one socket, 50 at a time (socket buffers hold about
    250 datagrams), reading the answers of each 50 until every one not in `lost` came; the names
    answered (10 s in all is a bound that only stops a broken server from hanging the test)."""
    give_up = time.monotonic() + 10
    answered: set[str] = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        for first in range(0, len(names), 50):
            chunk = names[first : first + 50]
            for index, name in enumerate(chunk, start=first):
                sock.sendto(dns.message.make_query(name, "A", id=index).to_wire(), server.server)
            while not set(chunk) - lost <= answered and time.monotonic() < give_up:
                with contextlib.suppress(TimeoutError):
                    answered.add(names[dns.message.from_wire(sock.recv(4096)).id])
    return answered


def test_lost_answers_follow_the_seed_not_the_order_of_arrival() -> None:
    names = [f"n{index}.wild.cdn.test" for index in range(400)]
    for seed in (0, 1):
        rule = Rule(loss=0.05, transports=("udp",), seed=seed)
        lost = {
            name
            for name in names
            if chance(seed, QueryRecord(name, "A", "udp", True), 0) < rule.loss
        }
        assert 8 <= len(lost) <= 40  # about 5 % of 400
        with DnsServer(ZONES, rules=[rule]) as running:
            answered = _ask_all(running, names, lost)
            assert answered == set(names) - lost
            assert running.count() == len(names)  # the questions arrived: only answers are lost


def test_lose_first_loses_each_questions_first_answers() -> None:
    with DnsServer(ZONES, rules=[Rule(name="www.acme.example", lose_first=2)]) as running:
        for _attempt in range(2):
            with pytest.raises(dns.exception.Timeout):
                dns.query.udp(
                    dns.message.make_query("www.acme.example", "A"),
                    running.address,
                    timeout=0.2,
                    port=running.port,
                )
        assert rows(ask(running, "www.acme.example").answer)[0][3] == "192.0.2.10"
        assert rows(ask(running, "other.esp.test").answer)[0][3] == "192.0.2.51"
        running.reset_log()  # a new round: the first answers are lost again
        with pytest.raises(dns.exception.Timeout):
            dns.query.tcp(
                dns.message.make_query("www.acme.example", "A"),
                running.address,
                timeout=0.2,
                port=running.port,
            )


def test_the_log_names_the_source_port(server: DnsServer) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        response = dns.query.udp(
            dns.message.make_query("www.acme.example", "A"),
            server.address,
            timeout=2,
            port=server.port,
            sock=sock,
        )
        assert response.rcode() == dns.rcode.NOERROR
        assert server.queries[-1].source_port == sock.getsockname()[1]


def test_loss_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="loss must be between 0 and 1"):
        Rule(loss=5)
