"""A loopback DNS server over real UDP and TCP that answers from in-memory zones (`tui.sim.zones`),
with fault knobs (delay, drop, rcode, truncation, garbage, lost answers) so tests and the demo
exercise real protocol paths."""

from __future__ import annotations

import collections
import contextlib
import fnmatch
import hashlib
import socket
import socketserver
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rrset
import dns.transaction
import dns.zone

from checks.names import normalize
from tui.sim.zones import Answer, by_origin, resolve

EDNS_PAYLOAD = 1232
TRANSPORTS = ("udp", "tcp")
_GARBAGE = b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\xff\xfe\xc0\xffnot dns"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A fault knob applied to matching questions; the first matching rule wins.

    `loss` drops that share of the answers, and `lose_first` the answers to the first N times each
    question arrives (a network that loses answers, not questions: the server still logs them).
    Which answers are lost depends only on `seed`, the question and how many times it came before,
    so a run loses the same answers whatever the order of the threads.
    """

    name: str = "*"
    rdtype: str | None = None
    delay: float = 0.0
    drop: bool = False
    rcode: str | None = None
    truncate_udp: bool = False
    malformed: bool = False
    transports: tuple[str, ...] = TRANSPORTS
    loss: float = 0.0
    lose_first: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rcode is not None:
            dns.rcode.from_text(self.rcode)
        if self.rdtype is not None:
            dns.rdatatype.from_text(self.rdtype)
        if not set(self.transports) <= set(TRANSPORTS):
            raise ValueError(f"transports must be among {TRANSPORTS}, not {self.transports}")
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss must be between 0 and 1, not {self.loss}")

    def loses(self, record: QueryRecord, seen: int) -> bool:
        """Whether the answer to `record`, which arrived `seen` times before, is lost."""
        if seen < self.lose_first:
            return True
        return self.loss > 0 and chance(self.seed, record, seen) < self.loss

    def faults(self, transport: str) -> bool:
        """Whether this rule replaces the real answer (rather than only delaying it)."""
        truncates = self.truncate_udp and transport == "udp"
        return self.drop or self.malformed or self.rcode is not None or truncates

    def matches(self, record: QueryRecord) -> bool:
        """Whether this rule applies to one logged question."""
        return (
            record.transport in self.transports
            and (self.rdtype is None or self.rdtype.upper() == record.rdtype)
            and fnmatch.fnmatchcase(record.qname, self.name.lower().rstrip("."))
        )


@dataclass(frozen=True, slots=True)
class QueryRecord:
    """One question the server received (before any rule was applied), and the port it came from."""

    qname: str
    rdtype: str
    transport: str
    recursion_desired: bool
    source_port: int = field(default=0, compare=False)


def chance(seed: int, record: QueryRecord, seen: int) -> float:
    """A number in [0, 1) fixed by the seed, the question and how many times it came before."""
    text = f"{seed}|{record.qname}|{record.rdtype}|{record.transport}|{seen}"
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Occurrences:
    """How many times each question arrived before (for lost answers)."""

    def __init__(self) -> None:
        self._seen: collections.Counter[tuple[str, str, str]] = collections.Counter()

    def next(self, record: QueryRecord) -> int:
        """The number of earlier arrivals of `record`'s question (counting this one from now on)."""
        key = (record.qname, record.rdtype, record.transport)
        seen = self._seen[key]
        self._seen[key] = seen + 1
        return seen

    def clear(self) -> None:
        """Forget every arrival."""
        self._seen.clear()


def build_response(
    query: dns.message.Message, answer: Answer, *, recursion_available: bool
) -> dns.message.Message:
    """The reply to `query` carrying `answer` (id, question, RD and EDNS follow the query)."""
    response = dns.message.make_response(
        query, recursion_available=recursion_available, our_payload=EDNS_PAYLOAD
    )
    response.set_rcode(answer.rcode)
    if answer.authoritative:
        response.flags |= dns.flags.AA
    response.answer = list(answer.answer)
    response.authority = list(answer.authority)
    return response


def to_wire(response: dns.message.Message, limit: int) -> bytes:
    """The response in wire format, truncated to an empty TC=1 reply when it exceeds `limit`."""
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        return _truncated(response).to_wire(max_size=limit)


def _truncated(response: dns.message.Message) -> dns.message.Message:
    response.answer, response.authority, response.additional = [], [], []
    response.flags |= dns.flags.TC
    return response


def _size_limit(query: dns.message.Message, transport: str) -> int:
    if transport == "tcp":
        return 65535
    return min(EDNS_PAYLOAD, max(512, query.payload)) if query.edns >= 0 else 512


def _record(query: dns.message.Message, transport: str, source_port: int) -> QueryRecord:
    question = query.question[0]
    rdtype = dns.rdatatype.to_text(question.rdtype)
    recursion_desired = bool(query.flags & dns.flags.RD)
    qname = normalize(question.name.to_text())
    return QueryRecord(qname, rdtype, transport, recursion_desired, source_port)


def _read_frame(conn: socket.socket) -> bytes | None:
    """One length-prefixed DNS message from a TCP stream (None at end of stream)."""
    header = _read_exactly(conn, 2)
    return None if header is None else _read_exactly(conn, int.from_bytes(header, "big"))


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    max_packet_size = 65535

    def __init__(self, owner: DnsServer, address: tuple[str, int], family: int) -> None:
        self.owner = owner
        self.address_family = family
        super().__init__(address, socketserver.BaseRequestHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        data, sock = cast(tuple[bytes, socket.socket], request)
        self.owner.serve_datagram(data, sock, client_address)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, owner: DnsServer, address: tuple[str, int], family: int) -> None:
        self.owner = owner
        self.address_family = family
        super().__init__(address, socketserver.BaseRequestHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.owner.serve_stream(cast(socket.socket, request))


class DnsServer:
    """Answers DNS over UDP and TCP on one loopback port from in-memory zones (see `resolve`)."""

    tcp_idle_timeout = 10.0

    def __init__(
        self,
        zones: Mapping[str, dns.zone.Zone],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        authoritative: bool = False,
        delay: float = 0.0,
        rules: Sequence[Rule] = (),
    ) -> None:
        self.authoritative = authoritative
        self._seen = Occurrences()
        self._host, self._port, self._requested_port = host, port, port
        self._lock = threading.Lock()
        self._zones = by_origin(zones)
        self._delay, self._rules = delay, tuple(rules)
        self._log: list[QueryRecord] = []
        self._stopping = threading.Event()
        self._servers: tuple[_UdpServer, _TcpServer] | None = None
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()

    def start(self) -> DnsServer:
        """Bind UDP and TCP on the same port and serve each request in its own thread."""
        if self._servers is not None:
            raise RuntimeError("DnsServer already started")
        self._stopping.clear()
        self._servers = self._bind()
        self._port = self._servers[0].server_address[1]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"dns-{type(server).__name__}-{self._port}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _bind(self) -> tuple[_UdpServer, _TcpServer]:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        for _attempt in range(50):
            udp = _UdpServer(self, (self._host, self._requested_port), family)
            try:
                return udp, _TcpServer(self, (self._host, udp.server_address[1]), family)
            except OSError:
                udp.server_close()
                if self._requested_port:
                    raise
        raise OSError(f"no port on {self._host} is free for both UDP and TCP")

    def stop(self) -> None:
        """Stop serving, close both sockets and open connections, and join every thread."""
        servers, self._servers = self._servers, None
        if servers is None:
            return
        self._stopping.set()
        for server in servers:
            server.shutdown()
        for thread in self._threads:
            thread.join()
        self._threads = []
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for server in servers:
            server.server_close()

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """The IP address the server listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The port shared by UDP and TCP (the requested one until started)."""
        return self._port

    @property
    def server(self) -> tuple[str, int]:
        """(address, port), the form `DnsClient` takes."""
        return self._host, self._port

    def set_rules(self, rules: Sequence[Rule]) -> None:
        """Replace the fault rules for the questions that arrive from now on."""
        with self._lock:
            self._rules = tuple(rules)

    def set_delay(self, seconds: float) -> None:
        """Delay every answer by `seconds` (on top of any rule's delay)."""
        with self._lock:
            self._delay = seconds

    def replace_zones(self, zones: Mapping[str, dns.zone.Zone]) -> None:
        """Serve `zones` instead of the current ones from now on."""
        keyed = by_origin(zones)
        with self._lock:
            self._zones = keyed

    @property
    def queries(self) -> tuple[QueryRecord, ...]:
        """Every question received so far, in arrival order."""
        with self._lock:
            return tuple(self._log)

    def count(self, qname: str | None = None, rdtype: str | None = None) -> int:
        """How many questions matched `qname` and `rdtype` (None matches any)."""
        name = None if qname is None else normalize(qname)
        kind = None if rdtype is None else rdtype.upper()
        return sum(
            1
            for record in self.queries
            if name in (None, record.qname) and kind in (None, record.rdtype)
        )

    def distinct_questions(self) -> int:
        """How many different (qname, rdtype, RD) questions were received."""
        return len({(q.qname, q.rdtype, q.recursion_desired) for q in self.queries})

    def reset_log(self) -> None:
        """Forget the questions received so far (and how often each came, for lost answers)."""
        with self._lock:
            self._log.clear()
            self._seen.clear()

    def handle_wire(self, wire: bytes, transport: str, source_port: int = 0) -> bytes | None:
        """The reply to one request in wire format (None: send nothing)."""
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError):
            return None
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            rcode = dns.rcode.FORMERR if query.opcode() == dns.opcode.QUERY else dns.rcode.NOTIMP
            return to_wire(self._message(query, Answer(rcode=rcode)), 512)
        record = _record(query, transport, source_port)
        with self._lock:
            self._log.append(record)
            seen = self._seen.next(record)
            rule = next((rule for rule in self._rules if rule.matches(record)), None)
            pause = self._delay + (rule.delay if rule else 0.0)
            zones = self._zones
        if pause > 0 and self._stopping.wait(pause):
            return None
        if rule is not None and rule.loses(record, seen):
            return None
        if rule is not None and rule.faults(transport):
            return self._fault(query, rule)
        question = query.question[0]
        answer = resolve(zones, question.name, question.rdtype, authoritative=self.authoritative)
        return to_wire(self._message(query, answer), _size_limit(query, transport))

    def _fault(self, query: dns.message.Message, rule: Rule) -> bytes | None:
        if rule.drop:
            return None
        if rule.malformed:
            return query.id.to_bytes(2, "big") + _GARBAGE
        if rule.rcode is not None:
            return self._message(query, Answer(rcode=dns.rcode.from_text(rule.rcode))).to_wire()
        return _truncated(self._message(query, Answer(rcode=dns.rcode.NOERROR))).to_wire()

    def _message(self, query: dns.message.Message, answer: Answer) -> dns.message.Message:
        return build_response(query, answer, recursion_available=not self.authoritative)

    def serve_datagram(self, data: bytes, sock: socket.socket, client: Any) -> None:
        """Answer one UDP request (called in the request's own thread)."""
        reply = self.handle_wire(data, "udp", int(client[1]))
        if reply is not None:
            with contextlib.suppress(OSError):
                sock.sendto(reply, client)

    def serve_stream(self, conn: socket.socket) -> None:
        """Answer length-prefixed requests on one TCP connection until the client closes it."""
        conn.settimeout(self.tcp_idle_timeout)
        with self._lock:
            if self._stopping.is_set():
                return
            self._connections.add(conn)
        try:
            port = int(conn.getpeername()[1])
            while (wire := _read_frame(conn)) is not None:
                reply = self.handle_wire(wire, "tcp", port)
                if reply is not None:
                    conn.sendall(len(reply).to_bytes(2, "big") + reply)
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
