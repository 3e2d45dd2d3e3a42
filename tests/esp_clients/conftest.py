"""Fixtures of the ESP contract tests: Prism serving the test module's `SPEC`, and the wire log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.prism import Wire, prism_server


@pytest.fixture(scope="module")
def prism_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Prism on loopback serving the vendor spec named by the test module's `SPEC`."""
    spec: Path = request.module.SPEC
    with prism_server(spec) as url:
        yield url


@pytest.fixture
def wire() -> Wire:
    """Records each exchange and asks Prism for documented answers (`Prefer`)."""
    return Wire()
