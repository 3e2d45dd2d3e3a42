"""Shared fixtures: the loopback DNS world and a CheckContext wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.context import CheckContext
from tests.support.worlds import DnsWorld, dns_world


@pytest.fixture(autouse=True)
def private_directories(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own state and config directories: no test reads or writes the user's
    history, audit log, crash files or inventory (a test may still point them elsewhere)."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("TRACKDECK_INVENTORY", raising=False)


@pytest.fixture
def world() -> Iterator[DnsWorld]:
    """A fresh resolver + authoritative server pair over the test zones."""
    with dns_world() as started:
        yield started


@pytest.fixture
def ctx(world: DnsWorld) -> CheckContext:
    """A CheckContext that asks only the loopback world (TLS connections refused)."""
    return world.context()
