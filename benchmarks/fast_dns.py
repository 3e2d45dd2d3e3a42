"""A loopback UDP DNS server for load: the test server's own `resolve()` over the same zones, but each
distinct query's reply is built once (a repeated query is answered from its bytes, all but the id)
and every reply is sent after `delay` by one timer thread. The test server's fault rules apply too
(`tui.sim.dns_server.Rule`: dropped questions, lost answers, a late error), for the degraded-network
figures.

The test server (`tui.sim.dns_server.DnsServer`) starts a thread per request and rebuilds every
answer; on this 2-core machine it tops out near 1,000 questions a second even with no delay, so a
fleet scan against it would measure the simulator. A real resolver answering a cache miss costs the
client only the wait, which is what this server reproduces.
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
from collections.abc import Mapping, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.zone

from checks.names import normalize
from tui.sim.dns_server import (
    EDNS_PAYLOAD,
    Occurrences,
    QueryRecord,
    Rule,
    build_response,
    to_wire,
)
from tui.sim.zones import Answer, resolve


class DelayedDnsServer:
    """Answers UDP questions from in-memory zones after a fixed delay; logs every question."""

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
        self.delay = delay
        self._rules = tuple(rules)
        self._seen = Occurrences()
        self._host, self._requested_port, self._port = host, port, port
        self._lock = threading.Lock()
        self._due = threading.Condition(self._lock)
        self._zones = _by_origin(zones)
        self._answers: dict[bytes, tuple[QueryRecord, bytes]] = {}
        self._log: list[QueryRecord] = []
        self._heap: list[tuple[float, int, bytes, tuple[str, int]]] = []
        self._serial = 0
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._threads: tuple[threading.Thread, ...] = ()

    def start(self) -> DelayedDnsServer:
        """Bind the UDP port and start the receiving and the sending thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.bind((self._host, self._requested_port))
        sock.settimeout(0.05)
        self._sock, self._port = sock, sock.getsockname()[1]
        self._stopping.clear()
        self._threads = (
            threading.Thread(target=self._receive, name=f"bench-dns-rx-{self._port}", daemon=True),
            threading.Thread(target=self._send, name=f"bench-dns-tx-{self._port}", daemon=True),
        )
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop both threads and close the socket."""
        self._stopping.set()
        with self._due:
            self._due.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads = ()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> DelayedDnsServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The UDP port (the requested one until started)."""
        return self._port

    @property
    def server(self) -> tuple[str, int]:
        """(address, port), the form `DnsClient` takes."""
        return self._host, self._port

    @property
    def queries(self) -> tuple[QueryRecord, ...]:
        """Every question received since the last reset."""
        with self._lock:
            return tuple(self._log)

    def distinct_questions(self) -> int:
        """How many different (qname, rdtype, RD) questions were received."""
        return len({(q.qname, q.rdtype, q.recursion_desired) for q in self.queries})

    def reset_log(self) -> None:
        """Forget the questions received so far (and how often each came, for lost answers)."""
        with self._lock:
            self._log.clear()
            self._seen.clear()

    def set_rules(self, rules: Sequence[Rule]) -> None:
        """Apply `rules` (the first that matches a question wins) from now on."""
        with self._lock:
            self._rules = tuple(rules)

    def replace_zones(self, zones: Mapping[str, dns.zone.Zone]) -> None:
        """Serve `zones` from now on."""
        by_origin = _by_origin(zones)
        with self._lock:
            self._zones, self._answers = by_origin, {}

    def _receive(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                wire, client = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            record, reply = self._reply(wire)
            if record is not None and self._rules:
                reply, extra = self._apply_rules(record, wire, reply)
            else:
                extra = 0.0
            if reply is not None:
                self._schedule(reply, client, extra)

    def _apply_rules(
        self, record: QueryRecord, wire: bytes, reply: bytes | None
    ) -> tuple[bytes | None, float]:
        """The reply after the first matching rule (None: nothing is sent), and its extra delay."""
        with self._lock:
            rule = next((rule for rule in self._rules if rule.matches(record)), None)
            seen = self._seen.next(record) if rule is not None else 0
        if rule is None:
            return reply, 0.0
        if rule.drop or rule.loses(record, seen):
            return None, 0.0
        if rule.rcode is not None:
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query, recursion_available=True)
            response.set_rcode(dns.rcode.from_text(rule.rcode))
            reply = response.to_wire()
        return reply, rule.delay

    def _reply(self, wire: bytes) -> tuple[QueryRecord | None, bytes | None]:
        """The question and the reply to one query: from the answers built before when the same
        query (all but its id) came already, else resolved, built and kept."""
        if len(wire) < 12:
            return None, None
        key = wire[2:]
        with self._lock:
            known = self._answers.get(key)
            if known is not None:
                self._log.append(known[0])
                return known[0], wire[:2] + known[1][2:]
        return self._build(wire, key)

    def _build(self, wire: bytes, key: bytes) -> tuple[QueryRecord | None, bytes | None]:
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError):
            return None, None
        if len(query.question) != 1:
            return None, None
        question = query.question[0]
        qname = normalize(question.name.to_text())
        recursion = bool(query.flags & dns.flags.RD)
        record = QueryRecord(qname, dns.rdatatype.to_text(question.rdtype), "udp", recursion)
        with self._lock:
            self._log.append(record)
            zones = self._zones
        answer = self._resolve(zones, question.name, question.rdtype)
        response = build_response(query, answer, recursion_available=not self.authoritative)
        reply = to_wire(response, _size_limit(query))
        with self._lock:
            if zones is self._zones:
                self._answers[key] = (record, reply)
        return record, reply

    def _resolve(
        self, zones: dict[dns.name.Name, dns.zone.Zone], name: dns.name.Name, rdtype: int
    ) -> Answer:
        """`resolve()` over the zones that hold `name` only (scanning every zone for every name costs
        more than the rest); over all of them when the answer leaves those zones (a CNAME) or when
        none holds it (a name above the held zones answers NOERROR, below none NXDOMAIN)."""
        holders = {}
        ancestor = name
        while True:
            if ancestor in zones:
                holders[ancestor] = zones[ancestor]
            if len(ancestor) <= 1:
                break
            ancestor = ancestor.parent()
        kind = dns.rdatatype.RdataType.make(rdtype)
        if holders:
            answer = resolve(holders, name, kind, authoritative=self.authoritative)
            if not any(rrset.rdtype == dns.rdatatype.CNAME for rrset in answer.answer):
                return answer
        return resolve(zones, name, kind, authoritative=self.authoritative)

    def _schedule(self, reply: bytes, client: tuple[str, int], extra: float = 0.0) -> None:
        with self._due:
            self._serial += 1
            due = time.monotonic() + self.delay + extra
            heapq.heappush(self._heap, (due, self._serial, reply, client))
            self._due.notify()

    def _send(self) -> None:
        while not self._stopping.is_set():
            with self._due:
                while not self._heap and not self._stopping.is_set():
                    self._due.wait(0.1)
                if self._stopping.is_set():
                    return
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._due.wait(wait)
                    continue
                _due, _serial, reply, client = heapq.heappop(self._heap)
            if self._sock is not None:
                try:
                    self._sock.sendto(reply, client)
                except OSError:
                    continue


def _size_limit(query: dns.message.Message) -> int:
    return min(EDNS_PAYLOAD, max(512, query.payload)) if query.edns >= 0 else 512


def _by_origin(zones: Mapping[str, dns.zone.Zone]) -> dict[dns.name.Name, dns.zone.Zone]:
    return {zone.origin or dns.name.from_text(key): zone for key, zone in zones.items()}
