"""Everything the dashboard works with, assembled once and free of Textual: the inventory, how to
reach the network, credentials, ESP clients, the audit log and the read-only switch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from checks.context import CheckContext, WallClock, utc_now
from tui.actions.journal import AuditLog
from tui.fleet.esp_accounts import ClientFactory
from tui.fleet.network import REAL_NETWORK, Environment, NetworkOptions, build_context
from tui.fleet.rows import FleetRow, pending_rows
from tui.fleet.scan import FleetScan
from tui.history.model import ScannedHost
from tui.inventory.credentials import CredentialStore
from tui.inventory.model import Inventory

if TYPE_CHECKING:
    from tui.actions.writes import Actions
    from tui.fleet.child import FleetInChild

FleetScanning: TypeAlias = "FleetScan | FleetInChild"
"""A running fleet scan, in this process or in a child (the same rows / run / cancel)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """The dashboard's services; the screens ask it for scans and never build I/O themselves."""

    inventory: Inventory
    options: NetworkOptions
    environment: Environment = REAL_NETWORK
    store: CredentialStore = field(default_factory=CredentialStore)
    client_factory: ClientFactory | None = None
    audit: AuditLog = field(default_factory=AuditLog)
    read_only: bool = False
    title: str = "trackdeck"
    refresh_interval: float = 0.0
    poll_interval: float = 5.0
    clock: WallClock = utc_now
    context_factory: Callable[[], CheckContext] | None = None
    scan_in_child: bool = False
    """Run fleet scans in a child process (see `tui.fleet.child`), keeping this one for the UI."""
    history: Path | None = None
    """The scan history file (None: no history kept)."""
    history_seed: Callable[[Path, Sequence[ScannedHost], dt.datetime], bool] | None = None
    """Writes a past into an empty history before the first scan is recorded (the demo)."""

    def context(self) -> CheckContext:
        """A fresh CheckContext (each scan gets its own answer cache)."""
        if self.context_factory is not None:
            return self.context_factory()
        return build_context(self.options, self.environment)

    def pending_rows(self) -> tuple[FleetRow, ...]:
        """Every inventory row, pending (no I/O, and none of the engine: the first frame's rows)."""
        return pending_rows(self.inventory)

    def actions(self) -> Actions:
        """The write actions (verify, HTTPS), refusing everything in read-only mode."""
        from tui.actions.writes import Actions  # noqa: PLC0415 - loaded after the first frame

        return Actions(
            self.inventory,
            self.context(),
            self.store,
            self.audit,
            client_factory=self.client_factory,
            read_only=self.read_only,
            poll_interval=self.poll_interval,
        )

    def fleet_scan(self, only_keys: Sequence[str] = ()) -> FleetScanning:
        """A new scan of the fleet, or of some rows only (re-check): in a child process when the
        session asks for it, the scan is large enough and what it needs can cross to a child."""
        from tui.fleet.child import MIN_ROWS, FleetInChild, can_isolate  # noqa: PLC0415 - as actions

        if (
            self.scan_in_child
            and (len(only_keys) if only_keys else len(self.inventory.entries)) >= MIN_ROWS
            and can_isolate(self.environment, self.client_factory)
        ):
            return FleetInChild(  # this process builds no CheckContext: dnspython stays unloaded
                self.inventory,
                only_keys=only_keys,
                options=self.options,
                environment=self.environment,
                store=self.store,
                client_factory=self.client_factory,
            )
        return FleetScan(
            self.inventory,
            self.context(),
            self.store,
            client_factory=self.client_factory,
            concurrency=self.options.concurrency,
            only_keys=only_keys,
            today=self.clock().astimezone(dt.UTC).date(),
        )
