"""Writing files safely: atomically, and (for the user's own files) never over an existing one."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from tui.inventory.paths import ensure_private_dir

_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def write_new_file(path: Path, text: str) -> None:
    """Create `path` holding `text`, atomically; FileExistsError if it exists (never overwrites).

    The text is written and fsynced to a temporary file in the same directory, then hard-linked into
    place: the link fails whenever `path` exists, even one created meanwhile, so nothing is clobbered.
    """
    ensure_private_dir(path.parent)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, "refusing to overwrite", str(path)) from None
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            _write_exclusive(path, text)
    finally:
        os.unlink(temporary)
    _fsync_directory(path.parent)


def replace_file(path: Path, data: bytes) -> None:
    """Put `data` at `path` atomically, replacing what is there: a reader (node_exporter's textfile
    collector, a cron job's consumer) sees the old file or the new one, never half of either.

    The directory must exist (it is the user's, and is neither created nor re-permissioned); the file
    keeps the mode of the one it replaces, or gets 0644 so that collectors running as another user
    can read it.
    """
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _write_exclusive(path: Path, text: str) -> None:
    """Fallback for file systems without hard links: O_EXCL still refuses an existing file."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
