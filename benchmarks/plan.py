"""What a benchmark run measures (`Plan`, and its seconds-long smoke version) and what it
collected (`Collected`), shared by the runs (`suite`) and the figures made of them (`figures`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.dashboard import DashboardFigures
from benchmarks.history import HistoryFigures
from benchmarks.network import BatchRun, Degraded
from benchmarks.runs import PeerRun, ScanRun

Log = Callable[[str], None]
PARTS = ("scans", "serial", "peers", "dashboard", "memory", "batch", "degraded")
"""What `python -m benchmarks --only` can select (every part when none is named)."""
BATCH_QUESTIONS = 20000
"""Questions of the batch-speed figure (`benchmarks/batch_child.py`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What to measure; `smoke()` is the seconds-long version `make test` runs."""

    sizes: tuple[int, ...] = (100, 1000, 10000)
    reference: int = 1000
    runs: int = 3
    delay: float = 0.05
    concurrency: int = 32
    serial: tuple[int, int] = (100, 200)
    dashboard_size: int = 1000
    presses: int = 200
    peer_domains: int = 1000
    memory_size: int = 10000
    warm_up: bool = True
    history_hosts: int = 10000
    history_scans: int = 8760
    """A year of hourly scans of the dashboard's fleet."""
    only: frozenset[str] = frozenset()
    batch_questions: int = BATCH_QUESTIONS

    def wants(self, part: str) -> bool:
        """Whether `part` (one of PARTS) is measured in this run."""
        return not self.only or part in self.only

    def parts_at(self, size: int) -> set[str]:
        """The selected parts that run in the world of `size` hosts."""
        parts = {"scans"} if self.wants("scans") else set()
        if size == self.reference:
            parts |= {part for part in ("serial", "peers", "degraded") if self.wants(part)}
            if "degraded" in parts:
                parts.add("scans")  # the clean run the broken networks are compared with
        if size == self.dashboard_size and self.wants("dashboard"):
            parts.add("dashboard")
        if size == self.memory_size and self.wants("memory"):
            parts.add("memory")
        return parts

    @classmethod
    def smoke(cls) -> Plan:
        """One run of everything, tiny where the size is free, 2 ms of delay."""
        return cls(
            sizes=(1000,), runs=1, delay=0.002, serial=(10, 20), dashboard_size=100,
            presses=5, peer_domains=100, memory_size=1000, warm_up=False,
            history_hosts=500, history_scans=24,
            batch_questions=2000,
        )  # fmt: skip


@dataclass(slots=True)
class Collected:
    """Every run made, by kind."""

    scans: dict[int, list[ScanRun]] = field(default_factory=dict)
    serial: dict[int, list[tuple[ScanRun, ScanRun]]] = field(default_factory=dict)
    dashboards: list[DashboardFigures] = field(default_factory=list)
    large_dashboard: DashboardFigures | None = None
    large_dashboard_load: float = 0.0
    dashboard_loads: list[float] = field(default_factory=list)
    peers: list[PeerRun] = field(default_factory=list)
    refusing: PeerRun | None = None
    history: HistoryFigures | None = None
    history_dashboard: DashboardFigures | None = None
    batches: list[BatchRun] = field(default_factory=list)
    one_socket_batches: list[BatchRun] = field(default_factory=list)
    """The same batch from one socket per address family (as before the pool of ports)."""
    degraded: Degraded = field(default_factory=Degraded)
    timeout: float = 0.0
