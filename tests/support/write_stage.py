"""The stage of the write-safety tests: one simulated Mailgun account whose API can be made to fail
mid-flow, the loopback DNS world, an audit log, and the re-scan that says what trackdeck reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from checks.model import Severity
from tests.support.fakes import MemoryKeyring
from tests.support.worlds import DnsWorld
from tui.actions.journal import AuditLog
from tui.actions.writes import Actions
from tui.fleet.scan import FleetScan
from tui.inventory.credentials import CredentialStore
from tui.inventory.load import load_inventory
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps

HOST = "links-mg.brand.example"
ACCOUNT = "acme-mg"
KEY = "write-safety-key"
Fault = Callable[[httpx.Request, SimDomain], httpx.Response | None]


class FaultySims(SimulatedEsps):
    """The simulated ESPs, with a fault consulted before each request reaches them."""

    fault: Fault | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The fault's answer (or exception) when it has one, else the simulation's."""
        if self.fault is not None:
            answer = self.fault(request, self.esp(ACCOUNT).domain(HOST))
            if answer is not None:
                return answer
        return super().handler(request)


def no_sleep(_seconds: float) -> None:
    """Retries do not wait here (certificate polls use the stage's short interval)."""


@dataclass
class Stage:
    """One Mailgun account with HOST (verified, HTTPS off), the DNS world and an audit log."""

    world: DnsWorld
    esps: FaultySims
    path: Path
    audit: AuditLog
    store: CredentialStore = field(
        default_factory=lambda: CredentialStore(environ={}, keyring_backend=MemoryKeyring())
    )

    @property
    def domain(self) -> SimDomain:
        return self.esps.esp(ACCOUNT).domain(HOST)

    def write_inventory(self, api_base: str = "https://unused.invalid", extra: str = "") -> Path:
        inventory = self.path / "inventory.toml"
        inventory.write_text(
            f'[settings]\nresolvers = ["127.0.0.1:{self.world.resolver.port}"]\ntimeout = 0.3\n'
            f"blocklists = false\n{extra}\n"
            f'[accounts.{ACCOUNT}]\nesp = "mailgun"\napi_base = "{api_base}"\n\n'
            f'[[brands]]\nname = "Brand"\ntracking = [{{ host = "{HOST}", account = "{ACCOUNT}" }}]\n'
        )
        return inventory

    def actions(self, **changes: object) -> Actions:
        options: dict[str, object] = {"sleep": no_sleep, "poll_interval": 0.01}
        options.update(changes)
        return Actions(
            load_inventory(self.write_inventory()),
            self.world.context(),
            CredentialStore(environ={"TRACKDECK_SECRET_ACME_MG": KEY}),
            self.audit,
            client_factory=self.esps.client_factory(sleep=no_sleep),
            **options,  # type: ignore[arg-type]  # Actions' keyword arguments, checked by the call
        )

    def rescan(self) -> dict[str, Severity]:
        """HOST's ESP findings from a fresh fleet scan: what trackdeck now reports."""
        self.esps.fault = None
        inventory = load_inventory(self.write_inventory())
        store = CredentialStore(environ={"TRACKDECK_SECRET_ACME_MG": KEY})
        factory = self.esps.client_factory(sleep=no_sleep)
        fleet = FleetScan(inventory, self.world.context(), store, client_factory=factory)
        (row,) = [row for row in fleet.run() if row.host == HOST]
        return {f.code: f.severity for f in row.esp_findings}

    def steps(self) -> list[tuple[str, str]]:
        return [(entry.action, entry.result) for entry in self.audit.entries()]


@contextmanager
def staged(world: DnsWorld, tmp_path: Path) -> Iterator[Stage]:
    """HOST verified with HTTPS off and no certificate; certificates issue after one poll."""
    domain = SimDomain(host=HOST, https=False, certificate="none", polls_until_active=1)
    esps = FaultySims([SimulatedEsp("mailgun", ACCOUNT, [domain])])
    with esps:
        yield Stage(world, esps, tmp_path, AuditLog(tmp_path / "state" / "audit.jsonl"))


HTTPS_OFF = {"esp.https_off": Severity.WARN}
