"""In-memory ESPs and keyrings for tests: they satisfy the real interfaces, with scripted states."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import keyring.backends.fail

from esp_clients import (
    AccountRef,
    Capability,
    CertificateState,
    EspError,
    EspSecret,
    EspUnsupported,
    TrackingDomain,
    Unsupported,
)
from esp_clients.engagement import (
    ACCOUNT_SCOPE,
    ClickScope,
    ClickSeries,
    ClickTracking,
    DailyClicks,
)
from tui.inventory.credentials import CredentialStore
from tui.inventory.model import Account

ALL_CAPABILITIES = frozenset(Capability)
CLICK_CAPABILITIES = frozenset({Capability.CLICK_STATS, Capability.CLICK_TRACKING})
DOMAIN_CAPABILITIES = ALL_CAPABILITIES - CLICK_CAPABILITIES
"""What a fake ESP can do unless a test gives it click figures."""


class NoClicks:
    """The click calls of a fake client whose ESP has no click figures (its capabilities say so)."""

    account: AccountRef
    label: str

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        return ACCOUNT_SCOPE

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        raise EspUnsupported("no click figures", esp=self.label, account=self.account.name)

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        raise EspUnsupported("no click tracking", esp=self.label, account=self.account.name)


def domain(host: str, account: str, **changes: object) -> TrackingDomain:
    """A healthy, verified, HTTPS-on tracking domain, changed as asked."""
    base = TrackingDomain(
        host=host,
        esp="mailgun",
        account=account,
        esp_id=host,
        verified=True,
        cname_valid=True,
        expected_target="mailgun.org",
        https=True,
        certificate=CertificateState(status="active"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]  # **changes: checked at run time by replace()


@dataclass
class FakeEsp:
    """An ESP account in memory: its domains, an error to raise on list, the calls it received."""

    domains: list[TrackingDomain] = field(default_factory=list)
    list_error: EspError | None = None
    capabilities: frozenset[Capability] = DOMAIN_CAPABILITIES
    label: str = "Mailgun"
    calls: list[str] = field(default_factory=list)
    issuing: dict[str, int] = field(default_factory=dict)
    click_days: tuple[DailyClicks, ...] = ()
    """The click figures the account's ESP counted (give it CLICK_CAPABILITIES too)."""
    click_error: EspError | None = None
    click_tracking: bool | None = True
    click_scope_of: Callable[[TrackingDomain], ClickScope] | None = None
    """Each domain's click scope (default: the whole account)."""


class FakeClient:
    """An EspClient over a FakeEsp."""

    def __init__(self, account: AccountRef, esp: FakeEsp) -> None:
        self.account = account
        self.label = esp.label
        self.capabilities = esp.capabilities
        self._esp = esp

    def explain(self, capability: Capability) -> Unsupported | None:
        if capability in self.capabilities:
            return None
        return Unsupported(capability=capability, reason=f"{self.label}'s API cannot do that")

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        self._esp.calls.append("list")
        if self._esp.list_error is not None:
            raise self._esp.list_error
        return tuple(self._esp.domains)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        self._esp.calls.append(f"verify {domain.host}")
        return domain

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        self._esp.calls.append(f"certificate {domain.host}")
        self._esp.issuing[domain.host] = 1
        return CertificateState(status="pending")

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """Pending for one poll after a request, then active."""
        polls = self._esp.issuing.get(domain.host)
        if polls is None:
            return domain.certificate
        self._esp.issuing[domain.host] = polls - 1
        return CertificateState(status="active" if polls <= 0 else "pending")

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        if Capability.HTTPS_ENABLE not in self.capabilities:
            raise EspUnsupported("cannot", esp=self.label, account=self.account.name)
        self._esp.calls.append(f"https {domain.host} {enabled}")
        return dataclasses.replace(domain, https=enabled)

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        scope_of = self._esp.click_scope_of
        return ACCOUNT_SCOPE if scope_of is None else scope_of(domain)

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        scope = self.click_scope(domain)
        self._esp.calls.append(f"clicks {scope.key or 'account'} {start} {end}")
        if self._esp.click_error is not None:
            raise self._esp.click_error
        days = tuple(day for day in self._esp.click_days if start <= day.day <= end)
        return ClickSeries(scope=scope, start=start, end=end, days=days, source="fake stats")

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        self._esp.calls.append("click tracking")
        return ClickTracking(
            enabled=self._esp.click_tracking,
            scope=self.click_scope(domain),
            setting="the fake ESP's click-tracking switch",
            detail={True: "on", False: "off", None: "not reported"}[self._esp.click_tracking],
        )

    def close(self) -> None:
        self._esp.calls.append("close")


def fake_factory(esps: Mapping[str, FakeEsp]) -> Callable[[Account, EspSecret], FakeClient]:
    """A client factory serving each account from its FakeEsp."""

    def factory(account: Account, secret: EspSecret) -> FakeClient:
        return FakeClient(account.ref(), esps[account.name])

    return factory


@dataclass
class FakeFactory:
    """`fake_factory` as an object that pickles (a scan in a child process gets a copy)."""

    esps: dict[str, FakeEsp]

    def __call__(self, account: Account, secret: EspSecret) -> FakeClient:
        return FakeClient(account.ref(), self.esps[account.name])


class RaisingKeyring:
    """A keyring backend whose every call raises `error` (locked, D-Bus failures, bugs: third-party
    backends raise anything)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


def no_backend() -> object:
    """keyring's own "no backend" stand-in: every call raises NoKeyringError."""
    return keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]  # keyring is unannotated


class MemoryKeyring:
    """A keyring backend in memory (never the system's)."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self.secrets = dict(secrets or {})

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop(username, None)


def store_with(secrets: Mapping[str, str]) -> CredentialStore:
    """A credential store whose keyring holds `secrets` and whose environment is empty."""
    return CredentialStore(environ={}, keyring_backend=MemoryKeyring(secrets))
