"""The audit log: one JSON line per change trackdeck made (or tried to make) at an ESP.

Appends are whole-line writes under an exclusive `flock`, so lines from threads and from several
trackdeck processes never interleave; secrets are scrubbed before anything reaches the disk.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from esp_clients.redaction import secret_forms
from tui.inventory.credentials import REDACTED, redact_secret_shapes
from tui.inventory.paths import default_audit_path, ensure_private_dir

Clock = Callable[[], dt.datetime]
SecretSource = Callable[[], Iterable[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One change at an ESP: who, when, which host, what it was before and after, and the result."""

    time: str
    user: str
    account: str
    host: str
    action: str
    before: str
    after: str
    result: str
    detail: str = ""


_FIELDS = tuple(entry_field.name for entry_field in fields(AuditEntry))
_REQUIRED = tuple(name for name in _FIELDS if name != "detail")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRead:
    """The readable entries of a log and how many lines could not be read."""

    entries: tuple[AuditEntry, ...]
    corrupt_lines: int


def utc_timestamp(moment: dt.datetime) -> str:
    """`moment` as ISO 8601 in UTC with a Z suffix, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def current_user() -> str:
    """The login name, or "unknown" where the system cannot say (containers without a passwd entry)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _no_secrets() -> Iterable[str]:
    return ()


class AuditLog:
    """An append-only JSON-lines file (default ``$XDG_STATE_HOME/trackdeck/audit.jsonl``)."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        clock: Clock | None = None,
        user: str | None = None,
        secrets: SecretSource = _no_secrets,
    ) -> None:
        self.path = default_audit_path() if path is None else path
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._user = current_user() if user is None else user
        self._secrets = secrets
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def record(
        self,
        *,
        account: str,
        host: str,
        action: str,
        before: str,
        after: str,
        result: str,
        detail: str = "",
    ) -> AuditEntry:
        """Append an entry stamped with the clock and the user; return it as written (scrubbed)."""
        entry = AuditEntry(
            time=utc_timestamp(self._clock()),
            user=self._user,
            account=account,
            host=host,
            action=action,
            before=before,
            after=after,
            result=result,
            detail=detail,
        )
        return self.append(entry)

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Write `entry` as one line (secrets scrubbed) with O_APPEND, flock and fsync; return it."""
        clean = self.scrub(entry)
        line = (json.dumps(asdict(clean), ensure_ascii=False, sort_keys=True) + "\n").encode()
        ensure_private_dir(self.path.parent)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        with self._lock:
            descriptor = os.open(self.path, flags, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                _write_all(descriptor, line)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        return clean

    def scrub(self, entry: AuditEntry) -> AuditEntry:
        """`entry` with every known secret and anything shaped like an API key redacted."""
        secrets = sorted({secret for secret in self._secrets() if secret}, key=len, reverse=True)
        changes: dict[str, str] = {}
        for name in _FIELDS:
            value = getattr(entry, name)
            for secret in secrets:
                for form in secret_forms(secret):
                    value = value.replace(form, REDACTED)
            changes[name] = redact_secret_shapes(value)
        return replace(entry, **changes)

    def read(self) -> AuditRead:
        """Every readable entry in file order; corrupt or partial lines are skipped and counted."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return AuditRead(entries=(), corrupt_lines=0)
        entries: list[AuditEntry] = []
        corrupt = 0
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            entry = parse_line(line)
            if entry is None:
                corrupt += 1
            else:
                entries.append(entry)
        return AuditRead(entries=tuple(entries), corrupt_lines=corrupt)

    def entries(self) -> tuple[AuditEntry, ...]:
        """Every readable entry in file order (see `read` for the count of corrupt lines)."""
        return self.read().entries


def parse_line(line: bytes) -> AuditEntry | None:
    """One log line as an entry, or None when it is not a complete, well-formed entry."""
    try:
        data = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or any(name not in data for name in _REQUIRED):
        return None
    values = {name: data.get(name, "") for name in _FIELDS}
    if not all(isinstance(value, str) for value in values.values()):
        return None
    return AuditEntry(**values)


def _write_all(descriptor: int, data: bytes) -> None:
    """One write() of the whole line; loop only if the kernel writes less (still under the lock)."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]
