"""A fleet scan in a child interpreter: the dashboard's own process keeps its CPU and its GIL for
drawing and keys, while the child (on the other core) runs the check engine and streams reports back.

The parent sends one pickled `ScanJob` on the child's stdin and reads length-prefixed pickled frames
from its stdout: a `HostReport` per host as it finishes, then an end frame. Cancelling terminates the
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO, Protocol

from checks.engine import Guesser, Scan, Target, crashed_report
from checks.model import HostReport
from tui.netconfig import Environment, NetworkOptions, build_context

FRAME_HEADER = struct.Struct(">I")
MIN_TARGETS = 20
"""Scans of fewer hosts (a re-check) stay in process: starting an interpreter costs ~0.3 s."""
CHILD = "from tui.scan_process import child_main; raise SystemExit(child_main())"
"""The child's program (not `-m`: the job's classes must unpickle as this module's own)."""
CHILD_NICENESS = 5
"""The scan yields the CPU to the dashboard when both want it: keys first, results a moment later."""
STDERR_KEPT = 40
"""Lines of the child's stderr kept for the message when it dies."""


class ReportStream(Protocol):
    """What the fleet scan needs of a running engine scan: in-process `Scan` or `ProcessScan`."""

    def run(self) -> Iterator[HostReport]:
        """Reports in completion order."""
        ...

    def cancel(self) -> None:
        """Stop as soon as possible."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanJob:
    """Everything the child needs, and nothing secret but the DQS key (already resolved)."""

    targets: tuple[Target, ...]
    options: NetworkOptions
    environment: Environment
    concurrency: int
    guess: Guesser


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
        self, targets: Sequence[Target], concurrency: int, guess: Guesser
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

    def run(self) -> Iterator[HostReport]:
        """Start the child, send the job, yield each report; unreported hosts come back unknown."""
        payload = pickle.dumps(self.job, protocol=pickle.HIGHEST_PROTOCOL)
        pending = {target.report_key: target for target in self.job.targets}
        process = self._start()
        try:
            assert process.stdin is not None and process.stdout is not None
            if self._send(process.stdin, payload):
                for report in _frames(process.stdout):
                    if self.cancelled:
                        break
                    pending.pop(report.key, None)
                    yield report
        finally:
            if process.poll() is None:
                process.terminate()
            status = process.wait()
            if process.stdout is not None:
                process.stdout.close()
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

    def _send(self, stdin: IO[bytes], payload: bytes) -> bool:
        try:
            stdin.write(payload)
            stdin.close()
        except (BrokenPipeError, OSError):
            return False
        return True

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
