"""Messages the dashboard's workers post (past tense: something happened) and screens handle."""

from __future__ import annotations

import datetime as dt

from textual.message import Message

from tui.fleet.rows import FleetRow


class ScanStarted(Message):
    """A scan of `total` rows began."""

    def __init__(self, total: int, keys: tuple[str, ...]) -> None:
        super().__init__()
        self.total = total
        self.keys = keys


class RowChecked(Message):
    """One row's checks finished."""

    def __init__(self, row: FleetRow) -> None:
        super().__init__()
        self.row = row


class ScanFinished(Message):
    """The scan ended (completed or cancelled) at `finished_at`."""

    def __init__(self, finished_at: dt.datetime, cancelled: bool) -> None:
        super().__init__()
        self.finished_at = finished_at
        self.cancelled = cancelled


class ActionProgressed(Message):
    """A write action reports progress (certificate pending …)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
