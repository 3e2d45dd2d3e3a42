"""The demo fleet as a dashboard session: the simulated world and its ESP accounts (`tui.sim`),
with the dashboard's services over them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui.actions.journal import AuditLog
from tui.app.demo_history import seed
from tui.app.session import Session
from tui.inventory.load import parse_inventory
from tui.sim.demo import DEMO_INVENTORY, DemoWorld, demo_world
from tui.sim.demo_esps import demo_store, simulated_esps
from tui.sim.esp_apis.simulated import SimulatedEsps


@contextmanager
def demo_session(
    *, read_only: bool = False, audit_path: Path, poll_interval: float = 1.0
) -> Iterator[tuple[Session, DemoWorld, SimulatedEsps]]:
    """Start the demo world and its ESPs; yield the dashboard session over them, with a history of
    its own (seeded with four simulated weeks when its first scan is recorded)."""
    with (
        demo_world() as world,
        simulated_esps() as esps,
        tempfile.TemporaryDirectory(prefix="trackdeck-demo-") as scratch,
    ):
        session = Session(
            inventory=parse_inventory(DEMO_INVENTORY.read_text(), path=str(DEMO_INVENTORY)),
            options=world.options(),
            environment=world.environment,
            store=demo_store(),
            client_factory=esps.client_factory(),
            audit=AuditLog(audit_path),
            read_only=read_only,
            title="trackdeck demo · simulated world, nothing leaves this machine",
            poll_interval=poll_interval,
            context_factory=world.context,
            history=Path(scratch) / "history.sqlite",
            history_seed=seed,
        )
        yield session, world, esps
