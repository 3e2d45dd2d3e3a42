"""Progress of a long headless run on standard error: hosts done of total, the rate, and the host
it still waits on when nothing finishes for a while. Only on a terminal: a pipe or a log gets nothing."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

REDRAW_EVERY = 0.1
"""Seconds between two redraws at most (a fast scan does not flood the terminal)."""
STALL_AFTER = 3.0
"""Seconds without a finished host after which the line names a host still waited on."""


class Progress:
    """One status line, redrawn in place; `close()` erases it before the results are printed."""

    def __init__(
        self,
        keys: Sequence[str],
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.pending = dict.fromkeys(keys)
        self.total = len(self.pending)
        self.done = 0
        self.clock = clock
        self.started = self.last_done = clock()
        self.last_drawn = float("-inf")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> Progress:
        """Draw now, and every half second while nothing finishes (so a stall shows)."""
        if self.enabled:
            self.draw(force=True)
            self._ticker = threading.Thread(
                target=self._tick, name="trackdeck-progress", daemon=True
            )
            self._ticker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self.draw(force=True)

    def finished(self, key: str) -> None:
        """One host (or row) has its verdict."""
        with self._lock:
            self.pending.pop(key, None)
            self.done += 1
            self.last_done = self.clock()
        self.draw()

    def draw(self, *, force: bool = False) -> None:
        """Redraw the line, at most every `REDRAW_EVERY` seconds unless forced."""
        with self._lock:
            now = self.clock()
            if not self.enabled or (not force and now - self.last_drawn < REDRAW_EVERY):
                return
            self.last_drawn = now
            self.stream.write("\r\x1b[2K" + self.line(now))
            self.stream.flush()

    def line(self, now: float) -> str:
        """`trackdeck: 640/1000 hosts · 85/s · waiting on links.a.example (+31) for 4 s`."""
        elapsed = max(now - self.started, 1e-9)
        text = f"trackdeck: {self.done}/{self.total} hosts · {self.done / elapsed:.0f}/s"
        stalled = now - self.last_done
        if self.pending and stalled >= STALL_AFTER:
            first = next(iter(self.pending))
            more = f" (+{len(self.pending) - 1})" if len(self.pending) > 1 else ""
            text += f" · waiting on {first}{more} for {stalled:.0f} s"
        return text

    def close(self) -> None:
        """Stop the ticker and erase the line."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.enabled:
            with self._lock:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
