"""Fixtures of the check tests: a test CA shared by a module's TLS worlds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tui.sim.certificates import TestCertificates


@pytest.fixture(scope="module")
def certificates() -> Iterator[TestCertificates]:
    """A trusted and a rogue CA, with the trusted one's bundle on disk, for one test module."""
    certs = TestCertificates()
    yield certs
    certs.cleanup()
