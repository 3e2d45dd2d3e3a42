"""The base class of the ESP clients, and the capability checks they share.

`ApiClient` owns what every client would otherwise repeat: the constructor the registry calls, the
region check against the registry, the `HttpApi` set-up, `explain()`, `close()` and a `repr` that
never shows a secret. An ESP module keeps only what is its own (paths, JSON shapes, auth, the
reasons it cannot do something) and fills the small hooks below.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar, cast

from esp_clients.base import (
    AccountRef,
    AwsCredentials,
    Capability,
    CertificateState,
    EspClient,
    EspSecret,
    TrackingDomain,
    Unsupported,
)
from esp_clients.engagement import ACCOUNT_SCOPE, ClickScope, ClickSeries, ClickTracking
from esp_clients.errors import EspAuthError, EspUnsupported
from esp_clients.http import ErrorKind, ErrorMessage, HttpApi
from esp_clients.redaction import insecure_api_problem, without_userinfo
from esp_clients.registry import ENTRIES

if TYPE_CHECKING:
    import ssl

    import httpx

S = TypeVar("S", str, AwsCredentials)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorDialect:
    """How an ESP's error answers read: the message in its body, the statuses its own error names
    turn into, and the header naming the error type (see `HttpApi`)."""

    message: ErrorMessage | None = None
    kind: ErrorKind | None = None
    type_header: str | None = None


class ApiClient(Generic[S]):
    """One account at one ESP, over the shared transport; `S` is the secret the ESP takes.

    Subclasses set the class attributes and override the hooks their ESP needs.
    """

    esp: ClassVar[str]
    """The ESP's name in the registry, which gives its regions (default first)."""
    name: ClassVar[str]
    """The ESP as users see it; the label adds a region other than the default ("SendGrid EU")."""
    bases: ClassVar[Mapping[str, str]] = {}
    """The API's base URL per region ("" for an ESP with one host); `api_base` overrides it."""
    unsupported: ClassVar[Mapping[Capability, str]] = {}
    """Why the ESP's API cannot do each capability it lacks; every other one it can."""
    dialect: ClassVar[ErrorDialect] = ErrorDialect()
    """How the ESP's error answers read; the default reads the common shapes."""
    region_error: ClassVar[str] = "{name} region must be one of {names}, not {region!r}"
    """The ValueError text for an unknown region: `{region}` as defaulted, `{given}` as written."""

    def __init__(
        self,
        account: AccountRef,
        secret: EspSecret,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        entry = ENTRIES[self.esp]
        self.account = account
        self.region = self.region_of(account)
        self.label = self.label_for(self.region)
        self.capabilities = frozenset(c for c in Capability if c not in self.unsupported)
        credential = self.credential(secret)
        if (entry.regions or entry.aws_regions) and not entry.accepts(self.region):
            names = sorted(entry.regions)
            text = self.region_error.format(
                name=self.name, names=names, region=self.region, given=account.region
            )
            raise ValueError(text)
        self._credential: S = credential
        base_url = account.api_base or self.base_url(self.region)
        insecure = insecure_api_problem(base_url, allowed=account.allow_insecure_api)
        if insecure is not None:
            raise ValueError(f"{self.name} api_base {without_userinfo(base_url)}: {insecure}")
        self._api = HttpApi(
            account=account,
            label=self.label,
            base_url=base_url,
            auth=self.auth(credential),
            headers={"Accept": "application/json", **self.headers(credential)},
            client=http_client,
            sleep=sleep,
            clock=clock,
            secrets=self.secrets(credential),
            error_message=self.dialect.message,
            error_kind=self.dialect.kind,
            error_type_header=self.dialect.type_header,
            tls=tls,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account={self.account.name!r}, label={self.label!r})"

    def region_of(self, account: AccountRef) -> str:
        """The account's region, the registry's default when it names none ("" without regions)."""
        entry = ENTRIES[self.esp]
        if entry.aws_regions:
            return account.region
        if not entry.regions:
            return ""
        return account.region or entry.regions[0]

    def label_for(self, region: str) -> str:
        """The ESP's name, with the region in capitals when it is a known, non-default one."""
        regions = ENTRIES[self.esp].regions
        return f"{self.name} {region.upper()}" if region in regions[1:] else self.name

    def base_url(self, region: str) -> str:
        """The API's base URL in `region`."""
        return self.bases[region]

    def credential(self, secret: EspSecret) -> S:
        """The secret as this ESP takes it; EspAuthError when it is the wrong kind."""
        raise NotImplementedError

    def secrets(self, credential: S) -> tuple[str, ...]:
        """Every string of `credential` that must never appear in a message or a log."""
        raise NotImplementedError

    def auth(self, credential: S) -> httpx.Auth | None:
        """The httpx authentication of each request, if the ESP uses one."""
        return None

    def headers(self, credential: S) -> Mapping[str, str]:
        """Headers every request carries besides `Accept` (the key, a subuser…)."""
        return {}

    def explain(self, capability: Capability) -> Unsupported | None:
        """Why this ESP's API cannot do `capability`, or None when it can."""
        reason = self.unsupported.get(capability)
        return None if reason is None else Unsupported(capability=capability, reason=reason)

    def click_scope(self, domain: TrackingDomain) -> ClickScope:
        """The account: most ESPs count clicks per account (or subuser / subaccount)."""
        return ACCOUNT_SCOPE

    def click_series(self, domain: TrackingDomain, start: dt.date, end: dt.date) -> ClickSeries:
        """Unsupported unless the ESP's module reads its statistics (its click mixin)."""
        raise unsupported_error(cast("EspClient", self), Capability.CLICK_STATS)

    def click_tracking(self, domain: TrackingDomain) -> ClickTracking:
        """Unsupported unless the ESP's module reads its click-tracking setting."""
        raise unsupported_error(cast("EspClient", self), Capability.CLICK_TRACKING)

    def close(self) -> None:
        """Release the HTTP connections (an injected `httpx.Client` stays open)."""
        self._api.close()


class ApiKeyClient(ApiClient[str]):
    """A client whose ESP takes one API key; AWS credentials given to it are a setup mistake."""

    def credential(self, secret: EspSecret) -> str:
        """The secret as an API key."""
        if isinstance(secret, str):
            return secret
        raise EspAuthError(
            "this ESP needs an API key, not AWS credentials",
            esp=self.label,
            account=self.account.name,
        )

    def secrets(self, credential: str) -> tuple[str, ...]:
        """The key itself."""
        return (credential,)


def require(client: EspClient, capability: Capability) -> None:
    """Raise EspUnsupported (with the explain() reason) unless `client` supports `capability`."""
    unsupported = client.explain(capability)
    if unsupported is not None:
        raise EspUnsupported.from_unsupported(
            unsupported, esp=client.label, account=client.account.name
        )


def unsupported_error(client: EspClient, capability: Capability) -> EspUnsupported:
    """The EspUnsupported a client raises for `capability`, with its explain() reason."""
    unsupported = client.explain(capability) or Unsupported(
        capability=capability, reason=f"{client.label}'s client does not offer this"
    )
    return EspUnsupported.from_unsupported(
        unsupported, esp=client.label, account=client.account.name
    )


class WithoutHttpsCalls:
    """Mixin for ESPs whose API has neither certificate calls nor an HTTPS switch: each such call
    raises EspUnsupported with the client's own explain() reason."""

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: this ESP's API has no certificate call."""
        raise unsupported_error(cast("EspClient", self), Capability.CERTIFICATE)

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: this ESP's API reports no certificate state."""
        raise unsupported_error(cast("EspClient", self), Capability.CERTIFICATE)

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Unsupported: this ESP's API cannot switch HTTPS."""
        capability = Capability.HTTPS_ENABLE if enabled else Capability.HTTPS_DISABLE
        raise unsupported_error(cast("EspClient", self), capability)
