"""The architecture's dependency rules, checked by importing each package in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

from tests.support.data import REPO

ROOT = REPO

FORBIDDEN = {
    "checks": ("textual", "tui", "esp_clients"),
    "esp_clients": ("textual", "tui", "checks"),
}


def modules_of(package: str) -> list[str]:
    """Every module of a top-level package, by dotted name."""
    names = [package]
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        names.append(info.name)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_core_packages_never_import_the_ui_or_each_other(package: str) -> None:
    forbidden = FORBIDDEN[package]
    script = (
        "import importlib, sys\n"
        f"for name in {modules_of(package)!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{package} pulled in: {result.stdout.strip()}"


def test_the_check_finds_a_violation() -> None:
    script = "import checks.engine, tui.cli.main, sys; print('textual' in sys.modules or 'tui' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "True"
