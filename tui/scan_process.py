"""A fleet scan in a child interpreter: the dashboard's own process keeps its CPU and its GIL for
drawing and keys, while the child (on the other core) runs the check engine and streams reports back.

The parent sends one pickled `ScanJob` on the child's stdin, then each ESP account's view as it
arrives (the hosts of an account whose view is awaited wait for it in the child), then closes stdin;
it reads length-prefixed pickled frames from the child's stdout: a `HostReport` per host as it
finishes, then an end frame. Cancelling terminates the
child. A child that dies early never makes a host look clean: every host it did not report comes back
`check.crashed` (unknown), naming the exit status and the end of what the child wrote to stderr.

Only what pickles can cross: the real network's `Environment` does; a test world whose dialer is a
method of in-process servers does not (`can_isolate` says which), and then the scan stays in process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO, Protocol

from checks.engine import Scan, Target, crashed_report
from checks.model import HostReport
from esp_clients import TrackingDomain
from tui.fleet_guess import FleetGuess
from tui.netconfig import Environment, NetworkOptions, build_context

FRAME_HEADER = struct.Struct(">I")
MIN_TARGETS = 20
"""Scans of fewer hosts (a re-check) stay in process: starting an interpreter costs ~0.3 s."""
CHILD = "from tui.scan_process import child_main; raise SystemExit(child_main())"
"""The child's program (not `-m`: the job's classes must unpickle as this module's own)."""
CHILD_NICENESS = 10
"""The scan yields the CPU to the dashboard when both want it: keys first, results a moment later."""
STDERR_KEPT = 40
"""Lines of the child's stderr kept for the message when it dies."""


class ReportStream(Protocol):
    """What the fleet scan needs of a running engine scan: in this process or in a child."""

    def run(self) -> Iterator[HostReport]:
        """Reports in completion order."""
        ...

    def cancel(self) -> None:
        """Stop as soon as possible."""
        ...

    def provide(self, account: str, domains: Mapping[str, TrackingDomain]) -> None:
        """Hand the scan an account's view (its rows' ESP records, by row key)."""
        ...

    def provided_all(self) -> None:
        """No more views will come."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanJob:
    """Everything the child needs, and nothing secret but the DQS key (already resolved)."""

    targets: tuple[Target, ...]
    options: NetworkOptions
    environment: Environment
    concurrency: int
    guess: FleetGuess


def _no_stored_key() -> str | None:
    """The child never opens the keyring: the parent resolved the DQS key before sending the job."""
    return None


def can_isolate(environment: Environment) -> bool:
    """Whether a scan over `environment` can run in a child process (its dialer pickles)."""
    try:
        pickle.dumps(replace(environment, dqs_key=_no_stored_key))
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class ProcessScanner:
    """Builds the fleet's engine scans: in a child process when there are enough hosts."""

    options: NetworkOptions
    environment: Environment
    min_targets: int = MIN_TARGETS

    def __call__(
        self, targets: Sequence[Target], concurrency: int, guess: FleetGuess
    ) -> ProcessScan | None:
        """A child-process scan, or None when `targets` is too small to be worth one."""
        if len(targets) < self.min_targets:
            return None
        key = self.options.dqs_key or self.environment.dqs_key()
        job = ScanJob(
            targets=tuple(targets),
            options=replace(self.options, dqs_key=key),
            environment=replace(self.environment, dqs_key=_no_stored_key),
            concurrency=concurrency,
            guess=guess,
        )
        return ProcessScan(job)


class ProcessScan:
    """Runs one `ScanJob` in a child interpreter; `run()` streams its reports."""

    def __init__(self, job: ScanJob) -> None:
        self.job = job
        self._process: subprocess.Popen[bytes] | None = None
        self._cancelled = threading.Event()
        self._stderr: deque[str] = deque(maxlen=STDERR_KEPT)
        self._views = threading.Lock()  # guards the child's stdin and what waits to be sent on it
        self._stdin: IO[bytes] | None = None
        self._unsent: list[tuple[str, dict[str, TrackingDomain]]] = []
        self._all_provided = False

    @property
    def cancelled(self) -> bool:
        """Whether `cancel()` was called."""
        return self._cancelled.is_set()

    @property
    def pid(self) -> int | None:
        """The child's process id, once started."""
        return self._process.pid if self._process is not None else None

    def cancel(self) -> None:
        """Stop the child now (it holds nothing worth saving)."""
        self._cancelled.set()
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()

    def provide(self, account: str, domains: Mapping[str, TrackingDomain]) -> None:
        """Send an account's view to the child (kept until the job has gone out)."""
        with self._views:
            if self._stdin is None:
                self._unsent.append((account, dict(domains)))
            else:
                self._send_view(self._stdin, (account, dict(domains)))

    def provided_all(self) -> None:
        """No more views: close the child's stdin (its waiting hosts stop waiting)."""
        with self._views:
            self._all_provided = True
            if self._stdin is not None:
                with contextlib.suppress(OSError):
                    self._stdin.close()

    def run(self) -> Iterator[HostReport]:
        """Start the child, send the job, yield each report; unreported hosts come back unknown."""
        payload = pickle.dumps(self.job, protocol=pickle.HIGHEST_PROTOCOL)
        pending = {target.report_key: target for target in self.job.targets}
        process = self._start()
        try:
            assert process.stdin is not None and process.stdout is not None
            if self._send_job(process.stdin, payload):
                for report in _frames(process.stdout):
                    if self.cancelled:
                        break
                    pending.pop(report.key, None)
                    yield report
        finally:
            if process.poll() is None:
                process.terminate()
            status = process.wait()
            with self._views:
                for pipe in (process.stdin, process.stdout):
                    if pipe is not None:
                        with contextlib.suppress(OSError):
                            pipe.close()
        if pending and not self.cancelled:
            error = ScanProcessError(status, "\n".join(self._stderr))
            for target in pending.values():
                yield crashed_report(target, error)

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,  # the terminal's signals are the dashboard's, not the child's
        )  # fmt: skip
        self._process = process
        if self.cancelled:  # cancelled while starting
            process.terminate()
        drain = threading.Thread(
            target=self._drain, args=(process.stderr,), name="trackdeck-scan-stderr", daemon=True
        )
        drain.start()
        return process

    def _send_job(self, stdin: IO[bytes], payload: bytes) -> bool:
        with self._views:
            try:
                stdin.write(payload)
                for view in self._unsent:
                    self._send_view(stdin, view)
                self._unsent.clear()
                stdin.flush()
            except (BrokenPipeError, OSError):
                return False
            self._stdin = stdin
            if self._all_provided:
                with contextlib.suppress(OSError):
                    stdin.close()
        return True

    def _send_view(self, stdin: IO[bytes], view: tuple[str, dict[str, TrackingDomain]]) -> None:
        if stdin.closed:
            return
        with contextlib.suppress(BrokenPipeError, OSError):  # the child died: run() reports it
            pickle.dump(view, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()

    def _drain(self, stderr: IO[bytes] | None) -> None:
        if stderr is None:
            return
        with stderr:
            for line in stderr:
                self._stderr.append(line.decode("utf-8", "replace").rstrip())


class ScanProcessError(RuntimeError):
    """The child process ended before reporting every host."""

    def __init__(self, status: int, stderr: str) -> None:
        how = f"was killed by signal {-status}" if status < 0 else f"exited with status {status}"
        tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        said = f"; its last words: {tail[0]}" if tail else ""
        super().__init__(f"the scan process {how} before checking this host{said}")
        self.status = status
        self.stderr = stderr


def _frames(stream: IO[bytes]) -> Iterator[HostReport]:
    """Reports from the child's frames until its end frame, or until the stream ends early."""
    while True:
        header = stream.read(FRAME_HEADER.size)
        if len(header) < FRAME_HEADER.size:
            return
        (size,) = FRAME_HEADER.unpack(header)
        body = stream.read(size)
        if len(body) < size:
            return
        report = pickle.loads(body)  # noqa: S301 - frames come from our own child over a pipe
        if report is None:
            return
        assert isinstance(report, HostReport)
        yield report


def _write_frame(out: IO[bytes], value: HostReport | None) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME_HEADER.pack(len(body)) + body)
    out.flush()


def child_main() -> int:
    """The child: read the job from stdin, scan, write one frame per report, then the end frame."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the frames
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 - the job comes from our own parent
    os.nice(CHILD_NICENESS)
    assert isinstance(job, ScanJob)
    views = threading.Thread(
        target=_receive_views, args=(sys.stdin.buffer, job.guess), name="views", daemon=True
    )
    views.start()
    scan = Scan(
        job.targets,
        build_context(job.options, job.environment),
        concurrency=job.concurrency,
        guess=job.guess,
    )
    try:
        for report in scan.run():
            _write_frame(frames, report)
        _write_frame(frames, None)
    except BrokenPipeError:  # the parent went away: nobody wants the rest
        scan.cancel()
        return 1
    return 0


def _receive_views(stdin: IO[bytes], guess: FleetGuess) -> None:
    """The views the parent sends after the job, until it closes stdin (or dies)."""
    try:
        while True:
            account, domains = pickle.load(stdin)  # noqa: S301 - from our own parent
            guess.provide(account, domains)
    except (EOFError, OSError, pickle.UnpicklingError):
        pass
    finally:
        guess.release_all()
