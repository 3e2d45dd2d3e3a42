"""Shared fixtures: the loopback DNS world and a CheckContext wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.context import CheckContext
from tests.support.worlds import DnsWorld, dns_world


@pytest.fixture
def world() -> Iterator[DnsWorld]:
    """A fresh resolver + authoritative server pair over the test zones."""
    with dns_world() as started:
        yield started


@pytest.fixture
def ctx(world: DnsWorld) -> CheckContext:
    """A CheckContext that asks only the loopback world (TLS connections refused)."""
    return world.context()
