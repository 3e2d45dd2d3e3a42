"""Regenerate the README's screenshots from the demo fleet: `python -m tui.app.screenshots [DIR]`
(`make screenshots`). Deterministic: a fixed clock, the simulated world, no cursor blink."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from tui.app.app import TrackdeckApp
from tui.app.demo import demo_session
from tui.app.screens.fleet import FleetScreen
from tui.app.session import Session

FIXED_CLOCK = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)

Steps = Callable[[Pilot[None]], Awaitable[None]]


async def wait_for_scan(pilot: Pilot[None]) -> None:
    """Wait until the dashboard's current scan has finished and been recorded in the history
    (at most ~30 s)."""
    app = pilot.app
    for _ in range(600):
        await pilot.pause(0.05)
        screen = next((s for s in app.screen_stack if isinstance(s, FleetScreen)), None)
        recording = any(w.group == "history" and not w.is_finished for w in app.workers)
        finished = screen is not None and screen.finished_at is not None and not screen.scanning
        if finished and not recording:
            await pilot.pause(0.05)  # the posted histories are drawn
            return
    raise TimeoutError("the demo scan did not finish")


async def _select(pilot: Pilot[None], host: str) -> None:
    await pilot.press("slash", *host, "enter")


async def _main(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)


async def _detail(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await _select(pilot, "go.driftwood")
    await pilot.press("enter")
    await pilot.pause(0.2)


async def _clicks(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await _select(pilot, "links.lumen")
    await pilot.press("enter", "down")
    await pilot.pause(0.2)


async def _https(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await _select(pilot, "email.bluebell")
    await pilot.press("h")
    for _ in range(100):
        await pilot.pause(0.05)
        if "Preflight" in str(pilot.app.screen.query("#action-text").first().render()):
            return


async def _help(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await pilot.press("question_mark")
    await pilot.pause(0.2)


async def _history(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await _select(pilot, "go.juniper")
    await pilot.press("enter")
    await _settle(pilot, "timeline")


async def _expiry(pilot: Pilot[None]) -> None:
    await wait_for_scan(pilot)
    await pilot.press("x")
    await _settle(pilot, "expiry")


async def _settle(pilot: Pilot[None], group: str) -> None:
    """Wait until the screen's worker of `group` has posted its answer (at most ~5 s)."""
    await pilot.pause(0.1)  # the screen is mounted and its worker started
    for _ in range(100):
        await pilot.pause(0.05)
        if not any(w.group == group and not w.is_finished for w in pilot.app.workers):
            await pilot.pause(0.1)  # the posted answer is drawn
            return
    raise TimeoutError(f"the {group} worker did not finish")


SHOTS: tuple[tuple[str, tuple[int, int], Steps], ...] = (
    ("fleet", (120, 36), _main),
    ("fleet-80x24", (80, 24), _main),
    ("detail", (120, 36), _detail),
    ("clicks", (120, 36), _clicks),
    ("https-confirm", (120, 36), _https),
    ("help", (100, 32), _help),
    ("history", (120, 36), _history),
    ("expiry", (110, 30), _expiry),
)


async def shoot(
    session: Session, name: str, size: tuple[int, int], steps: Steps, out: Path
) -> Path:
    """Run the dashboard at `size`, play `steps`, save `out/name.svg`."""
    app = TrackdeckApp(session)
    async with app.run_test(size=size) as pilot:
        await steps(pilot)
        path = Path(app.save_screenshot(f"{name}.svg", str(out)))
    return path


def main(argv: list[str] | None = None) -> int:
    """Write every screenshot into DIR (default: screenshots/)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as state:
        for name, size, steps in SHOTS:
            with demo_session(audit_path=Path(state) / "audit.jsonl", poll_interval=0.2) as (
                session,
                _world,
                _esps,
            ):
                fixed = dataclasses.replace(session, clock=lambda: FIXED_CLOCK)
                path = asyncio.run(shoot(fixed, name, size, steps, out))
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
