"""The real dashboard (`TrackdeckApp` with Textual's terminal driver) over the benchmark world, run by
`benchmarks.dashboard` in a pseudo-terminal. It reports on a pipe, as ``event monotonic-time`` lines:
when the scan starts and ends, and when each down-arrow move has been painted; at
exit, its peak RSS. The first frame is timed from outside, by reading the terminal."""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import tui.app.app
from benchmarks.memory import children_peak_rss_mb, peak_rss_mb
from benchmarks.session import bench_session
from tui.app.app import TrackdeckApp
from tui.app.messages import ScanFinished
from tui.app.screens.fleet import FleetScreen
from tui.app.widgets.fleet_table import FleetTable


class _Telemetry:
    """Writes one line per event to the pipe the parent reads."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def event(self, name: str, value: float | None = None) -> None:
        stamp = time.monotonic() if value is None else value
        os.write(self.fd, f"{name} {stamp:.6f}\n".encode())


class TimedFleetScreen(FleetScreen):
    """The fleet screen, reporting the scan's start and end (Textual also runs the base class's
    handlers of each message, so these only add a report)."""

    telemetry = _Telemetry(-1)

    def on_mount(self) -> None:
        self.telemetry.event("mount_started")

    def start_scan(self, keys: Sequence[str] = ()) -> None:
        self.telemetry.event("scan_started")
        super().start_scan(keys)

    def on_scan_finished(self, _message: ScanFinished) -> None:
        self.telemetry.event("scan_finished")


def time_cursor_keys(telemetry: _Telemetry) -> None:
    """Report when each down-arrow move of the fleet table has been painted."""
    move = FleetTable.action_cursor_down

    def timed(table: FleetTable) -> None:
        move(table)
        table.call_after_refresh(telemetry.event, "painted")

    FleetTable.action_cursor_down = timed  # type: ignore[method-assign, assignment]  # timing patch


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.dashboard_child WORLD_JSON FD`."""
    parser = argparse.ArgumentParser(prog="benchmarks.dashboard_child")
    parser.add_argument("info", type=Path)
    parser.add_argument("fd", type=int)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--history", type=Path, help="a history file the dashboard reads and records to"
    )
    args = parser.parse_args(argv)
    telemetry = _Telemetry(args.fd)
    telemetry.event("imported")
    TimedFleetScreen.telemetry = telemetry
    tui.app.app.FleetScreen = TimedFleetScreen  # type: ignore[attr-defined]  # the app pushes the timed screen
    time_cursor_keys(telemetry)
    with tempfile.TemporaryDirectory(prefix="trackdeck-bench-ui-") as directory:
        audit = Path(directory) / "audit.jsonl"
        with bench_session(
            args.info, concurrency=args.concurrency, audit=audit, scan_in_child=True
        ) as built:
            telemetry.event("session_ready")
            session = dataclasses.replace(built, history=args.history)
            TrackdeckApp(session).run()
    telemetry.event("child_rss_mb", children_peak_rss_mb())
    telemetry.event("rss_mb", peak_rss_mb())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
