"""Hypothesis strategies for DNS: names (hostile ones too), RRsets of every type the checks read,
and whole response messages built with dnspython and passed through the wire format."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from hypothesis import strategies as st

from checks.dnsanswer import DnsResult, DnsStatus, name_problem
from checks.dnsbatch import Question
from checks.dnsclient import DnsClient

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
LONG_LABEL = st.from_regex(r"[a-z0-9]{40,63}", fullmatch=True)
"""Labels up to the 63-octet limit."""
HOSTILE_LABEL = st.binary(min_size=1, max_size=12)
"""Labels with any bytes: dots, quotes, escapes and non-ASCII inside one label."""
TAG = st.from_regex(r"[a-z0-9]{1,15}", fullmatch=True)
TTL = st.integers(min_value=0, max_value=2**31 - 1)
RDTYPES = ("A", "AAAA", "CNAME", "CAA", "SOA", "NS", "TXT", "HINFO", "MX")


@st.composite
def names(draw: st.DrawFn, near: tuple[str, ...] = ()) -> str:
    """A valid absolute name: one of `near` (so answers chain), a plain one, a long one (up to
    the 255-octet limit), or one with hostile labels."""
    chained: bool = bool(near) and draw(st.booleans())
    if chained:
        return draw(st.sampled_from(near))
    roll = draw(st.integers(min_value=0, max_value=9))
    if roll == 0:
        long_labels = draw(st.lists(LONG_LABEL, min_size=1, max_size=4))
        return ".".join([*long_labels, "example"])[-240:].lstrip(".-") + "."
    labels = draw(st.lists(LABEL, min_size=1, max_size=4))
    if roll < 3:
        hostile = draw(st.lists(HOSTILE_LABEL, min_size=1, max_size=2))
        return dns.name.Name([*hostile, *(label.encode() for label in labels), b""]).to_text()
    return ".".join([*labels, "example"]) + "."


def hosts() -> st.SearchStrategy[str]:
    """Tracking hosts as an ESP's API may list them: valid names, names past the limits, any text."""
    too_long = st.lists(st.from_regex(r"[a-z0-9]{1,70}", fullmatch=True), min_size=2, max_size=6)
    return (
        names().map(lambda name: name.rstrip(".")) | too_long.map(".".join) | st.text(max_size=30)
    )


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


PRINTABLE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


def rdata_text(rdtype: str, near: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Valid presentation-format rdata of `rdtype` (the values themselves are arbitrary)."""
    name = names(near)
    return {
        "A": st.ip_addresses(v=4).map(str),
        "AAAA": st.ip_addresses(v=6).map(str),
        "CNAME": name,
        "NS": name,
        "CAA": st.tuples(
            st.integers(0, 255),
            st.sampled_from(["issue", "issuewild", "iodef", "contactemail"]) | TAG,
            PRINTABLE,
        ).map(lambda t: f"{t[0]} {t[1]} {_quoted(t[2])}"),
        "SOA": st.tuples(name, name, *(st.integers(0, 2**32 - 1) for _ in range(5))).map(
            lambda t: " ".join(str(part) for part in t)
        ),
        "TXT": PRINTABLE.map(_quoted),
        "HINFO": st.tuples(PRINTABLE, PRINTABLE).map(lambda t: f"{_quoted(t[0])} {_quoted(t[1])}"),
        "MX": st.tuples(st.integers(0, 65535), name).map(lambda t: f"{t[0]} {t[1]}"),
    }[rdtype]


@st.composite
def rrsets(draw: st.DrawFn, near: tuple[str, ...]) -> dns.rrset.RRset:
    """One RRset owned by a name of `near` (or another), of any type the checks read."""
    rdtype = draw(st.sampled_from(RDTYPES))
    owner = dns.name.from_text(draw(names(near)))
    rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
    rrset.update_ttl(draw(TTL))
    for text in draw(st.lists(rdata_text(rdtype, near), min_size=1, max_size=3)):
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, rdtype, text))
    return rrset


@st.composite
def responses(draw: st.DrawFn, qname: str, rdtype: str, sections: int = 5) -> dns.message.Message:
    """A reply to (`qname`, `rdtype`) with any rcode, flags and sections, read back from the wire."""
    near = (qname.rstrip(".") + ".", "t1.example.", "t2.example.")
    query = dns.message.make_query(qname, rdtype, id=draw(st.integers(0, 65535)))
    response = dns.message.make_response(query)
    response.set_rcode(draw(st.sampled_from(list(dns.rcode.Rcode))))
    if draw(st.booleans()):
        response.flags |= dns.flags.AA
    response.answer = draw(st.lists(rrsets(near), max_size=sections))
    response.authority = draw(st.lists(rrsets(near), max_size=sections // 2))
    return dns.message.from_wire(wire_of(response))


def wire_of(message: dns.message.Message) -> bytes:
    """The message in wire format, its RRs in order (dnspython shuffles with `random` otherwise)."""
    return message.to_wire(want_shuffle=False)


class ScriptedResolver(DnsClient):
    """A DnsClient (its cache, deadline and name checks) whose server is Hypothesis: each answer
    is drawn when asked, and no packet leaves the process."""

    def __init__(self, answer: Callable[[str, str], DnsResult]) -> None:
        super().__init__([("192.0.2.53", 53)], attempts=1)
        self.answer = answer

    def with_cache(self, cache: object, health: object = None) -> ScriptedResolver:
        return self

    def with_deadline(self, deadline: object) -> ScriptedResolver:
        return self

    def _ask_batch(
        self,
        questions: Sequence[Question],
        window: int,
        claim: Callable[[Question], bool] = lambda _question: True,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[Question, DnsResult]]:
        for name, rdtype, recursive in questions:
            if not stop() and claim((name, rdtype, recursive)):
                problem = name_problem(name)  # as the real batch does: not askable, not asked
                yield (
                    (name, rdtype, recursive),
                    (
                        DnsResult(name=name, rdtype=rdtype, status=DnsStatus.ERROR, error=problem)
                        if problem
                        else self.answer(name, rdtype)
                    ),
                )
