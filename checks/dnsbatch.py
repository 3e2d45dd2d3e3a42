"""Many independent DNS questions at once over UDP, with at most `window` in flight; one question
alone is a batch of one.

Each question is asked of the servers in turn and ends in one `DnsResult`, worded the same however
it was asked. A question that gets no answer is sent again after a wait that starts at the
server's retransmission timeout (from its round trips) and doubles up to the timeout, until its
budget (`attempts` × timeout, cut short by a host's deadline) is spent; an answer to any of its
tries counts, so one lost answer costs a short wait, not a timeout. A server that answers with an
error (SERVFAIL, garbage) is asked at most `attempts` times, one that refuses only once; a
truncated answer is asked again over TCP; a server the scan's `ResolverHealth` found down is not
asked at all.

Questions leave from a pool of UDP sockets on random source ports (`checks.dnssend`), so an answer
must match a random port as well as a random 16-bit id. No thread per question; the question's
wire form is built directly (dnspython's message rendering costs more than the rest).
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import dns.exception
import dns.message
import dns.query

from checks.dnsanswer import (
    DnsResult,
    DnsStatus,
    error_result,
    interpret_response,
    name_problem,
)
from checks.dnshealth import first_wait
from checks.dnssend import POOL_SIZE, Pooled, QueryIds, SocketPool, ask_over_tcp, question_wire
from checks.dnswire import fast_interpret
from checks.servers import Server, server_text

if TYPE_CHECKING:
    from checks.dnshealth import ResolverHealth

Question = tuple[str, str, bool]
"""(name, type, recursive)."""
Done = tuple[Question, DnsResult]
"""A question that ended, with its result."""
_Flight = tuple[Pooled, Server, int]
"""One try in flight: the socket it left from, the server asked and the query id."""

_HEADER = struct.Struct("!HHHHHH")
POLL = 0.05
"""How often a batch looks at a canary's verdict while one is out."""
REFUSALS = ("REFUSED", "NOTIMP")
"""Answers a server gives by policy: it is not asked the same question again (another is)."""
RESOLVER = "resolver"
"""The role of servers whose death is said once as `dns.resolver_down` (a zone's name servers'
is the authoritative check's `dns.lame_nameserver` or `dns.authoritative_failed`)."""


def ask_many(
    questions: Sequence[Question],
    servers: Sequence[Server],
    *,
    timeout: float,
    attempts: int,
    window: int,
    claim: Callable[[Question], bool] = lambda _question: True,
    stop: Callable[[], bool] = lambda: False,
    health: ResolverHealth | None = None,
    deadline: float | None = None,
    role: str = RESOLVER,
) -> Iterator[tuple[Question, DnsResult]]:
    """Yield each question with its result as answers arrive.

    A question is sent only if `claim(question)` says so when its turn comes (the cache may have it
    by then); `stop()` ends sending new ones (those in flight still finish). `deadline` (a
    `time.monotonic()` value) ends every question, asked or not, when it passes."""
    waiting = iter(questions)
    pool_size = min(POOL_SIZE, max(1, window // 8), len(questions))
    batch = Batch(
        servers=tuple(servers), timeout=timeout, attempts=attempts, health=health,
        deadline=deadline, pool_size=pool_size, role=role,
    )  # fmt: skip
    try:
        exhausted = False
        while not exhausted or batch.items:
            while len(batch.items) < window and not stop():
                question = next(waiting, None)
                if question is None:
                    exhausted = True
                    break
                if claim(question) and (done := batch.start(question)) is not None:
                    yield done
            if stop():
                exhausted = True
            if batch.items:
                yield from batch.receive()
    finally:
        batch.close()


class _Pending:
    """One question's progress: its tries in flight, its errors and when it gives up (a plain
    slotted class: one is made per question, and the errors and refusals only when there are)."""

    __slots__ = ("cut", "ends", "errors", "flights", "question", "refusals", "sent_at", "server",
                 "timer", "tried", "wire")  # fmt: skip

    def __init__(self, question: Question, wire: bytes, ends: float, cut: bool) -> None:
        self.question, self.wire, self.ends, self.cut = question, wire, ends, cut
        self.errors: list[str] | None = None
        self.refusals: dict[Server, int] | None = None
        self.flights: dict[_Flight, float] = {}
        self.tried: list[Server] = []
        self.server: Server = ("", 0)
        self.sent_at = 0.0
        self.timer = 0

    def failed(self, server: Server, error: str, *, refusals: int = 1) -> None:
        """`server` answered with an error (or could not be sent to): counted against it."""
        self.errors = [*(self.errors or ()), error]
        self.refusals = self.refusals or {}
        self.refusals[server] = self.refusals.get(server, 0) + refusals


class Batch:
    """The sockets, the questions in flight by (socket, server, id) and by timer, and how a
    question's tries end (`ask_many` drives one; so does the canary)."""

    def __init__(
        self,
        *,
        servers: tuple[Server, ...],
        timeout: float,
        attempts: int,
        health: ResolverHealth | None,
        deadline: float | None,
        pool_size: int,
        on_reply: Callable[[Server, float | None], None] | None = None,
        first: float | None = None,
        role: str = RESOLVER,
    ) -> None:
        self.servers, self.timeout, self.attempts = servers, timeout, max(1, attempts)
        self.role = role
        self.first = first
        self.health, self.deadline = health, deadline
        self.on_reply = on_reply if on_reply is not None else health.heard if health else None
        self.items: set[_Pending] = set()
        self.flights: dict[_Flight, _Pending] = {}
        self.timers: list[tuple[float, int, _Pending]] = []
        self.serial = itertools.count()
        self.selector = selectors.DefaultSelector()
        self.ids = QueryIds()
        self.pool = SocketPool(self.selector, size=pool_size)
        self.single = servers[0] if len(servers) == 1 else None
        self.families = {
            server: socket.AF_INET6 if ":" in server[0] else socket.AF_INET for server in servers
        }
        self.seen_version = health.version if health is not None else 0
        self._waits: dict[Server, float] = {}
        self._sends = 0

    def close(self) -> None:
        """Close every socket."""
        self.pool.close()
        self.selector.close()

    def start(self, question: Question) -> Done | None:
        """Send a question's first try; the question and its result when it ended at once (not
        a DNS name, nothing to ask, no time left)."""
        problem = name_problem(question[0])
        if problem:  # a host an ESP listed may be no DNS name: not askable
            return question, _result(question, problem)
        now = time.monotonic()
        ends = now + self.attempts * self.timeout
        cut = self.deadline is not None and self.deadline < ends
        if self.deadline is not None and now >= self.deadline:
            return question, _result(
                question, "not asked: this host's time for unanswered DNS questions had run out"
            )
        if self.deadline is not None:
            ends = min(ends, self.deadline)
        item = _Pending(question, question_wire(question[0], question[1]), ends, cut)
        self.items.add(item)
        return self._send(item, now)

    def _next_server(self, item: _Pending) -> Server | None:
        """The server for the item's next try: the next in turn that is not down and has not
        refused `attempts` times, preferring one no canary is deciding about."""
        refusals = item.refusals
        if self.single is not None:  # the common case, kept cheap
            server = self.single
            refused = refusals is not None and refusals.get(server, 0) >= self.attempts
            return None if refused or (self.health and self.health.down(server)) else server
        if not self.servers:
            return None
        refusals = refusals or {}
        order = self.servers[len(item.tried) % len(self.servers) :] + self.servers
        usable = [
            server
            for server in dict.fromkeys(order)
            if refusals.get(server, 0) < self.attempts
            and not (self.health is not None and self.health.down(server))
        ]
        if self.health is not None and len(usable) > 1:
            trusted = [server for server in usable if not self.health.suspected(server)]
            usable = trusted or usable
        return usable[0] if usable else None

    def _send(self, item: _Pending, now: float) -> Done | None:
        """Send the item's next try, or end it when no server or no time is left."""
        while now < item.ends:
            server = self._next_server(item)
            if server is None:
                break
            item.tried.append(server)
            try:
                pooled = self.pool.take(self.families[server])
            except OSError as error:
                item.failed(server, f"{error} ({server_text(*server)})", refusals=self.attempts)
                continue
            query_id = self.ids.next()
            while (pooled, server, query_id) in self.flights:
                query_id = (query_id + 1) & 0xFFFF
            header = _HEADER.pack(query_id, 0x0100 if item.question[2] else 0, 1, 0, 0, 0)
            try:
                pooled.sock.sendto(header + item.wire, server)
            except OSError as error:
                self.pool.release(pooled)
                reason = error.strerror or type(error).__name__
                item.failed(server, f"{reason} ({server_text(*server)})", refusals=self.attempts)
                continue
            flight = (pooled, server, query_id)
            self.flights[flight] = item
            item.flights[flight] = now
            item.server, item.sent_at = server, now
            tries = len(item.tried) if self.single else item.tried.count(server)
            self._sends += 1
            if not self._sends & 127:  # the round trips are read again every 128 tries
                self._waits.clear()
            wait = self._waits.get(server) or self._first_wait(server)
            wait = min(wait * (1 << (tries - 1)), self.timeout)
            item.timer = next(self.serial)
            heapq.heappush(self.timers, (min(now + wait, item.ends), item.timer, item))
            return None
        return self._finish(item, self._failure(item, out_of_time=now >= item.ends))

    def _first_wait(self, server: Server) -> float:
        """The server's first wait, from its round trips (kept until the next reading)."""
        if self.first is not None:
            wait = self.first
        else:
            rto = self.health.rto(server) if self.health is not None else None
            wait = first_wait(self.timeout, rto)
        self._waits[server] = wait
        return wait

    def _failure(self, item: _Pending, *, out_of_time: bool) -> DnsResult:
        """The result of a question that got no usable answer, worded as every asker words it:
        the servers' errors, then why it stopped (a dead resolver, or no answer in time)."""
        errors = list(item.errors or ())
        down = [s for s in self.servers if self.health is not None and self.health.down(s)]
        if down and not out_of_time:
            errors.append(self._down_reason(down, asked=bool(item.tried)))
        elif item.flights or not errors:
            if item.cut:
                errors.append(
                    "no answer before this host's time for unanswered DNS questions ran out"
                )
            else:
                tried = ", ".join(server_text(*server) for server in dict.fromkeys(item.tried))
                errors.append(f"timeout after {self.attempts * self.timeout:g}s from {tried}")
        where = ", ".join(server_text(address, port) for address, port in self.servers)
        name, rdtype, _recursive = item.question
        return error_result(name, rdtype, where, "; ".join(dict.fromkeys(errors)))

    def _down_reason(self, down: list[Server], *, asked: bool) -> str:
        """Why a question ended without its answer because its servers were found dead (a
        resolver's death cites the finding that says it once)."""
        where = ", ".join(server_text(*server) for server in down)
        what = "no answer" if asked else "not asked"
        cited = " (dns.resolver_down)" if self.role == RESOLVER else ""
        return f"{what}: the {self.role} {where} stopped answering{cited}"

    def _finish(self, item: _Pending, result: DnsResult) -> Done:
        """End the item: forget its tries (late answers to them are ignored)."""
        for flight in item.flights:
            del self.flights[flight]
            self.pool.release(flight[0])
        item.flights.clear()
        item.timer = -1
        self.items.discard(item)
        return item.question, result

    def receive(self) -> Iterator[Done]:
        """Read the answers that arrive before the next timer, then act on the timers due."""
        while self.timers and self.timers[0][2].timer != self.timers[0][1]:
            heapq.heappop(self.timers)  # a try answered, or superseded by a later one
        wait = self.timers[0][0] - time.monotonic() if self.timers else POLL
        if self.health is not None and self.health.probing():
            wait = min(wait, POLL)
        for key, _events in self.selector.select(max(wait, 0.0)):
            pooled = key.data
            while not pooled.retired or pooled.flights > 0:  # a closed socket reads no more
                try:
                    wire, source = pooled.sock.recvfrom(65535)
                except OSError:  # BlockingIOError: nothing more to read now
                    break
                if (done := self._answer(pooled, wire, (source[0], source[1]))) is not None:
                    yield done
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _when, serial, item = heapq.heappop(self.timers)
            if item.timer == serial and (done := self._unanswered(item, now)) is not None:
                yield done
        if self.health is not None and self.health.version != self.seen_version:
            self.seen_version = self.health.version
            for item in [item for item in self.items if self.health.down(item.server)]:
                if (done := self._send(item, now)) is not None:
                    yield done

    def _unanswered(self, item: _Pending, now: float) -> Done | None:
        """The item's last try got no answer within its wait: tell the health, try again. A
        first try waits on when the server has grown slower meanwhile (a burst of questions it
        must look up): it is asked again only once its current wait is over too. A question out
        of time waits for a canary deciding about its server (at most the canary's timeout)."""
        if len(item.tried) == 1 and self.first is None and self.health is not None:
            wait = first_wait(self.timeout, self.health.rto(item.server))
            if item.sent_at + wait > now + 0.001 and item.sent_at + wait < item.ends:
                item.timer = next(self.serial)
                heapq.heappush(self.timers, (item.sent_at + wait, item.timer, item))
                return None
        if self.health is not None:
            self.health.silent(item.server, item.sent_at, self.timeout)
            if now >= item.ends and not item.cut and self.health.suspected(item.server):
                # out of time while a canary decides about its server: the verdict says how it
                # ended (the resolver is dead, or this question's answer never came)
                item.timer = next(self.serial)
                heapq.heappush(self.timers, (now + POLL, item.timer, item))
                return None
        return self._send(item, now)

    def _answer(self, pooled: Pooled, wire: bytes, source: Server) -> Done | None:
        if len(wire) < 2:
            return None
        flight = (pooled, source, int.from_bytes(wire[:2], "big"))
        item = self.flights.get(flight)
        if item is None:
            return None  # not from a server asked on this port, or not an id in flight: ignored
        now = time.monotonic()
        sent_at = item.flights.pop(flight)
        del self.flights[flight]
        self.pool.release(pooled)
        if self.on_reply is not None:
            self.on_reply(source, now - sent_at)  # each try has its own id: never ambiguous
        result = self._interpret(item, wire, source, now)
        if result.status is not DnsStatus.ERROR:
            return self._finish(item, result)
        final = result.error.startswith(REFUSALS)  # the server will say the same again
        item.failed(source, result.error, refusals=self.attempts if final else 1)
        return self._send(item, now)

    def _interpret(self, item: _Pending, wire: bytes, server: Server, now: float) -> DnsResult:
        name, rdtype, _recursive = item.question
        where = server_text(*server)
        answers_it = (
            len(wire) >= 12 and wire[2] & 0x80 and wire[12 : 12 + len(item.wire)] == item.wire
        )
        if answers_it and wire[2] & 0x02:  # TC: ask again over TCP
            left = min(self.timeout, item.ends - now)
            return ask_over_tcp(item.question, server, max(left, 0.05))
        fast = fast_interpret(name, rdtype, wire, where) if answers_it else None
        if fast is not None:
            return fast
        try:
            response = dns.message.from_wire(wire)
            if not answers_it:  # dnspython's own check of the question, flags and opcode
                raise dns.query.BadResponse
        except (dns.exception.DNSException, ValueError, EOFError) as error:
            return error_result(name, rdtype, where, f"malformed answer from {where}: {error}")
        return interpret_response(name, rdtype, response, where)


def _result(question: Question, error: str) -> DnsResult:
    """The ERROR result of a question that was not asked, and why."""
    return DnsResult(name=question[0], rdtype=question[1], status=DnsStatus.ERROR, error=error)
