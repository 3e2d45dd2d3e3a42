"""A loopback TLS world: HTTPS servers with chosen certificates and behaviours, behind a fake dialer.

Tests and the demo fleet map public addresses (which are never dialled) to loopback listeners, so
TLS and HTTP checks run real handshakes without touching the internet. One address can serve many
hosts, each with its own certificate and behaviour chosen by the client's SNI, as ESPs and CDNs do.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import struct
import threading
from dataclasses import dataclass
from types import TracebackType

from tui.sim.certificates import EXPIRING_DAYS, WRONG_NAME, TestCertificates

MODES = ("normal", "hang_after_accept", "reset_handshake", "hang_headers", "plain_tcp")

_IO_TIMEOUT = 2.0
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 403: "Forbidden", 404: "Not Found"}
_REASONS |= {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_REASONS |= {530: "Origin Error"}


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpBehaviour:
    """How a simulated server answers: an HTTP response, or one of the failure `MODES`."""

    status: int = 404
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    mode: str = "normal"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; expected one of {MODES}")

    def response_bytes(self) -> bytes:
        """The full HTTP/1.1 response; Content-Length is added unless the headers frame the body."""
        names = {name.lower() for name, _ in self.headers}
        headers = list(self.headers)
        if not names & {"content-length", "transfer-encoding"}:
            headers.append(("Content-Length", str(len(self.body))))
        if "connection" not in names:
            headers.append(("Connection", "close"))
        reason = _REASONS.get(self.status, "Status")
        lines = [f"HTTP/1.1 {self.status} {reason}"] + [
            f"{name}: {value}" for name, value in headers
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


NOT_FOUND = HttpBehaviour()
"""The default behaviour: a tracking host answering 404 on `/`."""


@dataclass(frozen=True, slots=True)
class Site:
    """One host served by SNI: the context holding its certificate, and how it answers HTTP."""

    context: ssl.SSLContext
    behaviour: HttpBehaviour


class TlsServer:
    """One loopback listener with one certificate and one behaviour; a daemon thread per connection."""

    def __init__(
        self,
        context: ssl.SSLContext,
        behaviour: HttpBehaviour = NOT_FOUND,
        *,
        bind: str = "127.0.0.1",
    ) -> None:
        self.context = context
        self.behaviour = behaviour
        self._listener = socket.create_server((bind, 0))
        self._listener.settimeout(0.05)
        self.address: str = bind
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._sites: dict[str, Site] = {}
        self._acceptor = threading.Thread(target=self._accept_loop, name="tls-accept", daemon=True)

    def start(self) -> TlsServer:
        """Start accepting connections."""
        self._acceptor.start()
        return self

    def add_site(
        self, host: str, context: ssl.SSLContext, behaviour: HttpBehaviour = NOT_FOUND
    ) -> None:
        """Serve `host` with its own certificate and behaviour to clients that send it as SNI;
        other clients keep the server's own context and behaviour."""
        with self._lock:
            self._sites[_sni_key(host)] = Site(context=context, behaviour=behaviour)
        self.context.sni_callback = self._select_site

    @property
    def site_names(self) -> tuple[str, ...]:
        """The hosts served by SNI, in the order they were added."""
        with self._lock:
            return tuple(self._sites)

    def _select_site(
        self, tls: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext
    ) -> None:
        """SNI callback: swap in the named site's context (its certificate) during the handshake."""
        with self._lock:
            site = self._sites.get(_sni_key(server_name or ""))
        if site is not None:
            tls.context = site.context

    def _behaviour_for(self, tls: ssl.SSLSocket) -> HttpBehaviour:
        """The behaviour of the site whose context the handshake chose (the server side has no
        `server_hostname`, so the swapped-in context identifies the site)."""
        with self._lock:
            sites = tuple(self._sites.values())
        chosen = (site.behaviour for site in sites if site.context is tls.context)
        return next(chosen, self.behaviour)

    def stop(self) -> None:
        """Stop accepting, release stalled connections, and wait for every thread to end."""
        self._stopping.set()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=_IO_TIMEOUT)
        self._listener.close()
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=_IO_TIMEOUT + 1)

    def __enter__(self) -> TlsServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            with self._lock:
                self._threads = [alive for alive in self._threads if alive.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(_IO_TIMEOUT)
        try:
            self._dispatch(connection)
        except OSError:
            pass  # the client went away or the handshake failed: both are expected here
        finally:
            connection.close()

    def _dispatch(self, connection: socket.socket) -> None:
        mode = self.behaviour.mode
        if mode == "hang_after_accept":
            self._stopping.wait()
        elif mode == "reset_handshake":
            connection.recv(4096)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "plain_tcp":
            connection.recv(4096)
            connection.sendall(b"SSH-2.0-OpenSSH_9.6 this is not TLS\r\n")
        else:
            with self.context.wrap_socket(connection, server_side=True) as tls:
                self._answer(tls)

    def _answer(self, tls: ssl.SSLSocket) -> None:
        if not _read_request(tls):
            return
        behaviour = self._behaviour_for(tls)
        if behaviour.mode == "hang_headers":
            tls.sendall(b"HTTP/1.1 200 OK\r\nServer: stall")
            self._stopping.wait()
            return
        tls.sendall(behaviour.response_bytes())


def _sni_key(name: str) -> str:
    return name.rstrip(".").lower()


def _read_request(tls: ssl.SSLSocket) -> bool:
    """Read a request head; False when the client closed without sending one (a bare TLS probe)."""
    received = b""
    while b"\r\n\r\n" not in received and len(received) < 65536:
        chunk = tls.recv(4096)
        if not chunk:
            return False
        received += chunk
    return True


class TlsWorld:
    """Public addresses mapped to loopback servers, and a dialer that can reach nothing else."""

    def __init__(self, certificates: TestCertificates) -> None:
        self.certificates = certificates
        self._servers: dict[tuple[str, int], TlsServer] = {}
        self._refused: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def add(
        self,
        public_address: str,
        *,
        kind: str,
        host: str,
        behaviour: HttpBehaviour = NOT_FOUND,
        now: dt.datetime,
        port: int = 443,
        expiring_days: float = EXPIRING_DAYS,
    ) -> TlsServer:
        """Start a server with a `kind` certificate for `host` and answer for `public_address`."""
        context = self.certificates.server_context(kind, host, now=now, expiring_days=expiring_days)
        server = TlsServer(context, behaviour).start()
        with self._lock:
            previous = self._servers.pop((public_address, port), None)
            self._servers[(public_address, port)] = server
            self._refused.discard((public_address, port))
        if previous is not None:
            previous.stop()
        return server

    def add_host(
        self,
        public_address: str,
        *,
        kind: str,
        host: str,
        behaviour: HttpBehaviour = NOT_FOUND,
        now: dt.datetime,
        port: int = 443,
        expiring_days: float = EXPIRING_DAYS,
    ) -> TlsServer:
        """Serve `host` by SNI at `public_address`, next to the hosts already there; a client naming
        no known host gets the address's default (a `wrong_name` certificate, as ESPs serve)."""
        context = self.certificates.server_context(kind, host, now=now, expiring_days=expiring_days)
        with self._lock:
            server = self._servers.get((public_address, port))
            if server is None:
                default = self.certificates.server_context("wrong_name", WRONG_NAME, now=now)
                server = self._servers[(public_address, port)] = TlsServer(default).start()
            self._refused.discard((public_address, port))
        server.add_site(host, context, behaviour)
        return server

    @property
    def server_count(self) -> int:
        """How many loopback listeners the world runs."""
        with self._lock:
            return len(self._servers)

    def refuse(self, public_address: str, port: int = 443) -> None:
        """Make the dialer refuse connections to `public_address` (nothing listens there)."""
        with self._lock:
            self._refused.add((public_address, port))

    def dialer(self, address: str, port: int, timeout: float) -> socket.socket:
        """Connect to the loopback server mapped to (address, port); anything else is refused."""
        with self._lock:
            server = (
                None if (address, port) in self._refused else self._servers.get((address, port))
            )
        if server is None:
            raise ConnectionRefusedError(f"connection to {address} port {port} refused")
        return socket.create_connection((server.address, server.port), timeout=timeout)

    def stop(self) -> None:
        """Stop every server."""
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.stop()

    def __enter__(self) -> TlsWorld:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
