"""The dashboard session a child process builds over a started benchmark world: the generated
inventory, a dialer that reaches only the world's loopback TLS servers, and the real ESP clients
pointed at the world's simulated ESP APIs (every listed host verified with HTTPS on), so nothing
leaves the machine."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from esp_clients import EspClient, EspSecret, make_client
from tui.actions.journal import AuditLog
from tui.app.session import Session
from tui.fleet.network import Environment, NetworkOptions
from tui.inventory.credentials import CredentialStore, env_var_name
from tui.inventory.load import parse_inventory
from tui.inventory.model import Account, Inventory
from tui.sim.demo_esps import offline_store


@dataclass(frozen=True, slots=True)
class LoopbackDialer:
    """Connects the world's public addresses to their loopback TLS servers; refuses the rest."""

    ports: dict[str, int]

    def __call__(self, address: str, port: int, timeout: float) -> socket.socket:
        target = self.ports.get(address) if port == 443 else None
        if target is None:
            raise ConnectionRefusedError(f"connection to {address} port {port} refused")
        return socket.create_connection(("127.0.0.1", target), timeout=timeout)


def load_info(path: Path) -> dict[str, object]:
    """The world's description written by `bench_world`."""
    info: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return info


class WorldEsps:
    """Real ESP clients pointed at the world's simulated APIs (served over loopback HTTP); it
    pickles, so that the dashboard's scan child reads the lists itself, as it does for real."""

    def __init__(self, apis: dict[str, dict[str, str]], timeout: float) -> None:
        self.apis = apis
        self.timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        return {"apis": self.apis, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, object]) -> None:
        apis, timeout = state["apis"], state["timeout"]
        assert isinstance(apis, dict) and isinstance(timeout, float)
        self.apis, self.timeout = apis, timeout
        self._client, self._lock = None, threading.Lock()

    def __call__(self, account: Account, secret: EspSecret) -> EspClient:
        api = self.apis.get(account.name)
        if api is None:
            raise ValueError(f"no simulated {account.esp} API for account {account.name!r}")
        ref = dataclasses.replace(
            account.ref(), api_base=api["base"], region=account.region or api["region"]
        )
        with self._lock:  # one connection pool for every account, as the real factory shares one
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
        return make_client(ref, secret, http_client=self._client)


def fake_store(inventory: Inventory) -> CredentialStore:
    """Fake API keys for every account, in an environment of their own (no keyring, no AWS chain)."""
    environ = {
        env_var_name(account.name): (
            "BENCH-ACCESS-KEY-ID:bench-secret" if account.esp == "ses" else f"bench-{account.name}"
        )
        for account in inventory.accounts
    }
    return offline_store(environ)


def _no_dqs_key() -> str | None:
    """The benchmark's lists need no Spamhaus DQS key (and it never reads the user's keyring)."""
    return None


@contextmanager
def bench_session(
    info_path: Path,
    *,
    concurrency: int,
    audit: Path,
    scan_in_child: bool,
    resolvers: tuple[str, ...] = (),
) -> Iterator[Session]:
    """The session over the world described at `info_path`, scanning at `concurrency`; the
    dashboard scans in a child process (`scan_in_child`), the headless scan in its own process;
    `resolvers` instead of the world's (a dead one, for the degraded-network figures)."""
    info = load_info(info_path)
    inventory_path = Path(str(info["inventory"]))
    inventory = parse_inventory(
        inventory_path.read_text(encoding="utf-8"), path=str(inventory_path)
    )
    settings = inventory.settings
    options = NetworkOptions(
        resolvers=resolvers or settings.resolvers,
        blocklist_resolvers=resolvers or settings.resolvers,
        ca_bundle=settings.ca_bundle,
        timeout=settings.timeout,
        concurrency=concurrency,
    )
    tls_ports = info["tls_ports"]
    assert isinstance(tls_ports, dict)
    ports = {str(key): int(str(value)) for key, value in tls_ports.items()}
    environment = Environment(
        dialer=LoopbackDialer(ports),
        authoritative_port=int(str(info["authoritative_port"])),
        dqs_key=_no_dqs_key,
    )
    apis = info["esp_apis"]
    assert isinstance(apis, dict)
    yield Session(
        inventory=inventory,
        options=options,
        environment=environment,
        store=fake_store(inventory),
        client_factory=WorldEsps(apis, float(settings.timeout)),
        audit=AuditLog(audit),
        read_only=True,
        title=f"trackdeck benchmark · {len(inventory.entries)} hosts",
        scan_in_child=scan_in_child,
    )
