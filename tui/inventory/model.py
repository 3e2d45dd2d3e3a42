"""The inventory: each brand's tracking hosts and the ESP account behind each, read from a hand-written
TOML file and validated (by tui.inventory.validate) with every problem reported at once (file, line and
field).

Nothing here ever rewrites an existing inventory: `write_new_file` only creates new files.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from esp_clients.base import AccountRef
from tui.inventory.files import write_new_file as write_new_file  # noqa: PLC0414 - part of this API

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

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
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
    email_max_domains: int = 10


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


def _parse(text: str, display: str, path: Path | None) -> Inventory:
    """Validate `text` with the checker, imported here because it builds this module's values."""
    from tui.inventory.validate import check_inventory  # noqa: PLC0415 - it imports this module

    return check_inventory(text, display, path)


def example_inventory_text() -> str:
    """The commented example inventory shipped as package data (what `trackdeck init` writes)."""
    resource = importlib.resources.files("tui.inventory").joinpath("example.toml")
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
