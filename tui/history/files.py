"""Where the history file is, and recording a scan in it without ever failing the scan."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui.history.model import Recorded, ScanInfo, ScannedHost
from tui.history.store import HistoryStore, HistoryUnavailable
from tui.inventory.paths import state_dir


def history_path(setting: str | None, *, disabled: bool = False) -> Path | None:
    """The history file: `setting` ("" the default, a path, or None for none); None: keep none."""
    if disabled or setting is None:
        return None
    return Path(setting) if setting else state_dir() / "history.sqlite"


def record_scan(
    path: Path, scan: ScanInfo, hosts: Sequence[ScannedHost], *, keep_days: int
) -> Recorded | HistoryUnavailable:
    """Record the scan; the failure (named file, what to do) instead of raising it."""
    try:
        with HistoryStore.open(path) as store:
            return store.record(scan, hosts, keep_days=keep_days)
    except HistoryUnavailable as problem:
        return problem
