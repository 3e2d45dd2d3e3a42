"""ESP APIs simulated in process, behind an `httpx.MockTransport`, for the demo and the tests.

Each `SimulatedEsp` is one account at one ESP, answering the documented request and response shapes
of that ESP's API (see the module of each ESP beside this one) from mutable `SimDomain` state: verify fixes a
domain, a certificate request turns pending and then active after some status reads, and the HTTPS
switch changes what the list shows. `SimulatedEsps` puts several accounts behind one transport and
makes the real ESP clients talk to them, so nothing touches the network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from esp_clients import make_client
from esp_clients.base import EspClient, EspSecret
from tui.sim.esp_apis import mailgun, mandrill, resend, sendgrid, ses, sparkpost
from tui.sim.esp_apis.click_profile import STEADY, ClickProfile
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, reason, utc_today

if TYPE_CHECKING:
    from tui.inventory.model import Account

__all__ = ["SHAPES", "SimDomain", "SimulatedEsp", "SimulatedEsps"]

SHAPES: Mapping[str, EspShape] = {
    shape.esp: shape
    for shape in (
        sendgrid.SHAPE,
        mailgun.SHAPE,
        sparkpost.SHAPE,
        mandrill.SHAPE,
        ses.SHAPE,
        resend.SHAPE,
    )
}
"""The simulated ESPs by name."""

SIM_SUFFIX = "sim.invalid"
"""Every simulated API lives under this reserved name, so a leak to the network cannot resolve."""


def _label(name: str) -> str:
    """`name` as one DNS label (lower case, other characters as dashes)."""
    label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return label[:63] or "account"


class SimulatedEsp:
    """One account at one simulated ESP: its domains' state and the API that serves them."""

    def __init__(
        self,
        esp: str,
        account: str,
        domains: Sequence[SimDomain],
        *,
        region: str = "",
        fail_with: int | None = None,
        latency: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clicks: ClickProfile | None = None,
        today: Callable[[], dt.date] = utc_today,
    ) -> None:
        shape = SHAPES.get(esp)
        if shape is None:
            raise ValueError(f"no simulated API for ESP {esp!r}; known: {sorted(SHAPES)}")
        self.esp = esp
        self.account = account
        self.region = region or shape.default_region
        self.fail_with = fail_with
        self.latency = latency
        self.calls: list[tuple[str, str]] = []
        self.host = f"{_label(account)}.{esp}.{SIM_SUFFIX}"
        self.base_url = f"https://{self.host}{shape.prefix}"
        self._shape = shape
        self._sleep = sleep
        self._lock = threading.Lock()
        profile = clicks or dataclasses.replace(STEADY, seed=account)
        self._state = SimState(
            esp=esp,
            account=account,
            region=self.region,
            domains=domains,
            clicks=profile,
            today=today,
        )
        self._fill_defaults()

    def __repr__(self) -> str:
        return f"SimulatedEsp(esp={self.esp!r}, account={self.account!r}, base={self.base_url!r})"

    @property
    def clicks(self) -> ClickProfile:
        """What the account counts per day."""
        return self._state.clicks

    @property
    def domains(self) -> tuple[SimDomain, ...]:
        """The simulated domains, in list order."""
        return tuple(self._state.domains)

    def domain(self, host: str) -> SimDomain:
        """The simulated domain of tracking host `host` (KeyError when there is none)."""
        found = self._state.by_host(host)
        if found is None:
            raise KeyError(f"{self.account} has no simulated domain {host!r}")
        return found

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the ESP would (the MockTransport handler)."""
        path = request.url.path
        if self._shape.prefix and path.startswith(self._shape.prefix):
            path = path[len(self._shape.prefix) :] or "/"
        with self._lock:
            self.calls.append((request.method, path))
        if self.latency > 0:
            self._sleep(self.latency)
        with self._lock:
            return self._answer(request, path)

    def _answer(self, request: httpx.Request, path: str) -> httpx.Response:
        if self.fail_with is not None:
            return self._shape.error(self.fail_with, reason(self.fail_with))
        if not self._shape.authorized(request, self._state):
            return self._shape.unauthorized(self._state)
        for candidate in self._shape.routes:
            params = candidate.match(request.method, path)
            if params is not None:
                return candidate.handle(self._state, request, params)
        return self._shape.error(404, "resource not found")

    def _fill_defaults(self) -> None:
        """Give every domain this ESP's default CNAME target and API id when it has none."""
        explicit = [d.esp_id.lower() for d in self._state.domains if d.esp_id is not None]
        seen = set(explicit)
        if len(seen) != len(explicit):
            raise ValueError(f"{self.esp} account {self.account}: two domains share an esp_id")
        for index, domain in enumerate(self._state.domains):
            if domain.expected_target is None:
                domain.expected_target = self._shape.default_target(self.region)
            if domain.esp_id is None:
                domain.esp_id = self._shape.default_id(domain, index, self.account, frozenset(seen))
                if domain.esp_id.lower() in seen:
                    raise ValueError(
                        f"{self.esp} account {self.account}: {domain.host} would be called "
                        f"{domain.esp_id!r} by the API like another domain; give it an esp_id"
                    )
                seen.add(domain.esp_id.lower())


class SimulatedEsps:
    """Several simulated accounts behind one transport, routed by the request's host."""

    def __init__(self, esps: Sequence[SimulatedEsp]) -> None:
        self._by_host: dict[str, SimulatedEsp] = {}
        self._by_account: dict[str, SimulatedEsp] = {}
        for esp in esps:
            if esp.account in self._by_account or esp.host in self._by_host:
                raise ValueError(f"account {esp.account!r} is simulated twice")
            self._by_host[esp.host] = esp
            self._by_account[esp.account] = esp
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> SimulatedEsps:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def esps(self) -> tuple[SimulatedEsp, ...]:
        """Every simulated account."""
        return tuple(self._by_account.values())

    def esp(self, account: str) -> SimulatedEsp:
        """The simulated ESP of inventory account `account` (KeyError when there is none)."""
        return self._by_account[account]

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Route a request to the account whose base URL it names; unknown hosts do not resolve."""
        esp = self._by_host.get(request.url.host)
        if esp is None:
            raise httpx.ConnectError(f"{request.url.host} does not resolve", request=request)
        return esp.handler(request)

    def transport(self) -> httpx.MockTransport:
        """A transport answering every simulated account."""
        return httpx.MockTransport(self.handler)

    def http_client(self) -> httpx.Client:
        """The one httpx client (over `transport()`) that every simulated ESP client shares."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(transport=self.transport())
            return self._client

    def client_factory(
        self, *, sleep: Callable[[float], None] = time.sleep
    ) -> Callable[[Account, EspSecret], EspClient]:
        """Make the real ESP client of an inventory account, pointed at its simulated API."""

        def factory(account: Account, secret: EspSecret) -> EspClient:
            esp = self._by_account.get(account.name)
            if esp is None or esp.esp != account.esp:
                raise ValueError(f"no simulated {account.esp} API for account {account.name!r}")
            ref = dataclasses.replace(
                account.ref(), api_base=esp.base_url, region=account.region or esp.region
            )
            return make_client(ref, secret, http_client=self.http_client(), sleep=sleep)

        return factory

    def close(self) -> None:
        """Close the shared httpx client."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
