"""A small DNS client: typed answers, no exceptions for network conditions, a scan-wide answer cache
in which each distinct question is asked once (honouring TTLs), the scan's record of which
resolvers still answer, and a host's deadline that no question of the host outlives."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future

import dns.resolver

from checks.dnsanswer import DnsResult, DnsStatus, name_problem
from checks.dnsbatch import RESOLVER, Question, ask_many
from checks.dnshealth import ResolverHealth
from checks.names import normalize
from checks.servers import Server

Clock = Callable[[], float]


def system_nameservers() -> tuple[Server, ...]:
    """The system resolver's servers from /etc/resolv.conf (empty when it cannot be read)."""
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except (dns.resolver.NoResolverConfiguration, OSError):
        return ()
    return tuple((str(address), 53) for address in resolver.nameservers)


class Deadline:
    """A host's time for DNS questions that go unanswered: `seconds` in all, one per host.

    A question that is answered costs nothing, however long its answer took: a resolver under
    load, or a machine busy with 10,000 hosts, is slow, not broken, and its answers are waited
    for. A question that ends without an answer (a timeout, SERVFAIL, REFUSED, or cut by this
    deadline) costs the time it was waited for. So however many of a host's questions time out,
    the host stops waiting once `seconds` are spent, and no answer is given up on because the
    answers before it were slow."""

    __slots__ = ("_lock", "seconds", "spent")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self._lock = threading.Lock()

    def left(self) -> float:
        """Seconds still to spend on unanswered questions (0 or less once spent)."""
        return self.seconds - self.spent

    def ends(self, now: float | None = None) -> float:
        """The `time.monotonic()` value a question asked now must end by, at the latest."""
        return (time.monotonic() if now is None else now) + max(self.left(), 0.0)

    def charge(self, seconds: float) -> None:
        """A question waited `seconds` and got no answer: they are spent."""
        with self._lock:
            self.spent += max(seconds, 0.0)

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds:g}, spent={self.spent:.3f})"


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
        found, owner = self.lookup(key)
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
        found, owner = self.lookup(key)
        return found if owner and isinstance(found, Future) else None

    def peek(self, key: tuple[object, ...]) -> DnsResult | None:
        """The answer for `key` if the cache holds one now (never claims, never waits)."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        expires, found = entry
        if isinstance(found, Future):
            return found.result() if found.done() else None
        return found if expires > self._clock() else None

    def lookup(self, key: tuple[object, ...]) -> tuple[Future[DnsResult] | DnsResult, bool]:
        """The entry for `key` (an answer, or the future of a question in flight) and False; or,
        when there is none, a new future the caller now owns and True."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (isinstance(entry[1], Future) or entry[0] > self._clock()):
                self.hits += 1
                return entry[1], False
            future: Future[DnsResult] = Future()
            self._entries[key] = (float("inf"), future)
            self.questions_asked += 1
            return future, True

    def fulfil(
        self,
        key: tuple[object, ...],
        future: Future[DnsResult],
        result: DnsResult,
        *,
        store: bool = True,
    ) -> None:
        """Store `result` for its TTL (unless `store` is False: the next asker asks again) and
        wake everyone waiting on `future`."""
        lifetime = (
            self._error_ttl if result.status is DnsStatus.ERROR else max(result.ttl, self._min_ttl)
        )
        with self._lock:
            if store:
                self._entries[key] = (self._clock() + lifetime, result)
            elif self._entries.get(key, (0.0, None))[1] is future:
                del self._entries[key]
        future.set_result(result)


class DnsClient:
    """Asks questions of a set of servers (a recursive resolver, or one authoritative server).

    Never raises for network conditions: a timeout, SERVFAIL or garbage is a `DnsResult` with
    status ERROR and the reason. With a `health` (one per scan) a server found dead is asked no
    more; with a `deadline` (one per host) no question outlives it.
    """

    def __init__(
        self,
        servers: Sequence[Server],
        *,
        timeout: float = 2.0,
        attempts: int = 2,
        cache: AnswerCache | None = None,
        health: ResolverHealth | None = None,
        deadline: Deadline | None = None,
        role: str = RESOLVER,
    ) -> None:
        self.servers = tuple(servers)
        self.role = role
        self.timeout = timeout
        self.attempts = attempts
        self.cache = cache if cache is not None else AnswerCache()
        self.health = health
        self.deadline = deadline

    def with_cache(self, cache: AnswerCache, health: ResolverHealth | None = None) -> DnsClient:
        """The same client sharing `cache` and `health` (one of each per scan)."""
        return DnsClient(
            self.servers, timeout=self.timeout, attempts=self.attempts, cache=cache, health=health,
            role=self.role,
        )  # fmt: skip

    def with_deadline(self, deadline: Deadline | None) -> DnsClient:
        """The same client (cache and health shared) whose questions end by `deadline`."""
        return DnsClient(
            self.servers, timeout=self.timeout, attempts=self.attempts, cache=self.cache,
            health=self.health, deadline=deadline, role=self.role,
        )  # fmt: skip

    def query(self, name: str, rdtype: str, *, recursive: bool = True) -> DnsResult:
        """Ask every server in turn until one answers; cached per scan. Once the host's time for
        unanswered questions is spent only a cached answer is given; a question another host is
        asking is awaited until then."""
        qname, kind = normalize(name), rdtype.upper()
        key = self._key(qname, kind, recursive)
        left = self.deadline.left() if self.deadline is not None else None
        if left is not None and left <= 0:
            return self.cache.peek(key) or self._late(qname, kind, "not asked")
        started = time.monotonic()
        found, owner = self.cache.lookup(key)
        if isinstance(found, DnsResult):
            return found
        if not owner:
            try:
                result = found.result(timeout=left)
            except TimeoutError:
                result = self._late(qname, kind, "no answer")
            return self._charged(result, started)
        result = self._ask(qname, kind, recursive)
        cut = left is not None and left < self.attempts * self.timeout
        self.cache.fulfil(key, found, result, store=not (cut and result.status is DnsStatus.ERROR))
        return self._charged(result, started)

    def _charged(self, result: DnsResult, started: float) -> DnsResult:
        """`result`, its wait charged to the host's deadline when no answer came."""
        if self.deadline is not None and result.status is DnsStatus.ERROR:
            self.deadline.charge(time.monotonic() - started)
        return result

    def _late(self, qname: str, rdtype: str, what: str) -> DnsResult:
        seconds = self.deadline.seconds if self.deadline is not None else 0.0
        error = f"{what}: this host's {seconds:g}s for unanswered DNS questions had run out"
        return DnsResult(name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=error)

    def prefetch(
        self,
        questions: Iterable[tuple[str, str]],
        *,
        window: int = 128,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Ask many independent questions at once (at most `window` in flight), storing each
        answer in the cache as `query` would; cached questions, and questions in flight
        elsewhere, are skipped. Returns how many were asked; `stop()` ends it early (questions in
        flight still finish)."""
        if not self.servers:
            return 0
        claimed: dict[Question, Future[DnsResult]] = {}

        def claim(question: Question) -> bool:
            future = self.cache.claim(self._key(*question))
            if future is not None:
                claimed[question] = future
            return future is not None

        wanted = dict.fromkeys(
            (normalize(name), rdtype.upper(), True) for name, rdtype in questions
        )
        left = self.deadline.left() if self.deadline is not None else None
        store = left is None or left >= self.attempts * self.timeout
        asked = 0
        started, last_unanswered = time.monotonic(), None
        try:
            for question, result in self._ask_batch(tuple(wanted), window, claim, stop):
                keep = store or result.status is not DnsStatus.ERROR
                if result.status is DnsStatus.ERROR:
                    last_unanswered = time.monotonic()
                self.cache.fulfil(self._key(*question), claimed.pop(question), result, store=keep)
                asked += 1
        finally:  # never leave a claimed question without an answer: someone may wait on it
            for question, future in claimed.items():
                reason = "the batched question was abandoned"
                failed = DnsResult(
                    name=question[0], rdtype=question[1], status=DnsStatus.ERROR, error=reason
                )
                self.cache.fulfil(self._key(*question), future, failed, store=False)
            if last_unanswered is not None and self.deadline is not None:
                # asked at once, waited for at once: the wait until the last one gave up
                self.deadline.charge(last_unanswered - started)
        return asked

    def _key(self, qname: str, rdtype: str, recursive: bool) -> tuple[object, ...]:
        return (self.servers, qname, rdtype, recursive)

    def _ask(self, qname: str, rdtype: str, recursive: bool) -> DnsResult:
        """One question, asked now (a batch of one)."""
        if not self.servers:
            return DnsResult(
                name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error="no DNS servers configured"
            )
        problem = name_problem(qname)
        if problem:
            return DnsResult(name=qname, rdtype=rdtype, status=DnsStatus.ERROR, error=problem)
        [(_question, result)] = list(self._ask_batch(((qname, rdtype, recursive),), 1))
        return result

    def _ask_batch(
        self,
        questions: Sequence[Question],
        window: int,
        claim: Callable[[Question], bool] = lambda _question: True,
        stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[Question, DnsResult]]:
        """Where every question goes on the wire (the seam a scripted resolver replaces)."""
        return ask_many(
            questions, self.servers, timeout=self.timeout, attempts=self.attempts, window=window,
            claim=claim, stop=stop, health=self.health,
            deadline=self.deadline.ends() if self.deadline is not None else None, role=self.role,
        )  # fmt: skip
