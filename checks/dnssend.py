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


class SocketPool:
    """UDP sockets on ports the OS picks at random, each carrying at most `uses` tries; a used-up
    socket is closed once no try of it is still in flight."""

    def __init__(self, selector: selectors.BaseSelector, ids: QueryIds, *, size: int) -> None:
        self._selector = selector
        self._ids = ids
        self._size = max(1, size)
        self._live: dict[int, list[socket.socket]] = {}
        self._uses: dict[socket.socket, int] = {}
        self._flights: dict[socket.socket, int] = {}
        self.opened = 0

    def take(self, family: int) -> socket.socket:
        """A socket for one try (a random one of the live ones, or a new one)."""
        live = self._live.setdefault(family, [])
        if len(live) < self._size:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
            live.append(sock)
            self._uses[sock], self._flights[sock] = 0, 0
            self.opened += 1
        else:
            sock = live[self._ids.next() % len(live)]
        self._uses[sock] += 1
        self._flights[sock] += 1
        if self._uses[sock] >= SOCKET_USES:
            live.remove(sock)
        return sock

    def release(self, sock: socket.socket) -> None:
        """A try of `sock` ended; a used-up socket with none left in flight is closed."""
        self._flights[sock] -= 1
        if self._flights[sock] == 0 and self._uses[sock] >= SOCKET_USES:
            self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        self._selector.unregister(sock)
        sock.close()
        del self._uses[sock], self._flights[sock]

    def close(self) -> None:
        """Close every socket."""
        for sock in list(self._uses):
            self._close(sock)
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
