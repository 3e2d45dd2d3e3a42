"""A small DNS client over dnspython: typed answers, no exceptions for network conditions, and a
scan-wide answer cache in which each distinct question is asked once (honouring TTLs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.resolver

from checks.dnsanswer import DnsResult, DnsStatus, error_result, interpret_response, name_problem
from checks.dnsbatch import ask_many
from checks.names import normalize
from checks.servers import Server, server_text

Clock = Callable[[], float]


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
            return error_result(
                qname, rdtype, server, f"timeout after {self.timeout:g}s from {server}"
            )
        except (dns.exception.DNSException, ValueError, EOFError) as error:
            return error_result(qname, rdtype, server, f"malformed answer from {server}: {error}")
        except OSError as error:
            reason = error.strerror or type(error).__name__
            return error_result(qname, rdtype, server, f"{reason} ({server})")
        return interpret_response(qname, rdtype, response, server)
