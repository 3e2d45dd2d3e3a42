"""What a DNS answer means: the typed result of one question (`DnsResult`), how a DNS message
becomes one, and the name rules every asker applies.

It sits below the client, the batch and the fast wire reader so that all three give the same
results without importing one another."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from checks.names import normalize


class DnsStatus(enum.Enum):
    """The outcome class of one question."""

    ANSWER = "answer"
    NODATA = "nodata"
    NXDOMAIN = "nxdomain"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsResult:
    """One question's answer: the records of the final name, the CNAMEs followed to get there."""

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[str, ...] = ()
    cnames: tuple[tuple[str, str], ...] = ()
    ttl: int = 0
    error: str = ""
    server: str = ""
    authoritative: bool = False
    other_rrsets: tuple[tuple[str, str, str], ...] = ()

    @property
    def final_name(self) -> str:
        """The last name of the CNAME chain in this answer (the question's name if none)."""
        return self.cnames[-1][1] if self.cnames else self.name

    def evidence(self) -> str:
        """A one-line, dig-like rendering for findings' evidence."""
        where = f" @{self.server}" if self.server else ""
        head = f"{self.name} {self.rdtype}{where}: "
        chain = "".join(f"{owner} CNAME {target}; " for owner, target in self.cnames)
        if self.status is DnsStatus.ANSWER:
            return head + chain + ", ".join(self.records) + f" (TTL {self.ttl})"
        if self.status is DnsStatus.ERROR:
            return head + chain + f"error: {self.error}"
        return head + chain + self.status.name


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?")
"""Names dnspython always accepts (letters, digits, '-', '_' in labels of 1-63): checked without it."""


def name_problem(name: str) -> str:
    """Why `name` cannot be asked about (too long, an empty label, not IDNA), or "" when it can:
    hosts listed by an ESP's API are not validated like the inventory's."""
    if len(name) <= 253 and _PLAIN_NAME.fullmatch(name):
        return ""
    try:
        dns.name.from_text(name)
    except (dns.exception.DNSException, ValueError) as error:
        return f"{name[:80]!r} is not a DNS name that can be asked: {error}"
    return ""


UNANSWERED = ("timeout", "not asked", "no answer")
"""Words of an error that means no answer came at all (a silent server, a dead resolver, a spent
deadline), unlike an answer that is an error (SERVFAIL, REFUSED, garbage)."""


def unanswered(result: DnsResult) -> bool:
    """Whether the question got no answer at all (see UNANSWERED)."""
    return result.status is DnsStatus.ERROR and any(word in result.error for word in UNANSWERED)


def error_result(qname: str, rdtype: str, server: str, reason: str) -> DnsResult:
    """The ERROR result of a question `server` did not answer usably, and why."""
    return DnsResult(name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=reason, server=server)


def interpret_response(
    qname: str, rdtype: str, response: dns.message.Message, server: str
) -> DnsResult:
    """Turn a DNS message into a `DnsResult`, following CNAMEs inside the answer section."""
    rcode = response.rcode()
    authoritative = bool(response.flags & dns.flags.AA)
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        text = dns.rcode.to_text(rcode)
        return error_result(qname, rdtype, server, f"{text} from {server}")
    wanted = dns.rdatatype.from_text(rdtype)
    if wanted == dns.rdatatype.ANY:
        return _interpret_any(qname, response, server, authoritative)
    cnames: list[tuple[str, str]] = []
    current = qname
    seen = {qname}
    ttls: list[int] = []
    other: list[tuple[str, str, str]] = []
    answer_rrset = None
    for _hop in range(32):
        owner = dns.name.from_text(current)
        rrset = (
            response.find_rrset(
                response.answer, owner, dns.rdataclass.IN, wanted, create=False, force_unique=False
            )
            if _has(response, owner, wanted)
            else None
        )
        if rrset is not None and wanted != dns.rdatatype.CNAME:
            answer_rrset = rrset
            break
        if not _has(response, owner, dns.rdatatype.CNAME):
            break
        cname_rrset = response.find_rrset(
            response.answer, owner, dns.rdataclass.IN, dns.rdatatype.CNAME
        )
        if wanted == dns.rdatatype.CNAME:
            answer_rrset = cname_rrset
            break
        target = normalize(cname_rrset[0].to_text())
        cnames.append((current, target))
        ttls.append(cname_rrset.ttl)
        if target in seen:
            return DnsResult(
                name=qname,
                rdtype=rdtype,
                status=DnsStatus.ERROR,
                cnames=tuple(cnames),
                error=f"CNAME loop at {target}",
                server=server,
                authoritative=authoritative,
            )
        seen.add(target)
        current = target
    for rrset in response.answer:
        if rrset.rdtype not in (wanted, dns.rdatatype.CNAME, dns.rdatatype.RRSIG):
            other.append(
                (
                    normalize(rrset.name.to_text()),
                    dns.rdatatype.to_text(rrset.rdtype),
                    ", ".join(rdata.to_text() for rdata in rrset),
                )
            )
    if answer_rrset is not None:
        ttls.append(answer_rrset.ttl)
        return DnsResult(
            name=qname,
            rdtype=rdtype,
            status=DnsStatus.ANSWER,
            records=tuple(sorted(rdata.to_text() for rdata in answer_rrset)),
            cnames=tuple(cnames),
            ttl=min(ttls),
            server=server,
            authoritative=authoritative,
            other_rrsets=tuple(other),
        )
    ttls.append(_negative_ttl(response))
    status = DnsStatus.NXDOMAIN if rcode == dns.rcode.NXDOMAIN else DnsStatus.NODATA
    return DnsResult(
        name=qname,
        rdtype=rdtype,
        status=status,
        cnames=tuple(cnames),
        ttl=min(ttls),
        server=server,
        authoritative=authoritative,
        other_rrsets=tuple(other),
    )


def _has(
    response: dns.message.Message, owner: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> bool:
    return any(rrset.name == owner and rrset.rdtype == rdtype for rrset in response.answer)


def _negative_ttl(response: dns.message.Message) -> int:
    """RFC 2308: a negative answer may be cached for min(SOA TTL, SOA MINIMUM)."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return int(min(rrset.ttl, rrset[0].minimum))
    return 0


def _interpret_any(
    qname: str, response: dns.message.Message, server: str, authoritative: bool
) -> DnsResult:
    """An ANY answer: every RRset owned by the name, as ``TYPE rdata`` strings."""
    owner = dns.name.from_text(qname)
    records = sorted(
        f"{dns.rdatatype.to_text(rrset.rdtype)} {rdata.to_text()}"
        for rrset in response.answer
        if rrset.name == owner
        for rdata in rrset
    )
    ttls = [rrset.ttl for rrset in response.answer if rrset.name == owner]
    if records:
        return DnsResult(
            name=qname,
            rdtype="ANY",
            status=DnsStatus.ANSWER,
            records=tuple(records),
            ttl=min(ttls),
            server=server,
            authoritative=authoritative,
        )
    status = DnsStatus.NXDOMAIN if response.rcode() == dns.rcode.NXDOMAIN else DnsStatus.NODATA
    return DnsResult(
        name=qname,
        rdtype="ANY",
        status=status,
        ttl=_negative_ttl(response),
        server=server,
        authoritative=authoritative,
    )
