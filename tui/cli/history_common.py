"""What `history` and `expiry` share: which history file (the inventory's setting, or the default),
opened read-only, and `--since` in words a person types (`7d`, `12h`, `2w`, a date)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import re
from collections.abc import Iterator

from tui.cli.common import CommandError, inventory_path, load
from tui.history.files import history_path
from tui.history.model import CHECK, INVENTORY
from tui.history.store import HistoryStore, HistoryUnavailable
from tui.inventory.model import Inventory, Settings

_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400}


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """`--checked`: the hosts `check --record` kept, instead of the inventory's."""
    parser.add_argument(
        "--checked",
        action="store_true",
        help="the hosts recorded by `check --record` instead of the inventory's",
    )


def scope_of(args: argparse.Namespace) -> str:
    """The scope the command reads."""
    return CHECK if args.checked else INVENTORY


def found_inventory(args: argparse.Namespace) -> Inventory | None:
    """The inventory (`-i`, $TRACKDECK_INVENTORY or the default file) when there is one;
    CommandError when it is bad."""
    return load(args) if inventory_path(args).exists() else None


def history_settings(args: argparse.Namespace) -> Settings:
    """The settings that say where the history is and how long it is kept: the inventory's when
    there is one, else the defaults; CommandError when that inventory is bad."""
    inventory = found_inventory(args)
    return inventory.settings if inventory is not None else Settings()


@contextlib.contextmanager
def open_history(args: argparse.Namespace) -> Iterator[HistoryStore]:
    """The history file the inventory names (or the default one), open read-only for the block;
    CommandError when there is none yet, or when it cannot be opened or read (a damaged file may
    open and fail only at its first read)."""
    path = history_path(history_settings(args).history)
    if path is None:
        raise CommandError("the inventory keeps no history (`history = false` in [settings])")
    if not path.exists():
        raise CommandError(
            f"no history yet at {path}: run `trackdeck scan` (or open the dashboard) to start one"
        )
    try:
        with HistoryStore.open(path, read_only=True) as store:
            yield store
    except HistoryUnavailable as error:
        raise CommandError(str(error)) from None


def since_of(text: str | None, now: dt.datetime) -> dt.datetime | None:
    """`7d` (ago), `12h`, `2w`, `30m`, or a date (`2026-11-01`, UTC); None for no limit."""
    if not text:
        return None
    span = _SPAN.fullmatch(text.strip().lower())
    if span:
        return now - dt.timedelta(seconds=int(span.group(1)) * _UNITS[span.group(2)])
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"--since {text!r}: give a span such as 7d, 12h or 2w, or a date such as 2026-11-01"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
