"""Drive the dashboard in a pseudo-terminal as a person would: time the first frame that shows the
inventory (read from the terminal itself), then press the down arrow while the scan runs and time
each press until the moved cursor has been painted."""

from __future__ import annotations

import fcntl
import functools
import os
import pty
import random
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DOWN = b"\x1b[B"
HOST_ON_SCREEN = re.compile(rb"[a-z]+\d+\.b\d\d-bench\.example")
PROFILE_ENV = "TRACKDECK_BENCH_PROFILE"
"""Set to a file name to record the dashboard process with py-spy (raw collapsed stacks)."""


@dataclass
class _Run:
    """What the reader threads collected."""

    output: bytearray = field(default_factory=bytearray)
    first_frame: float | None = None
    events: list[tuple[str, float]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def count(self, name: str) -> int:
        return sum(1 for event, _ in self.events if event == name)

    def first(self, name: str) -> float | None:
        return next((stamp for event, stamp in self.events if event == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardFigures:
    """One dashboard run: seconds from process start, key latencies, peak RSS."""

    first_frame: float
    scan_started: float
    scan_wall: float
    latencies: tuple[float, ...]
    rss_mb: float
    child_rss_mb: float


def _read_terminal(master: int, run: _Run, spawned: float) -> None:
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            return
        if not chunk:
            return
        with run.changed:
            tail = bytes(run.output[-80:]) + chunk
            run.output += chunk
            if run.first_frame is None and HOST_ON_SCREEN.search(tail):
                run.first_frame = time.monotonic() - spawned
                run.changed.notify_all()


def _read_telemetry(fd: int, run: _Run) -> None:
    with os.fdopen(fd, "rb") as pipe:
        for line in pipe:
            name, _, value = line.decode().partition(" ")
            with run.changed:
                run.events.append((name, float(value)))
                run.changed.notify_all()


def _spawn(
    info: Path, columns: int, rows: int, history: Path | None
) -> tuple[subprocess.Popen[bytes], int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    read_fd, write_fd = os.pipe()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKDECK_", "TEXTUAL"))}
    env |= {"TERM": "xterm-256color", "COLORTERM": "truecolor"}
    command = [sys.executable, "-m", "benchmarks.dashboard_child", str(info), str(write_fd)]
    if history is not None:
        command += ["--history", str(history)]
    profile = os.environ.get(PROFILE_ENV)
    if profile:  # py-spy's samples of the dashboard process, for finding what bounds a figure
        spy = Path(sys.executable).with_name("py-spy")
        record = ["record", "-r", "200", "-f", "raw", "--threads", "--idle", "-o", profile]
        command = [str(spy), *record, "--", *command]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        stdin=slave, stdout=slave, stderr=slave, pass_fds=(write_fd,),
        start_new_session=True, env=env, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    os.close(slave)
    os.close(write_fd)
    return process, master, read_fd


def _wait(run: _Run, ready: Callable[[], object], timeout: float) -> bool:
    with run.changed:
        return bool(run.changed.wait_for(ready, timeout))


def _more(run: _Run, name: str, seen: int) -> bool:
    return run.count(name) > seen


def _press_keys(master: int, run: _Run, presses: int, rng: random.Random) -> list[float]:
    """Press the down arrow while the scan runs; each press's time until its cursor was painted."""
    latencies: list[float] = []
    while len(latencies) < presses and run.first("scan_finished") is None:
        painted = run.count("painted")
        sent = time.monotonic()
        os.write(master, DOWN)
        if not _wait(run, functools.partial(_more, run, "painted", painted), 5.0):
            break
        latencies.append([s for e, s in run.events if e == "painted"][painted] - sent)
        time.sleep(rng.uniform(0.02, 0.06))
    return latencies


def run_dashboard(
    info: Path, *, presses: int = 200, timeout: float = 300.0, history: Path | None = None
) -> DashboardFigures:
    """Start the dashboard over the world at `info` (with a history file, when given), press keys
    during its scan, quit after it."""
    spawned = time.monotonic()
    process, master, telemetry = _spawn(info, 120, 40, history)
    run = _Run()
    readers = [
        threading.Thread(target=_read_terminal, args=(master, run, spawned), daemon=True),
        threading.Thread(target=_read_telemetry, args=(telemetry, run), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        if not _wait(run, lambda: run.first("scan_started") and run.first_frame, 60.0):
            raise RuntimeError("the dashboard showed no inventory: " + _tail(run))
        latencies = _press_keys(master, run, presses, random.Random(6))  # noqa: S311 - pauses between presses
        if not _wait(run, lambda: run.first("scan_finished"), timeout):
            raise RuntimeError("the dashboard's scan did not finish: " + _tail(run))
        os.write(master, b"q")
        process.wait(timeout=30)
        _wait(run, lambda: run.first("rss_mb"), 10.0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
        for reader in readers:
            reader.join(timeout=5)
    started, finished = run.first("scan_started"), run.first("scan_finished")
    assert run.first_frame is not None and started is not None and finished is not None
    return DashboardFigures(
        first_frame=run.first_frame,
        scan_started=started - spawned,
        scan_wall=finished - started,
        latencies=tuple(latencies),
        rss_mb=run.first("rss_mb") or 0.0,
        child_rss_mb=run.first("child_rss_mb") or 0.0,
    )


def _tail(run: _Run) -> str:
    text = bytes(run.output[-3000:]).decode("utf-8", "replace")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)[-1500:]
