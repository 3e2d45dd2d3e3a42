"""Many independent DNS questions at once over one UDP socket, with at most `window` in flight.

Each question follows the same tries as `DnsClient.query` (every server in turn, `attempts` times)
and ends in the same `DnsResult`, so an answer fetched here is indistinguishable from one asked
alone; a truncated answer is asked again the ordinary way (over TCP). No thread per question, and
the question's wire form is built directly (dnspython's message rendering costs more than the rest).
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rdatatype

from checks.dnsanswer import (
    DnsResult,
    DnsStatus,
    error_result,
    interpret_response,
    name_problem,
)
from checks.dnswire import fast_interpret
from checks.servers import Server, server_text

Question = tuple[str, str, bool]
"""(name, type, recursive)."""
AskOne = Callable[[str, str, bool, str, int], DnsResult]
_Flight = tuple[Server, int]


@dataclass(slots=True)
class _Pending:
    """One question's progress through its tries."""

    question: Question
    tries: deque[Server]
    wire: bytes = b""
    errors: list[str] = field(default_factory=list)
    flight: _Flight = (("", 0), 0)
    deadline: float = 0.0


class QueryIds:
    """Unpredictable 16-bit query ids from the OS's random source, read 256 at a time (one system
    call per 256 questions, not one each: 22 µs a question was a tenth of the batch's CPU)."""

    def __init__(self) -> None:
        self._pool = b""
        self._at = 0

    def next(self) -> int:
        """The next id."""
        if self._at >= len(self._pool):
            self._pool, self._at = os.urandom(512), 0
        value = int.from_bytes(self._pool[self._at : self._at + 2], "big")
        self._at += 2
        return value


def question_wire(name: str, rdtype: str) -> bytes:
    """The question section (name, type, class IN) in wire format."""
    try:
        labels = name.rstrip(".").encode("ascii").split(b".") if name.strip(".") else []
        if any(not 0 < len(label) < 64 for label in labels):
            raise ValueError(name)
        encoded = b"".join(bytes((len(label),)) + label for label in labels) + b"\0"
    except (UnicodeEncodeError, ValueError):
        encoded = dns.name.from_text(name).to_wire() or b"\0"
    return encoded + struct.pack("!HH", dns.rdatatype.from_text(rdtype), 1)


def ask_many(
    questions: Sequence[Question],
    servers: Sequence[Server],
    *,
    timeout: float,
    attempts: int,
    window: int,
    ask_one: AskOne,
    claim: Callable[[Question], bool] = lambda _question: True,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[Question, DnsResult]]:
    """Yield each question with its result as answers arrive.

    A question is sent only if `claim(question)` says so when its turn comes (the cache may have it
    by then); `stop()` ends sending new ones (those in flight still finish). `ask_one` asks one
    server the ordinary way, for truncated answers (TCP)."""
    tries = tuple(server for _ in range(attempts) for server in servers)
    waiting = deque(questions)
    batch = _Batch(timeout=timeout, ask_one=ask_one, servers=tuple(servers))
    try:
        while waiting or batch.in_flight:
            while waiting and len(batch.in_flight) < window and not stop():
                question = waiting.popleft()
                if claim(question):
                    problem = name_problem(question[0])
                    if problem:  # a host an ESP listed may be no DNS name: not askable
                        yield question, _unaskable(question, problem)
                        continue
                    wire = question_wire(question[0], question[1])
                    yield from batch.send(
                        _Pending(question=question, tries=deque(tries), wire=wire)
                    )
            if not batch.in_flight:
                return
            yield from batch.receive()
    finally:
        batch.close()


def _unaskable(question: Question, problem: str) -> DnsResult:
    """The result of a question whose name cannot be put on the wire."""
    return DnsResult(name=question[0], rdtype=question[1], status=DnsStatus.ERROR, error=problem)


class _Batch:
    """The sockets, the questions in flight by (server, id) and by deadline, and how a try ends."""

    def __init__(self, *, timeout: float, ask_one: AskOne, servers: tuple[Server, ...]) -> None:
        self.timeout = timeout
        self.ask_one = ask_one
        self.servers = servers
        self.in_flight: dict[_Flight, _Pending] = {}
        self.deadlines: deque[tuple[float, _Flight, _Pending]] = deque()
        self.selector = selectors.DefaultSelector()
        self.sockets: dict[int, socket.socket] = {}
        self.ids = QueryIds()

    def close(self) -> None:
        """Close every socket."""
        self.selector.close()
        for sock in self.sockets.values():
            sock.close()

    def _socket(self, family: int) -> socket.socket:
        if family not in self.sockets:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self.sockets[family] = sock
            self.selector.register(sock, selectors.EVENT_READ)
        return self.sockets[family]

    def send(self, item: _Pending) -> Iterator[tuple[Question, DnsResult]]:
        """Send the item's next try; yield its final result when it has no try left."""
        while item.tries:
            server = item.tries.popleft()
            query_id = self.ids.next()
            while (server, query_id) in self.in_flight:
                query_id = (query_id + 1) & 0xFFFF
            flags = 0x0100 if item.question[2] else 0
            header = struct.pack("!HHHHHH", query_id, flags, 1, 0, 0, 0)
            family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
            try:
                self._socket(family).sendto(header + item.wire, server)
            except OSError as error:
                reason = error.strerror or type(error).__name__
                item.errors.append(f"{reason} ({server_text(*server)})")
                continue
            item.flight, item.deadline = (server, query_id), time.monotonic() + self.timeout
            self.in_flight[item.flight] = item
            self.deadlines.append((item.deadline, item.flight, item))
            return
        yield item.question, _failed(item, self.servers)

    def receive(self) -> Iterator[tuple[Question, DnsResult]]:
        """Read the answers that arrive before the earliest deadline, then expire late questions."""
        while (
            self.deadlines and self.in_flight.get(self.deadlines[0][1]) is not self.deadlines[0][2]
        ):
            self.deadlines.popleft()  # answered already
        wait = self.deadlines[0][0] - time.monotonic() if self.deadlines else 0.0
        for key, _events in self.selector.select(max(wait, 0.0)):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            while True:
                try:
                    wire, source = sock.recvfrom(65535)
                except OSError:  # BlockingIOError: nothing more to read now
                    break
                yield from self._answer(wire, (source[0], source[1]))
        now = time.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            _deadline, flight, item = self.deadlines.popleft()
            if self.in_flight.get(flight) is item:
                del self.in_flight[flight]
                item.errors.append(
                    f"timeout after {self.timeout:g}s from {server_text(*flight[0])}"
                )
                yield from self.send(item)

    def _answer(self, wire: bytes, source: Server) -> Iterator[tuple[Question, DnsResult]]:
        if len(wire) < 2:
            return
        flight = (source, int.from_bytes(wire[:2], "big"))
        item = self.in_flight.get(flight)
        if item is None:
            return  # not from a server asked, or not an id in flight: ignored, as dnspython does
        del self.in_flight[flight]
        result = self._interpret(item, wire)
        if result.status is not DnsStatus.ERROR:
            yield item.question, result
            return
        item.errors.append(result.error)
        yield from self.send(item)

    def _interpret(self, item: _Pending, wire: bytes) -> DnsResult:
        name, rdtype, recursive = item.question
        server = item.flight[0]
        where = server_text(*server)
        answers_it = (
            len(wire) >= 12 and wire[2] & 0x80 and wire[12 : 12 + len(item.wire)] == item.wire
        )
        if answers_it and wire[2] & 0x02:  # TC: ask again the ordinary way, which falls back to TCP
            return self.ask_one(name, rdtype, recursive, *server)
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


def _failed(item: _Pending, servers: Sequence[Server]) -> DnsResult:
    """The result after every try failed, worded as `DnsClient.query` words it."""
    name, rdtype, _recursive = item.question
    where = ", ".join(server_text(address, port) for address, port in servers)
    reason = "; ".join(dict.fromkeys(item.errors))
    return error_result(name, rdtype, where, reason)
