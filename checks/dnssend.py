"""What a DNS question leaves with (and how it goes over TCP after a truncated answer): an unpredictable query id, its wire form, and a socket from a
pool of UDP sockets, each on its own port chosen by the OS at random and each used for at most
`SOCKET_USES` tries before it is replaced, so that an answer must match a random source port as
well as a random 16-bit id (as dnspython's one socket per query does) without a socket's cost
for every question."""

from __future__ import annotations

import os
import selectors
import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype

from checks.dnsanswer import DnsResult, error_result, interpret_response
from checks.servers import Server, server_text

SOCKET_USES = 16
"""Tries a pooled socket carries before it is closed and a new one (a new port) takes its place."""
POOL_SIZE = 32
"""Sockets taking new tries at once per address family, at most (fewer for small batches)."""
OPEN_SOCKETS = 4
"""Sockets open at once, at most this many times the pool's size: used-up ones wait for their last
answer, and a server that answers slowly must not make a scan hold hundreds of them."""


class QueryIds:
    """Unpredictable 16-bit numbers from the OS's random source, read 256 at a time (one system
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


class Pooled:
    """A socket of the pool: how many tries it carried, how many are still in flight, and whether
    it takes new ones (it is the data of its selector key)."""

    __slots__ = ("flights", "retired", "sock", "tries")

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.tries, self.flights, self.retired = sock, 0, 0, False


class SocketPool:
    """UDP sockets on ports the OS picks at random, taken in turn, each carrying at most
    SOCKET_USES tries; a used-up socket is closed as soon as none of its tries is in flight, and
    no more than OPEN_SOCKETS times the pool's size are open at once (past that, the live ones
    carry more tries until some close)."""

    def __init__(self, selector: selectors.BaseSelector, *, size: int) -> None:
        self._selector = selector
        self._size = max(1, size)
        self._cap = OPEN_SOCKETS * self._size
        self._live: dict[int, list[Pooled]] = {}  # per address family
        self._all: set[Pooled] = set()
        self._turn = 0

    def take(self, family: int) -> Pooled:
        """A socket for one try (a new one while the pool is not full; when the system has no
        more sockets to give, the live ones carry on, and with none OSError)."""
        live = self._live.get(family)
        if live is None:
            live = self._live[family] = []
        entry = self._open(family) if len(live) < self._size else None
        if entry is not None:
            live.append(entry)
        else:
            if not live:  # no socket at all: the caller reports the error
                raise OSError("no UDP socket could be opened")
            self._turn += 1
            entry = live[self._turn % len(live)]
        entry.tries += 1
        entry.flights += 1
        if entry.tries >= SOCKET_USES and len(self._all) < self._cap:
            live.remove(entry)  # a new one takes its place (at the cap it carries on)
            entry.retired = True
        return entry

    def _open(self, family: int) -> Pooled | None:
        if len(self._all) >= self._cap:
            return None
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError:  # out of file descriptors: the live sockets carry on
            return None
        sock.setblocking(False)
        entry = Pooled(sock)
        self._selector.register(sock, selectors.EVENT_READ, entry)
        self._all.add(entry)
        return entry

    def release(self, entry: Pooled) -> None:
        """One try of `entry` ended (answered, or its question ended); a used-up socket with no
        try left in flight is closed."""
        entry.flights -= 1
        if entry.retired and entry.flights <= 0:
            self._close(entry)

    def _close(self, entry: Pooled) -> None:
        self._all.discard(entry)
        self._selector.unregister(entry.sock)
        entry.sock.close()

    def open_sockets(self) -> int:
        """How many sockets are open now."""
        return len(self._all)

    def close(self) -> None:
        """Close every socket."""
        for entry in list(self._all):
            self._close(entry)
        self._live.clear()


def ask_over_tcp(question: tuple[str, str, bool], server: Server, timeout: float) -> DnsResult:
    """One question over TCP (after a truncated UDP answer)."""
    qname, rdtype, recursive = question
    where = server_text(*server)
    query = dns.message.make_query(qname, rdtype, flags=dns.flags.RD if recursive else 0)
    try:
        response = dns.query.tcp(query, server[0], timeout=timeout, port=server[1])
    except dns.exception.Timeout:
        return error_result(qname, rdtype, where, f"timeout after {timeout:g}s from {where} (TCP)")
    except (dns.exception.DNSException, ValueError, EOFError) as error:
        return error_result(qname, rdtype, where, f"malformed answer from {where}: {error}")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return error_result(qname, rdtype, where, f"{reason} ({where}, TCP)")
    return interpret_response(qname, rdtype, response, where)
