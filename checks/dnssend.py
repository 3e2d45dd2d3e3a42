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
from collections import deque

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
"""Sockets in use at once per address family, at most (fewer for small batches)."""


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


class _Pooled:
    """A socket of the pool and how many tries it carried."""

    __slots__ = ("sock", "tries")

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.tries = sock, 0


class SocketPool:
    """UDP sockets on ports the OS picks at random, taken in turn, each carrying at most
    SOCKET_USES tries; a used-up socket keeps listening for `linger` seconds (the longest a try sent
    from it can still be answered), then is closed."""

    def __init__(self, selector: selectors.BaseSelector, *, size: int, linger: float) -> None:
        self._selector = selector
        self._size = max(1, size)
        self._linger = linger
        self._live: dict[int, list[_Pooled]] = {}  # per address family
        self._retired: deque[tuple[float, socket.socket]] = deque()
        self._turn = 0
        self.opened = 0

    def take(self, family: int, now: float) -> socket.socket:
        """A socket for one try sent at `now` (a new one while the pool is not full)."""
        live = self._live.get(family)
        if live is None:
            live = self._live[family] = []
        if len(live) < self._size:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
            self.opened += 1
            entry = _Pooled(sock)
            live.append(entry)
        else:
            self._turn += 1
            entry = live[self._turn % len(live)]
        entry.tries += 1
        if entry.tries >= SOCKET_USES:
            live.remove(entry)
            self._retired.append((now + self._linger, entry.sock))
        return entry.sock

    def reap(self, now: float) -> None:
        """Close the used-up sockets none of whose tries can be answered any more."""
        while self._retired and self._retired[0][0] <= now:
            self._close(self._retired.popleft()[1])

    def _close(self, sock: socket.socket) -> None:
        self._selector.unregister(sock)
        sock.close()

    def close(self) -> None:
        """Close every socket."""
        for live in self._live.values():
            for entry in live:
                self._close(entry.sock)
        while self._retired:
            self._close(self._retired.popleft()[1])
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
