"""A small DNS client over dnspython: typed answers, no exceptions for network conditions, and a
scan-wide answer cache in which each distinct question is asked once (honouring TTLs)."""

from __future__ import annotations

import enum
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from checks.servers import Server

Clock = Callable[[], float]


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


def normalize(name: str) -> str:
    """Lower-case `name` without the trailing dot, the form every check compares."""
    return name.strip().rstrip(".").lower()


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


def system_nameservers() -> tuple[Server, ...]:
    """The system resolver's servers from /etc/resolv.conf (empty when it cannot be read)."""
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except (dns.resolver.NoResolverConfiguration, OSError):
        return ()
    return tuple((str(address), 53) for address in resolver.nameservers)


class AnswerCache:
    """Answers shared by a whole scan: a question in flight is awaited, not asked again.

    Answers live for their TTL, but at least `min_ttl` seconds, so that a TTL-0 answer is not asked
    again by every host of the same scan (each scan gets a new cache, so nothing goes stale across
    re-checks); errors live `error_ttl` seconds.
    """

    def __init__(
        self, clock: Clock = time.monotonic, error_ttl: float = 30.0, min_ttl: float = 10.0
    ) -> None:
        self._clock = clock
        self._error_ttl = error_ttl
        self._min_ttl = min_ttl
        self._lock = threading.Lock()
        # a question in flight holds its Future; an answered one only its result (a Future keeps a
        # lock and a condition alive: ~0.5 KB per question, 30 MB over a 10,000-host scan)
        self._entries: dict[tuple[object, ...], tuple[float, Future[DnsResult] | DnsResult]] = {}
        self.questions_asked = 0
        self.hits = 0

    def get_or_ask(self, key: tuple[object, ...], ask: Callable[[], DnsResult]) -> DnsResult:
        """The cached answer for `key`, or the answer of `ask()` stored for its TTL."""
        found, owner = self._lookup(key)
        if isinstance(found, DnsResult):
            return found
        if not owner:
            return found.result()
        result = ask()
        self.fulfil(key, found, result)
        return result

    def claim(self, key: tuple[object, ...]) -> Future[DnsResult] | None:
        """A future the caller must `fulfil` when `key` is neither cached nor being asked, else
        None (for asking many questions at once: the others wait on the claimed future)."""
        found, owner = self._lookup(key)
        return found if owner and isinstance(found, Future) else None

    def _lookup(self, key: tuple[object, ...]) -> tuple[Future[DnsResult] | DnsResult, bool]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (isinstance(entry[1], Future) or entry[0] > self._clock()):
                self.hits += 1
                return entry[1], False
            future: Future[DnsResult] = Future()
            self._entries[key] = (float("inf"), future)
            self.questions_asked += 1
            return future, True

    def fulfil(self, key: tuple[object, ...], future: Future[DnsResult], result: DnsResult) -> None:
        """Store `result` for its TTL and wake everyone waiting on `future`."""
        lifetime = (
            self._error_ttl if result.status is DnsStatus.ERROR else max(result.ttl, self._min_ttl)
        )
        with self._lock:
            self._entries[key] = (self._clock() + lifetime, result)
        future.set_result(result)


class DnsClient:
    """Asks questions of a set of servers (a recursive resolver, or one authoritative server).

    Never raises for network conditions: a timeout, SERVFAIL or garbage is a `DnsResult` with
    status ERROR and the reason.
    """

    def __init__(
        self,
        servers: Sequence[Server],
        *,
        timeout: float = 2.0,
        attempts: int = 2,
        cache: AnswerCache | None = None,
    ) -> None:
        self.servers = tuple(servers)
        self.timeout = timeout
        self.attempts = attempts
        self.cache = cache if cache is not None else AnswerCache()

    def with_cache(self, cache: AnswerCache) -> DnsClient:
        """The same client sharing `cache` (one per scan)."""
        return DnsClient(self.servers, timeout=self.timeout, attempts=self.attempts, cache=cache)

    def query(self, name: str, rdtype: str, *, recursive: bool = True) -> DnsResult:
        """Ask every server in turn until one answers; cached per scan."""
        qname = normalize(name)
        key = self._key(qname, rdtype.upper(), recursive)
        return self.cache.get_or_ask(key, lambda: self._ask(qname, rdtype.upper(), recursive))

    def prefetch(
        self,
        questions: Iterable[tuple[str, str]],
        *,
        window: int = 128,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Ask many independent questions at once (at most `window` in flight, one socket), storing
        each answer in the cache as `query` would; cached questions are skipped. Returns how many
        were asked; `stop()` ends it early (questions in flight still finish)."""
        from checks.dnsbatch import ask_many  # noqa: PLC0415 - dnsbatch imports this module

        if not self.servers:
            return 0
        claimed: dict[tuple[str, str, bool], Future[DnsResult]] = {}

        def claim(question: tuple[str, str, bool]) -> bool:
            future = self.cache.claim(self._key(question[0], question[1], question[2]))
            if future is not None:
                claimed[question] = future
            return future is not None

        wanted = dict.fromkeys(
            (normalize(name), rdtype.upper(), True) for name, rdtype in questions
        )
        answers = ask_many(
            tuple(wanted), self.servers, timeout=self.timeout, attempts=self.attempts,
            window=window, ask_one=self._ask_one, claim=claim, stop=stop,
        )  # fmt: skip
        asked = 0
        try:
            for question, result in answers:
                self.cache.fulfil(self._key(*question), claimed.pop(question), result)
                asked += 1
        finally:  # never leave a claimed question without an answer: someone may wait on it
            for (qname, rdtype, recursive), future in claimed.items():
                reason = "the batched question was abandoned"
                failed = DnsResult(name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=reason)
                self.cache.fulfil(self._key(qname, rdtype, recursive), future, failed)
        return asked

    def _key(self, qname: str, rdtype: str, recursive: bool) -> tuple[object, ...]:
        return (self.servers, qname, rdtype, recursive)

    def _ask(self, qname: str, rdtype: str, recursive: bool) -> DnsResult:
        if not self.servers:
            return DnsResult(
                name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error="no DNS servers configured"
            )
        problem = name_problem(qname)
        if problem:
            return DnsResult(name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=problem)
        errors: list[str] = []
        for _attempt in range(self.attempts):
            for address, port in self.servers:
                result = self._ask_one(qname, rdtype, recursive, address, port)
                if result.status is not DnsStatus.ERROR:
                    return result
                errors.append(result.error)
                if result.error.startswith(("REFUSED", "NOTIMP")):
                    continue
        reason = "; ".join(dict.fromkeys(errors))
        where = ", ".join(server_text(address, port) for address, port in self.servers)
        return DnsResult(
            name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=reason, server=where
        )

    def _ask_one(
        self, qname: str, rdtype: str, recursive: bool, address: str, port: int
    ) -> DnsResult:
        server = server_text(address, port)
        query = dns.message.make_query(qname, rdtype, flags=dns.flags.RD if recursive else 0)
        try:
            response, _used_tcp = dns.query.udp_with_fallback(
                query, address, timeout=self.timeout, port=port
            )
        except dns.exception.Timeout:
            return _error(qname, rdtype, server, f"timeout after {self.timeout:g}s from {server}")
        except (dns.exception.DNSException, ValueError, EOFError) as error:
            return _error(qname, rdtype, server, f"malformed answer from {server}: {error}")
        except OSError as error:
            reason = error.strerror or type(error).__name__
            return _error(qname, rdtype, server, f"{reason} ({server})")
        return interpret_response(qname, rdtype, response, server)


def server_text(address: str, port: int) -> str:
    """A server as findings show it: ``IP``, ``IP:PORT`` or ``[IPv6]:PORT``."""
    shown = f"[{address}]" if ":" in address else address
    return shown if port == 53 else f"{shown}:{port}"


def _error(qname: str, rdtype: str, server: str, reason: str) -> DnsResult:
    return DnsResult(name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=reason, server=server)


def interpret_response(
    qname: str, rdtype: str, response: dns.message.Message, server: str
) -> DnsResult:
    """Turn a DNS message into a `DnsResult`, following CNAMEs inside the answer section."""
    rcode = response.rcode()
    authoritative = bool(response.flags & dns.flags.AA)
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        text = dns.rcode.to_text(rcode)
        return _error(qname, rdtype, server, f"{text} from {server}")
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
