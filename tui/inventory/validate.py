"""Validating an inventory's TOML into an Inventory: its top level, its brands and their tracking
entries (the settings and accounts tables are read by tui.inventory.tables)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from checks.names import normalize_host
from tui.inventory.model import Inventory, InventoryError, TrackingEntry
from tui.inventory.source import Where, suggest, type_word
from tui.inventory.tables import TableReader

_TOP_KEYS = ("settings", "accounts", "brands")
_BRAND_KEYS = ("name", "tracking")
_ENTRY_KEYS = ("host", "account", "expect_target")


def check_inventory(text: str, display: str, path: Path | None) -> Inventory:
    """Validate inventory TOML `text` (`display` names it in problems); raise InventoryError
    listing every problem."""
    reader = _Reader(text, display)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        reader.syntax_error(str(error))
        document = None
    inventory = reader.build(document, path) if document is not None else None
    reader.scan_secret_shapes()
    if reader.problems or inventory is None:
        raise InventoryError(reader.sorted_problems())
    return inventory


class _Reader(TableReader):
    """Builds an Inventory from a parsed document, collecting every problem on the way."""

    def build(self, document: dict[str, object], path: Path | None) -> Inventory:
        self.secret_keys(document)
        self.check_keys(document, _TOP_KEYS, "", self.locate.anywhere)
        settings = self.settings(document.get("settings"))
        declared, accounts = self.accounts(document.get("accounts"))
        brands, entries = self.brands(document.get("brands"), declared)
        return Inventory(
            path=path,
            settings=settings,
            accounts=tuple(accounts.values()),
            brands=brands,
            entries=entries,
        )

    def brands(
        self, raw: object, declared: frozenset[str]
    ) -> tuple[tuple[str, ...], tuple[TrackingEntry, ...]]:
        if raw is None:
            return (), ()
        if not isinstance(raw, list):
            self.add(
                self.locate.anywhere("brands"), "brands", "must be a list of [[brands]] tables"
            )
            return (), ()
        names: dict[str, int | None] = {}
        entries: list[TrackingEntry] = []
        seen: dict[tuple[str, str], int] = {}
        for index, body in enumerate(raw):
            field = f"brands[{index}]"
            anchor = self.locate.header(("brands",), array=True, nth=index)
            if anchor is None:
                anchor = self.locate.anywhere("brands")
            if not isinstance(body, dict):
                self.add(anchor, field, f'must be a table with name = "…", not {type_word(body)}')
                continue
            name = self.brand_name(body, field, anchor, names)
            entries.extend(self.tracking(body, name, field, anchor, (declared, seen)))
        return tuple(names), tuple(entries)

    def brand_name(
        self,
        body: Mapping[str, object],
        field: str,
        anchor: int | None,
        names: dict[str, int | None],
    ) -> str:
        where = self.where_in(anchor)
        self.check_keys(body, _BRAND_KEYS, field, where, required=("name",))
        name = (self.take(body, "name", str, f"{field}.name", where) or "").strip()
        if "name" in body and isinstance(body["name"], str) and not name:
            self.add(where("name"), f"{field}.name", "must not be empty")
        elif name in names:
            first = names[name]
            self.add(
                where("name"),
                f"{field}.name",
                f"brand {name!r} is already defined" + (f" at line {first}" if first else ""),
            )
        elif name:
            names[name] = self.locate.line(anchor)
        return name

    def tracking(
        self,
        body: Mapping[str, object],
        brand: str,
        field: str,
        anchor: int | None,
        known: tuple[frozenset[str], dict[tuple[str, str], int]],
    ) -> list[TrackingEntry]:
        """The brand's valid entries; `known` is the declared accounts and the hosts seen so far."""
        declared, seen = known
        items = self.take(body, "tracking", list, f"{field}.tracking", self.where_in(anchor))
        entries: list[TrackingEntry] = []
        start = anchor or 0
        for index, item in enumerate(items or ()):
            item_field = f"{field}.tracking[{index}]"
            entry, start = self.entry(item, brand, item_field, (start, anchor), declared)
            if entry is not None and self.unique(entry, seen, f"{item_field}.host"):
                entries.append(entry)
        return entries

    def entry(
        self,
        item: object,
        brand: str,
        field: str,
        cursor: tuple[int, int | None],
        declared: frozenset[str],
    ) -> tuple[TrackingEntry | None, int]:
        start, anchor = cursor
        if not isinstance(item, dict):
            self.add(
                anchor,
                field,
                'must be a table like { host = "links.example.com", account = "NAME" }',
            )
            return None, start
        position = anchor
        raw_host = item.get("host")
        if isinstance(raw_host, str):
            match = self.locate.value("host", raw_host, start)
            if match is not None:
                position, start = match.start(), match.end()

        def here(_key: str) -> int | None:
            return position

        self.check_keys(item, _ENTRY_KEYS, field, here, required=("host", "account"))
        host = self.host(item, "host", field, here)
        target = self.host(item, "expect_target", field, here)
        account = self.account_ref(item, field, here, declared)
        if host is None or account is None or ("expect_target" in item and target is None):
            return None, start
        line = self.locate.line(position) or 0
        entry = TrackingEntry(
            host=host, account=account, brand=brand, expect_target=target, line=line
        )
        return entry, start

    def host(self, item: Mapping[str, object], key: str, field: str, here: Where) -> str | None:
        raw = self.take(item, key, str, f"{field}.{key}", here)
        if raw is None:
            return None
        try:
            return normalize_host(raw)
        except ValueError as error:
            self.add(here(key), f"{field}.{key}", f"{raw!r} is not a valid host name: {error}")
            return None

    def account_ref(
        self, item: Mapping[str, object], field: str, here: Where, declared: frozenset[str]
    ) -> str | None:
        account = self.take(item, "account", str, f"{field}.account", here)
        if account is None or account in declared:
            return account
        defined = ", ".join(sorted(declared)) or "none yet"
        message = (
            f"account {account!r} is not defined{suggest(account, sorted(declared))}; "
            f"add [accounts.{account}] (defined: {defined})"
        )
        self.add(here("account"), f"{field}.account", message)
        return None

    def unique(self, entry: TrackingEntry, seen: dict[tuple[str, str], int], field: str) -> bool:
        """False (and a problem) when the same host is listed twice for the same account."""
        key = (entry.account, entry.host)
        if key not in seen:
            seen[key] = entry.line
            return True
        first = f" (first at line {seen[key]})" if seen[key] else ""
        message = f"{entry.host!r} is listed twice for account {entry.account!r}{first}"
        self.add_line(entry.line or None, field, message)
        return False
