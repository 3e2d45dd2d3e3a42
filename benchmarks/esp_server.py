"""The simulated ESP APIs, served over loopback HTTP by the world process.

The processes under measurement (the headless scan, the dashboard) then do against them only what
they do against the real ESPs, HTTP requests; the simulation's own work (building answers, signing
the certificates Mailgun's API returns) stays in the world process, as the real APIs' work stays at
the ESPs. A request for `http://127.0.0.1:PORT/<sim host>/<path>` is answered by the simulated
account whose API host is `<sim host>`.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from tui.sim.esp_apis.simulated import SimulatedEsp, SimulatedEsps

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


class EspHttpServer:
    """Serves every account of `esps` on one loopback port."""

    def __init__(self, esps: SimulatedEsps) -> None:
        self.esps = esps
        handler = type("_Handler", (_Handler,), {"esps": esps})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bench-esp-apis", daemon=True
        )

    @property
    def port(self) -> int:
        """The loopback port."""
        return int(self._server.server_address[1])

    def base_url(self, esp: SimulatedEsp) -> str:
        """The `api_base` that reaches `esp` through this server."""
        path = esp.base_url.split(esp.host, 1)[1]
        return f"http://127.0.0.1:{self.port}/{esp.host}{path}"

    def __enter__(self) -> EspHttpServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    """One request: rebuilt as the simulated API's own URL, answered by `SimulatedEsps.handler`."""

    esps: SimulatedEsps
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients' connection pool expects
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def _answer(self) -> None:
        host, _, rest = self.path.lstrip("/").partition("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
        request = httpx.Request(
            self.command, f"https://{host}/{rest}", headers=headers, content=body
        )
        try:
            response = self.esps.handler(request)
        except httpx.ConnectError:
            response = httpx.Response(404, text=f"no simulated API at {host}")
        content = response.read()
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the benchmark prints its own progress."""
