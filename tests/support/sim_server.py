"""The simulated ESP APIs over real HTTP on loopback, so that trackdeck processes started by a test
share one ESP state with it: `http://127.0.0.1:PORT/<sim host>/<path>` reaches the account whose
simulated API lives at `https://<sim host>/<path>`."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from tui.sim.esp_apis.simulated import SimulatedEsp, SimulatedEsps


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into an httpx.Request for the simulation, and back."""

    server: _Server
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        _, host, rest = self.path.split("/", 2)
        length = int(self.headers.get("Content-Length") or 0)
        request = httpx.Request(
            self.command,
            f"https://{host}/{rest}",
            headers=[(name, value) for name, value in self.headers.items() if name != "Host"],
            content=self.rfile.read(length),
        )
        response = self.server.esps.handler(request)
        body = response.read()
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _forward  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the simulation's own call log instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, esps: SimulatedEsps) -> None:
        self.esps = esps
        super().__init__(("127.0.0.1", 0), _Handler)


class SimServer:
    """Serves `esps` on a loopback port until closed; over HTTPS as `localhost` with `tls` (a
    server context from tui.sim.certificates)."""

    def __init__(self, esps: SimulatedEsps, tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server(esps)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._origin = "https://localhost" if tls is not None else "http://127.0.0.1"
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def base_url(self, esp: SimulatedEsp) -> str:
        """The `api_base` that reaches `esp` through this server."""
        return f"{self._origin}:{self.port}/{esp.host}{esp.base_url.split(esp.host, 1)[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> SimServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
