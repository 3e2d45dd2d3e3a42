"""The inventory: each brand's tracking hosts and the ESP account behind each, read from a hand-written
TOML file and validated with every problem reported at once (file, line and field).

Nothing here ever rewrites an existing inventory: `write_new_file` only creates new files.
"""

from __future__ import annotations

import difflib
import errno
import importlib.resources
import ipaddress
import os
import re
import tempfile
import tomllib
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import tomli_w

from checks.dnsclient import parse_server
from esp_clients.base import AccountRef
from tui.credentials import env_var_name, redact_secret_shapes, secret_shape
from tui.paths import ensure_private_dir

T = TypeVar("T")
Where = Callable[[str], "int | None"]

API_ESPS = frozenset({"sendgrid", "mailgun", "sparkpost", "mandrill", "ses", "resend"})
DNS_ONLY_ESPS = frozenset(
    {"postmark", "mailjet", "brevo", "klaviyo", "hubspot", "activecampaign", "mailchimp"}
)
KNOWN_ESPS = API_ESPS | DNS_ONLY_ESPS
REGIONS: Mapping[str, tuple[str, ...]] = {
    "sendgrid": ("global", "eu"),
    "mailgun": ("us", "eu"),
    "sparkpost": ("us", "eu"),
}
"""Each ESP's region names, default first; SES takes any AWS region name; the others none."""

_AWS_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SECRET_WORDS = frozenset(
    {"key", "apikey", "secret", "secrets", "token", "password", "passwd", "pwd", "credentials"}
)
_ESP_ONLY = {"subuser": "sendgrid", "subaccount": "sparkpost", "profile": "ses"}
_TOP_KEYS = ("settings", "accounts", "brands")
_SETTINGS_KEYS = (
    "resolvers",
    "blocklist_resolvers",
    "expiry_warning_days",
    "timeout",
    "concurrency",
    "read_only",
    "refresh_interval",
    "ca_bundle",
    "blocklists",
)
_ACCOUNT_KEYS = ("esp", "region", "api_base", "subuser", "subaccount", "profile")
_BRAND_KEYS = ("name", "tracking")
_ENTRY_KEYS = ("host", "account", "expect_target")
_TYPE_WORDS = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "a table",
}
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}
SECRETS_POLICY = (
    "secrets never go in the inventory: remove it and store the secret with "
    "`trackdeck creds set {account}` or the environment variable {variable}"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an inventory, located as precisely as the source allows."""

    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class InventoryError(Exception):
    """The inventory cannot be used; `problems` holds every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Scan settings; command-line options override them."""

    resolvers: tuple[str, ...] = ()
    blocklist_resolvers: tuple[str, ...] = ()
    expiry_warning_days: int = 21
    timeout: float = 2.0
    concurrency: int = 32
    read_only: bool = False
    refresh_interval: float = 0.0
    ca_bundle: str | None = None
    blocklists: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """One ESP account; its name is also the keyring user that holds its secret."""

    name: str
    esp: str
    region: str = ""
    api_base: str | None = None
    subuser: str | None = None
    subaccount: str | None = None
    profile: str | None = None

    @property
    def has_api(self) -> bool:
        """Whether trackdeck can ask this ESP's API (the others are checked through DNS only)."""
        return self.esp in API_ESPS

    def ref(self) -> AccountRef:
        """The account as the ESP clients know it."""
        return AccountRef(
            name=self.name,
            esp=self.esp,
            region=self.region,
            api_base=self.api_base,
            subuser=self.subuser,
            subaccount=self.subaccount,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingEntry:
    """One tracking host of a brand at one account; `line` is where the file lists it (0: unknown)."""

    host: str
    account: str
    brand: str
    expect_target: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedHost:
    """A host listed under more than one ESP account (finding `inventory.shared_host`)."""

    host: str
    entries: tuple[TrackingEntry, ...]

    @property
    def accounts(self) -> tuple[str, ...]:
        """The distinct accounts that list the host, in file order."""
        return tuple(dict.fromkeys(entry.account for entry in self.entries))


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """A validated inventory."""

    path: Path | None
    settings: Settings
    accounts: tuple[Account, ...]
    brands: tuple[str, ...]
    entries: tuple[TrackingEntry, ...]

    def account(self, name: str) -> Account:
        """The account called `name`; KeyError when there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def entries_for(self, account: str) -> tuple[TrackingEntry, ...]:
        """The entries of one account, in file order."""
        return tuple(entry for entry in self.entries if entry.account == account)

    def shared_hosts(self) -> tuple[SharedHost, ...]:
        """Hosts listed under two or more different accounts, in file order."""
        by_host: dict[str, list[TrackingEntry]] = {}
        for entry in self.entries:
            by_host.setdefault(entry.host, []).append(entry)
        return tuple(
            SharedHost(host=host, entries=tuple(entries))
            for host, entries in by_host.items()
            if len({entry.account for entry in entries}) > 1
        )


def load_inventory(path: Path) -> Inventory:
    """Read and validate the inventory at `path`; raise InventoryError listing every problem."""
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        message = "no such file: create one with `trackdeck init`, or pass another with -i FILE"
        raise InventoryError(
            [Problem(path=display, line=None, field="", message=message)]
        ) from None
    except UnicodeDecodeError:
        message = "is not UTF-8 text"
        raise InventoryError(
            [Problem(path=display, line=None, field="", message=message)]
        ) from None
    except OSError as error:
        message = f"cannot be read: {error.strerror or type(error).__name__}"
        raise InventoryError(
            [Problem(path=display, line=None, field="", message=message)]
        ) from None
    return _parse(text, display, path)


def parse_inventory(text: str, *, path: str = "<inventory>") -> Inventory:
    """Validate inventory TOML `text`; `path` only names the source in problems."""
    return _parse(text, path, None)


def normalize_host(raw: str) -> str:
    """`raw` as a lower-case ASCII DNS name without a trailing dot; ValueError says what is wrong."""
    host = raw.strip().removesuffix(".")
    if not host:
        raise ValueError("it is empty")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValueError("it is an IP address; tracking hosts are DNS names")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("it is not a valid internationalised name") from None
    return _check_labels(host.lower())


def _check_labels(host: str) -> str:
    if len(host) > 253:
        raise ValueError("it is longer than 253 characters")
    labels = host.split(".")
    if len(labels) < 2:
        raise ValueError("it needs at least two labels, like links.example.com")
    for label in labels:
        if not label:
            raise ValueError("it has an empty label")
        if len(label) > 63:
            raise ValueError("a label is longer than 63 characters")
        if not _LABEL.fullmatch(label):
            raise ValueError(f"label {label!r} may hold only letters, digits and inner hyphens")
    if labels[-1].isdigit():
        raise ValueError("its last label is numeric")
    return host


def example_inventory_text() -> str:
    """The commented example inventory shipped as package data (what `trackdeck init` writes)."""
    resource = importlib.resources.files("tui").joinpath("example_inventory.toml")
    return resource.read_text(encoding="utf-8")


def render_entries_toml(account: str, hosts: Sequence[tuple[str, str | None]], brand: str) -> str:
    """A ``[[brands]]`` fragment listing `hosts` (with their expected targets) for `trackdeck import`."""
    tracking: list[dict[str, str]] = []
    for host, target in hosts:
        item = {"host": host, "account": account}
        if target:
            item["expect_target"] = target
        tracking.append(item)
    return tomli_w.dumps({"brands": [{"name": brand, "tracking": tracking}]})


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


def _parse(text: str, display: str, path: Path | None) -> Inventory:
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


class _Locator:
    """Finds where tables, keys and values are in the source, since tomllib does not say."""

    def __init__(self, text: str) -> None:
        self.text = text

    def line(self, position: int | None) -> int | None:
        return None if position is None else self.text.count("\n", 0, position) + 1

    def header(self, parts: Sequence[str], *, array: bool = False, nth: int = 0) -> int | None:
        """The position of the `nth` ``[a.b]`` (or ``[[a]]``) header."""
        open_, close = (r"\[\[", r"\]\]") if array else (r"\[", r"\]")
        dotted = r"[ \t]*\.[ \t]*".join(_key_pattern(part) for part in parts)
        pattern = re.compile(rf"^[ \t]*{open_}[ \t]*{dotted}[ \t]*{close}", re.MULTILINE)
        for index, match in enumerate(pattern.finditer(self.text)):
            if index == nth:
                return match.start()
        return None

    def key(self, key: str, section: int | None = None, nth: int = 0) -> int | None:
        """The `nth` ``key =`` in the section starting at `section` (the whole file when None)."""
        start, end = 0, len(self.text)
        if section is not None:
            start = section
            following = re.compile(r"^[ \t]*\[", re.MULTILINE).search(self.text, section + 1)
            end = following.start() if following else end
        pattern = re.compile(rf"(?:^|[{{,])[ \t]*{_key_pattern(key)}[ \t]*=", re.MULTILINE)
        for index, match in enumerate(pattern.finditer(self.text, start, end)):
            if index == nth:
                return match.start()
        return None

    def value(self, key: str, raw: str, start: int) -> re.Match[str] | None:
        """The first ``key = "raw"`` at or after `start`."""
        pattern = rf"""(?<![\w-]){_key_pattern(key)}[ \t]*=[ \t]*(["']){re.escape(raw)}\1"""
        return re.compile(pattern).search(self.text, start)

    def anywhere(self, key: str) -> int | None:
        """Where a top-level name appears: as a table header, an array header or a key."""
        for position in (self.header((key,)), self.header((key,), array=True), self.key(key)):
            if position is not None:
                return position
        return None


def _key_pattern(key: str) -> str:
    escaped = re.escape(key)
    quoted = rf"""(?:"{escaped}"|'{escaped}')"""
    return rf"(?:{escaped}|{quoted})" if _BARE_KEY.fullmatch(key) else quoted


def _is_secret_key(key: str) -> bool:
    words = set(re.split(r"[_\-.\s]+", key.lower()))
    return bool(words & _SECRET_WORDS) or any(
        word in key.lower() for word in ("secret", "password")
    )


def _walk_keys(
    value: object, prefix: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every (path, key) in a parsed document, depth first in file order."""
    if isinstance(value, dict):
        for key, child in value.items():
            path = (*prefix, str(key))
            yield path, str(key)
            yield from _walk_keys(child, path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk_keys(child, (*prefix, index))


def _type_word(value: object) -> str:
    return _TYPE_WORDS.get(type(value), f"a {type(value).__name__}")


def _suggest(word: str, choices: Sequence[str]) -> str:
    match = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _first(*positions: int | None) -> int | None:
    return next((position for position in positions if position is not None), None)


N = TypeVar("N", int, float)


class _Reader:
    """Builds an Inventory from a parsed document, collecting every problem on the way."""

    def __init__(self, text: str, display: str) -> None:
        self.text = text
        self.display = display
        self.locate = _Locator(text)
        self.problems: list[Problem] = []
        self._secret_lines: set[int] = set()

    def add_line(self, line: int | None, field: str, message: str) -> None:
        """Record a problem; anything shaped like an API key is redacted from it first."""
        problem = Problem(
            path=self.display,
            line=line,
            field=redact_secret_shapes(field),
            message=redact_secret_shapes(message),
        )
        self.problems.append(problem)

    def add(self, position: int | None, field: str, message: str) -> None:
        self.add_line(self.locate.line(position), field, message)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda problem: (problem.line is None, problem.line or 0))

    def syntax_error(self, message: str) -> None:
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match is None:
            self.add_line(None, "", f"TOML syntax error: {message}")
            return
        text = message[: match.start()].strip()
        self.add_line(int(match[1]), "", f"TOML syntax error: {text} (column {match[2]})")

    def scan_secret_shapes(self) -> None:
        """Flag every line holding something shaped like an API key, comments included."""
        for number, line in enumerate(self.text.split("\n"), start=1):
            kind = secret_shape(line)
            if kind and number not in self._secret_lines:
                policy = SECRETS_POLICY.format(
                    account="ACCOUNT", variable="TRACKDECK_SECRET_<ACCOUNT>"
                )
                self.add_line(number, "", f"this line holds what looks like {kind}; {policy}")

    def where_in(self, anchor: int | None) -> Where:
        """Finds a key's position in the table at `anchor`, falling back to the table's own line."""
        if anchor is None:
            return lambda _key: None
        return lambda key: _first(self.locate.key(key, anchor), anchor)

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

    def secret_keys(self, document: dict[str, object]) -> None:
        """Flag keys named like secrets anywhere (api_key, token, password, …), never their values."""
        seen: dict[str, int] = {}
        for path, key in _walk_keys(document, ()):
            if not _is_secret_key(key):
                continue
            nth = seen[key] = seen.get(key, -1) + 1
            position = self.locate.key(key, nth=nth)
            account = path[1] if len(path) >= 3 and path[0] == "accounts" else None
            variable = env_var_name(str(account)) if account else "TRACKDECK_SECRET_<ACCOUNT>"
            policy = SECRETS_POLICY.format(account=account or "ACCOUNT", variable=variable)
            self.add(position, _dotted(path), f"looks like a secret; {policy}")
            line = self.locate.line(position)
            if line is not None:
                self._secret_lines.add(line)

    def check_keys(
        self,
        table: Mapping[str, object],
        allowed: Sequence[str],
        prefix: str,
        where: Where,
        required: Sequence[str] = (),
    ) -> None:
        for key in table:
            if key not in allowed and not _is_secret_key(key):
                message = f"unknown key {key!r}{_suggest(key, allowed)} (valid keys: {', '.join(allowed)})"
                self.add(where(key), _join(prefix, key), message)
        for key in required:
            if key not in table:
                self.add(where(key), _join(prefix, key), f"missing: add {key} = …")

    def take(
        self, table: Mapping[str, object], key: str, kind: type[T], field: str, where: Where
    ) -> T | None:
        """The value at `key` if it has type `kind` (ints count as floats, booleans as nothing else)."""
        if key not in table:
            return None
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        self.add(where(key), field, f"must be {_TYPE_WORDS[kind]}, not {_type_word(value)}")
        return None

    def table(self, raw: object, field: str) -> dict[str, object] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.add(self.locate.anywhere(field), field, f"must be a table, not {_type_word(raw)}")
            return None
        return raw

    def settings(self, raw: object) -> Settings:
        table = self.table(raw, "settings")
        if table is None:
            return Settings()
        where = self.where_in(self.locate.header(("settings",)))
        self.check_keys(table, _SETTINGS_KEYS, "settings", where)
        default = Settings()
        return Settings(
            resolvers=self.servers(table, "resolvers", where),
            blocklist_resolvers=self.servers(table, "blocklist_resolvers", where),
            expiry_warning_days=self.ranged(
                table,
                "expiry_warning_days",
                int,
                bounds=(0, 365),
                where=where,
                default=default.expiry_warning_days,
            ),
            timeout=self.ranged(
                table, "timeout", float, bounds=(0.1, 120), where=where, default=default.timeout
            ),
            concurrency=self.ranged(
                table, "concurrency", int, bounds=(1, 256), where=where, default=default.concurrency
            ),
            read_only=self.flag(table, "read_only", where, default.read_only),
            refresh_interval=self.refresh_interval(table, where),
            ca_bundle=self.ca_bundle(table, where),
            blocklists=self.flag(table, "blocklists", where, default.blocklists),
        )

    def ranged(
        self,
        table: Mapping[str, object],
        key: str,
        kind: type[N],
        *,
        bounds: tuple[float, float],
        where: Where,
        default: N,
    ) -> N:
        value = self.take(table, key, kind, f"settings.{key}", where)
        if value is None:
            return default
        low, high = bounds
        if not low <= value <= high:
            self.add(where(key), f"settings.{key}", f"must be between {low:g} and {high:g}")
            return default
        return value

    def flag(self, table: Mapping[str, object], key: str, where: Where, default: bool) -> bool:
        value = self.take(table, key, bool, f"settings.{key}", where)
        return default if value is None else value

    def refresh_interval(self, table: Mapping[str, object], where: Where) -> float:
        value = self.ranged(
            table, "refresh_interval", float, bounds=(0, 86_400), where=where, default=0.0
        )
        if 0 < value < 10:
            self.add(
                where("refresh_interval"),
                "settings.refresh_interval",
                "must be 0 (off) or at least 10 seconds",
            )
            return 0.0
        return value

    def ca_bundle(self, table: Mapping[str, object], where: Where) -> str | None:
        value = self.take(table, "ca_bundle", str, "settings.ca_bundle", where)
        if value is not None and not value.strip():
            self.add(where("ca_bundle"), "settings.ca_bundle", "must be a file path, not empty")
            return None
        return os.path.expanduser(value.strip()) if value else None

    def servers(self, table: Mapping[str, object], key: str, where: Where) -> tuple[str, ...]:
        field = f"settings.{key}"
        values = self.take(table, key, list, field, where)
        servers: list[str] = []
        for index, item in enumerate(values or ()):
            try:
                if not isinstance(item, str):
                    raise ValueError(
                        f'must be a string like "127.0.0.1" or "127.0.0.1:5353", '
                        f"not {_type_word(item)}"
                    )
                parse_server(item)
            except ValueError as error:
                self.add(where(key), f"{field}[{index}]", str(error))
                continue
            servers.append(item.strip())
        return tuple(servers)

    def accounts(self, raw: object) -> tuple[frozenset[str], dict[str, Account]]:
        """The declared account names and the valid accounts."""
        table = self.table(raw, "accounts")
        if table is None:
            return frozenset(), {}
        section = self.locate.header(("accounts",))
        accounts: dict[str, Account] = {}
        variables: dict[str, str] = {}
        for name, body in table.items():
            if _is_secret_key(name):
                continue
            anchor = _first(self.locate.header(("accounts", name)), self.locate.key(name, section))
            account = self.account(name, body, anchor)
            variable = env_var_name(name)
            if variable in variables:
                self.add(
                    anchor,
                    f"accounts.{name}",
                    f"shares the environment variable {variable} "
                    f"with account {variables[variable]!r}; rename one of them",
                )
            variables.setdefault(variable, name)
            if account is not None:
                accounts[name] = account
        return frozenset(table), accounts

    def account(self, name: str, body: object, anchor: int | None) -> Account | None:
        field = f"accounts.{name}"
        named_well = bool(_ACCOUNT_NAME.fullmatch(name))
        if not named_well:
            self.add(
                anchor,
                field,
                "an account name may hold only letters, digits, '.', '_' and "
                "'-', and starts with a letter or digit",
            )
        if not isinstance(body, dict):
            self.add(anchor, field, f'must be a table with esp = "…", not {_type_word(body)}')
            return None
        where = self.where_in(anchor)
        self.check_keys(body, _ACCOUNT_KEYS, field, where, required=("esp",))
        esp = self.esp(body, field, where)
        region = self.region(body, esp, field, where)
        api_base = self.api_base(body, esp, field, where)
        subuser, subaccount, profile = (
            self.esp_only(body, key, esp, field, where)
            for key in ("subuser", "subaccount", "profile")
        )
        if esp is None or not named_well:
            return None
        return Account(
            name=name,
            esp=esp,
            region=region,
            api_base=api_base,
            subuser=subuser,
            subaccount=subaccount,
            profile=profile,
        )

    def esp(self, body: Mapping[str, object], field: str, where: Where) -> str | None:
        value = self.take(body, "esp", str, f"{field}.esp", where)
        if value is None or value in KNOWN_ESPS:
            return value
        known = sorted(KNOWN_ESPS)
        message = f"unknown ESP {value!r}{_suggest(value, known)} (known ESPs: {', '.join(known)})"
        self.add(where("esp"), f"{field}.esp", message)
        return None

    def region(self, body: Mapping[str, object], esp: str | None, field: str, where: Where) -> str:
        value = self.take(body, "region", str, f"{field}.region", where)
        if esp is None or ("region" in body and value is None):
            return ""
        problem = _region_problem(esp, value)
        if problem is not None:
            self.add(where("region"), f"{field}.region", problem)
            return ""
        return value or REGIONS.get(esp, ("",))[0]

    def api_base(
        self, body: Mapping[str, object], esp: str | None, field: str, where: Where
    ) -> str | None:
        value = self.take(body, "api_base", str, f"{field}.api_base", where)
        if value is None:
            return None
        problem = None
        if esp is not None and esp not in API_ESPS:
            problem = f"{esp} has no API trackdeck uses (it is checked through DNS only); remove it"
        elif not _is_http_url(value):
            problem = f"{value!r} is not a URL like https://api.eu.example.com"
        if problem is not None:
            self.add(where("api_base"), f"{field}.api_base", problem)
            return None
        return value.rstrip("/")

    def esp_only(
        self, body: Mapping[str, object], key: str, esp: str | None, field: str, where: Where
    ) -> str | None:
        """`subuser` (SendGrid), `subaccount` (SparkPost) or `profile` (SES), as a string."""
        if key not in body:
            return None
        value, owner = body[key], _ESP_ONLY[key]
        problem = None
        if esp is not None and esp != owner:
            problem = f"applies to {owner} accounts only"
        elif key == "subaccount":
            valid = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            valid = valid or (isinstance(value, str) and value.isascii() and value.isdigit())
            problem = None if valid else "must be the SparkPost subaccount id, a whole number"
        elif not isinstance(value, str) or not value.strip():
            problem = f"must be a non-empty string, not {_type_word(value)}"
        if problem is not None:
            self.add(where(key), f"{field}.{key}", problem)
            return None
        return str(value).strip()

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
            anchor = _first(
                self.locate.header(("brands",), array=True, nth=index),
                self.locate.anywhere("brands"),
            )
            if not isinstance(body, dict):
                self.add(anchor, field, f'must be a table with name = "…", not {_type_word(body)}')
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
            f"account {account!r} is not defined{_suggest(account, sorted(declared))}; "
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


def _region_problem(esp: str, region: str | None) -> str | None:
    """What is wrong with `region` for `esp`, or None."""
    if esp == "ses":
        if region is None:
            return 'ses accounts need their AWS region, e.g. region = "eu-west-1"'
        valid = bool(_AWS_REGION.fullmatch(region))
        return None if valid else f'{region!r} is not an AWS region name like "eu-west-1"'
    names = REGIONS.get(esp, ())
    if not region or region in names:
        return None
    if not names:
        return f"{esp} accounts have no region; remove it"
    return f"{region!r} is not a {esp} region; use one of: {', '.join(names)}"


def _is_http_url(value: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else _join(text, part)
    return text
