"""Everything the dashboard works with, assembled once and free of Textual: the inventory, how to
reach the network, credentials, ESP clients, the audit log and the read-only switch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from checks.context import CheckContext, WallClock, utc_now
from tui.actions import Actions
from tui.audit import AuditLog
from tui.credentials import CredentialStore
from tui.fleet import ClientFactory, FleetScan
from tui.inventory import Inventory
from tui.netconfig import REAL_NETWORK, Environment, NetworkOptions, build_context
from tui.scan_process import ProcessScanner


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
    """Run fleet scans in a child process (see `tui.scan_process`), keeping this one for the UI."""

    def context(self) -> CheckContext:
        """A fresh CheckContext (each scan gets its own answer cache)."""
        if self.context_factory is not None:
            return self.context_factory()
        return build_context(self.options, self.environment)

    def actions(self) -> Actions:
        """The write actions (verify, HTTPS), refusing everything in read-only mode."""
        return Actions(
            self.inventory,
            self.context(),
            self.store,
            self.audit,
            client_factory=self.client_factory,
            read_only=self.read_only,
            poll_interval=self.poll_interval,
        )

    def fleet_scan(self, only_keys: Sequence[str] = ()) -> FleetScan:
        """A new scan of the fleet, or of some rows only (re-check)."""
        return FleetScan(
            self.inventory,
            self.context(),
            self.store,
            client_factory=self.client_factory,
            concurrency=self.options.concurrency,
            only_keys=only_keys,
            scanner=ProcessScanner(self.options, self.environment) if self.scan_in_child else None,
        )
