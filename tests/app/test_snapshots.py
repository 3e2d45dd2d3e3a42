"""Snapshot baselines of the main screens on the demo fleet (fixed clock, simulated world).

Update them with `pytest tests/app/test_snapshots.py --snapshot-update` after a deliberate UI change,
and look at the report before committing the new SVGs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui.app.app import TrackdeckApp
from tui.app.demo import demo_session
from tui.app.screenshots import FIXED_CLOCK, wait_for_scan
from tui.app.session import Session

SnapCompare = Callable[..., bool]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Session]:
    with demo_session(audit_path=tmp_path / "audit.jsonl") as (session, _world, _esps):
        yield dataclasses.replace(session, clock=lambda: FIXED_CLOCK)


async def _help(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.1)


async def _lumen(pilot: Pilot[None]) -> None:
    """The details of the demo's one click-rate drop, the drop highlighted (its dates follow the
    session's fixed clock)."""
    await wait_for_scan(pilot)
    await pilot.press("slash", *"links.lumen", "enter", "enter", "down")
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_fleet_screen(snap_compare: SnapCompare, demo: Session, size: tuple[int, int]) -> None:
    assert snap_compare(TrackdeckApp(demo), terminal_size=size, run_before=wait_for_scan)


def test_help_screen(snap_compare: SnapCompare, demo: Session) -> None:
    assert snap_compare(TrackdeckApp(demo), terminal_size=(100, 32), run_before=_help)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_detail_with_the_click_signal(
    snap_compare: SnapCompare, demo: Session, size: tuple[int, int]
) -> None:
    assert snap_compare(TrackdeckApp(demo), terminal_size=size, run_before=_lumen)
