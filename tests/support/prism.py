"""Stoplight Prism on loopback, serving a vendor's OpenAPI file, for the ESP contract tests.

Prism validates every request against the spec (auth scheme, path, method, parameters, body) and
answers with the documented examples, so a client that passes speaks the vendor's dialect.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.support.data import REPO
from tests.support.vendor_specs import SpecUnavailable, vendor_spec

PRISM = REPO / "node_modules" / ".bin" / "prism"
STARTUP_TIMEOUT = 30.0


def spec_file(name: str) -> Path:
    """The verified copy of a vendor spec (see `tests.support.vendor_specs`); a clear one-line
    failure when it was never fetched or has been altered."""
    try:
        return vendor_spec(name)
    except SpecUnavailable as error:
        pytest.fail(str(error), pytrace=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def prism_server(spec: Path, *, timeout: float = STARTUP_TIMEOUT) -> Iterator[str]:
    """Serve `spec` with `prism mock` on a free loopback port; yields the base URL."""
    if not PRISM.exists():
        pytest.fail(f"Stoplight Prism is not installed at {PRISM}: run `npm ci` (make test does)")
    if not spec.is_file():
        pytest.fail(f"the vendor spec {spec} is missing: run `make specs`", pytrace=False)
    port = free_port()
    command = [str(PRISM), "mock", "-p", str(port), "-h", "127.0.0.1", str(spec)]
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO
        ) as process,
    ):
        try:
            _wait_until_listening(port, process, log, timeout)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


def _wait_until_listening(
    port: int, process: subprocess.Popen[bytes], log: IO[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"prism exited with {process.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"prism did not listen on port {port} within {timeout:.0f} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate prism's whole process group (node may fork), then reap it."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait()


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


@dataclass
class Wire:
    """Records every exchange of the httpx clients it makes, and can ask Prism for an answer.

    `prefer` maps (method, path) to a `Prefer` header value such as `code=409` or
    `example=Active`, which makes Prism answer with that documented response.
    """

    prefer: dict[tuple[str, str], str] = field(default_factory=dict)
    exchanges: list[tuple[str, str, int]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A new httpx client wired to this recorder (the caller closes it)."""
        hooks: dict[str, list[Callable[..., object]]] = {
            "request": [self._on_request],
            "response": [self._on_response],
        }
        return httpx.Client(event_hooks=hooks)

    def _on_request(self, request: httpx.Request) -> None:
        wanted = self.prefer.get((request.method, request.url.path))
        if wanted:
            request.headers["Prefer"] = wanted

    def _on_response(self, response: httpx.Response) -> None:
        request = response.request
        self.exchanges.append((request.method, request.url.path, response.status_code))
