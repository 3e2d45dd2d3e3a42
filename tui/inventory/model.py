"""The inventory's values: each brand's tracking hosts and the ESP account behind each, the scan
settings, and the problems a hand-written file can have (file, line and field)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from esp_clients.base import AccountRef
from esp_clients.registry import API_ESPS

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
    history: str | None = ""
    """Where the scan history goes: "" the default file, a path, or None to keep none."""
    history_days: int = 400
    click_recent_days: int = 3
    """The click signal's recent window, in full days (its baseline is the 28 days before)."""
    click_drop: float = 0.5
    """The fall of the click rate (while deliveries hold) that raises `esp.click_rate_drop`."""


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
    allow_insecure_api: bool = False
    """The account's explicit opt-in to a plain http:// api_base that is not loopback."""

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
            allow_insecure_api=self.allow_insecure_api,
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
