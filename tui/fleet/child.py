"""The fleet scan in a child interpreter: the dashboard's own process keeps its CPU and its GIL for
drawing and keys, while the child (on the other core) reads the ESP lists, runs the check engine and
streams the checked rows back.

The parent sends one pickled `FleetJob` on the child's stdin: the inventory, the network settings,
the ESP secrets it looked up itself (the child never opens the keyring) and the client factory. It
reads length-prefixed pickled frames from the child's stdout: a `FleetRow` per (account, host) as it
is checked, then an end frame. Cancelling terminates the child; the child stops when its stdin
closes (the dashboard went away). A child that dies early never makes a host look clean: every
inventory row it did not report comes back `check.crashed` (unknown), naming the exit status and the
end of what the child wrote to stderr.

Only what pickles can cross: the real network's `Environment` and ESP clients do; a test world whose
dialer is a method of in-process servers, or a client factory over in-memory fakes, does not
(`can_isolate` says which), and then the scan stays in process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tui.fleet.esp_accounts import ClientFactory
from tui.fleet.network import Environment, NetworkOptions, build_context
from tui.fleet.rows import FleetRow, accounts_of, pending_rows
from tui.inventory.credentials import ResolvedSecrets, SecretSource
from tui.inventory.model import Inventory

if TYPE_CHECKING:
    from tui.fleet.scan import FleetScan

FRAME_HEADER = struct.Struct(">I")
MIN_ROWS = 20
"""Scans of fewer rows (a re-check) stay in process: starting an interpreter costs ~0.3 s."""
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
"""The folder holding this copy of `tui`: the child imports the code the parent runs, nothing else."""
CHILD = (
    f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); "
    "from tui.fleet.child import child_main; raise SystemExit(child_main())"
)
"""The child's program (not `-m`: the job's classes must unpickle as this module's own). It runs
isolated (`-I`): neither the working directory nor PYTHON* variables nor the user's site folder
come first on its path, so a `tui/` folder where the dashboard was started is never imported by the
process that reads the job with the secrets; the path to this package is given explicitly, so an
editable install or a source checkout works the same."""
CHILD_NICENESS = 10
"""The scan yields the CPU to the dashboard when both want it: keys first, results a moment later."""
STDERR_KEPT = 40
"""Lines of the child's stderr kept for the message when it dies."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetJob:
    """Everything the child needs to run `FleetScan` itself."""

    inventory: Inventory
    only_keys: tuple[str, ...]
    options: NetworkOptions
    environment: Environment
    secrets: ResolvedSecrets
    client_factory: ClientFactory | None
    concurrency: int


def _no_stored_key() -> str | None:
    """The child never opens the keyring: the parent resolved the DQS key before sending the job."""
    return None


def _absolute(path: str | None) -> str | None:
    """A path the user gave relative to where trackdeck was started, made absolute for the child
    (which runs elsewhere)."""
    return None if path is None else os.path.abspath(path)


def can_isolate(environment: Environment, client_factory: ClientFactory | None) -> bool:
    """Whether a scan over `environment` with `client_factory` can run in a child process."""
    try:
        pickle.dumps((replace(environment, dqs_key=_no_stored_key), client_factory))
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


class FleetInChild:
    """A fleet scan run by a child interpreter; the same `rows` / `run` / `cancel` as `FleetScan`."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        only_keys: Sequence[str] = (),
        options: NetworkOptions,
        environment: Environment,
        store: SecretSource,
        client_factory: ClientFactory | None,
    ) -> None:
        self.inventory = inventory
        self.only_keys = tuple(only_keys)
        self.options = options
        self.environment = environment
        self.store = store
        self.client_factory = client_factory
        self._process: subprocess.Popen[bytes] | None = None
        self._cancelled = threading.Event()
        self._stderr: deque[str] = deque(maxlen=STDERR_KEPT)
        self._rows: tuple[FleetRow, ...] | None = None

    def rows(self) -> tuple[FleetRow, ...]:
        """Every inventory row, pending (computed here: no I/O)."""
        if self._rows is None:
            self._rows = pending_rows(self.inventory, self.only_keys)
        return self._rows

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

    def job(self) -> FleetJob:
        """The job for the child, with the secrets and the DQS key looked up here."""
        wanted = accounts_of(self.rows(), self.only_keys, self.inventory)
        found = {}
        for account in self.inventory.accounts:
            if account.has_api and account.name in wanted:
                found[account.name] = self.store.lookup(account)
        key = self.options.dqs_key or self.environment.dqs_key()
        return FleetJob(
            inventory=self.inventory,
            only_keys=self.only_keys,
            options=replace(self.options, dqs_key=key, ca_bundle=_absolute(self.options.ca_bundle)),
            environment=replace(self.environment, dqs_key=_no_stored_key),
            secrets=ResolvedSecrets(found),
            client_factory=self.client_factory,
            concurrency=self.options.concurrency,
        )

    def run(self) -> Iterator[FleetRow]:
        """Start the child, send the job, yield each row; unreported rows come back unknown."""
        job = self.job()
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        pending = {row.key: row for row in self.rows()}
        process = self._start()
        try:
            assert process.stdin is not None and process.stdout is not None
            if _send(process.stdin, payload):
                for row in _frames(process.stdout):
                    if self.cancelled:
                        break
                    pending.pop(row.key, None)
                    yield row
        finally:
            if process.poll() is None:
                process.terminate()
            status = process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        if pending and not self.cancelled:
            from checks.engine import Target, crashed_report  # noqa: PLC0415 - only when it died

            said = job.secrets.redact("\n".join(self._stderr))  # a traceback may quote anything
            if job.options.dqs_key:
                said = said.replace(job.options.dqs_key, "<key>")
            error = ScanProcessError(status, said)
            for row in pending.values():
                target = Target(host=row.host, key=row.key)
                yield dataclasses.replace(row, report=crashed_report(target, error))

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-c", CHILD],
            cwd=PACKAGE_ROOT,  # a fixed place: nothing where the dashboard was started is read
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


def _send(stdin: IO[bytes], payload: bytes) -> bool:
    """Send the job; stdin stays open: the child stops when it closes."""
    try:
        stdin.write(payload)
        stdin.flush()
    except (BrokenPipeError, OSError):
        return False
    return True


def _frames(stream: IO[bytes]) -> Iterator[FleetRow]:
    """Rows from the child's frames until its end frame, or until the stream ends early."""
    while True:
        header = stream.read(FRAME_HEADER.size)
        if len(header) < FRAME_HEADER.size:
            return
        (size,) = FRAME_HEADER.unpack(header)
        body = stream.read(size)
        if len(body) < size:
            return
        row = pickle.loads(body)  # noqa: S301 - frames come from our own child over a pipe
        if row is None:
            return
        assert isinstance(row, FleetRow)
        yield row


def _write_frame(out: IO[bytes], value: FleetRow | None) -> None:
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(FRAME_HEADER.pack(len(body)) + body)
    out.flush()


def _stop_when_orphaned(stdin: IO[bytes], fleet: FleetScan) -> None:
    """The parent keeps stdin open while it wants rows: end of file means it went away."""
    with contextlib.suppress(OSError):
        stdin.read()
    fleet.cancel()


def child_main() -> int:
    """The child: read the job from stdin, scan, write one frame per row, then the end frame."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not corrupt the frames
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 - the job comes from our own parent
    os.nice(CHILD_NICENESS)
    assert isinstance(job, FleetJob)
    from tui.fleet.scan import FleetScan  # noqa: PLC0415 - the child's own work

    fleet = FleetScan(
        job.inventory,
        build_context(job.options, job.environment),
        job.secrets,
        client_factory=job.client_factory,
        concurrency=job.concurrency,
        only_keys=job.only_keys,
    )
    watch = threading.Thread(
        target=_stop_when_orphaned, args=(sys.stdin.buffer, fleet), name="orphan", daemon=True
    )
    watch.start()
    try:
        for row in fleet.run():
            _write_frame(frames, row)
        _write_frame(frames, None)
    except BrokenPipeError:  # the parent went away: nobody wants the rest
        fleet.cancel()
        return 1
    return 0
