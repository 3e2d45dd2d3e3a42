"""The architecture's dependency rules: which room may import which, no import circle anywhere
(late imports and `if TYPE_CHECKING:` imports included), Textual only in the dashboard.

Rooms are the two core packages and the subpackages of `tui`; the picture (top to bottom) is in the
README's "How the code is organised". The static check reads every module's imports from its
syntax tree; a second check imports the rooms in a fresh interpreter, for what syntax cannot show.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.data import REPO

PACKAGES = ("checks", "esp_clients", "tui")
CORE = frozenset({"checks", "esp_clients"})
BELOW_FLEET = CORE | {"tui.inventory", "tui.report"}
FEATURES = BELOW_FLEET | {"tui.fleet", "tui.actions", "tui.email", "tui.sim", "tui.history"}

ALLOWED: Mapping[str, frozenset[str]] = {
    "checks": frozenset(),
    "esp_clients": frozenset(),
    "tui.report": frozenset({"checks"}),
    "tui.inventory": CORE,
    "tui.fleet": BELOW_FLEET,
    "tui.actions": BELOW_FLEET | {"tui.fleet"},
    "tui.email": BELOW_FLEET | {"tui.fleet"},
    "tui.sim": BELOW_FLEET | {"tui.fleet"},
    "tui.history": BELOW_FLEET | {"tui.fleet"},
    "tui.app": FEATURES,
    "tui.cli": FEATURES | {"tui.app"},
    "tui": frozenset({"tui.cli"}),
}
"""Each room and the rooms it may import (its own modules always)."""

TEXTUAL_ROOMS = frozenset({"tui.app"})
"""The only room that may import Textual."""


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, resolved to a module of the tree."""

    source: str
    target: str
    line: int


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the project's packages under `root`, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def room_of(module: str) -> str:
    """`checks`, `esp_clients`, `tui` (its entry files) or `tui.<subpackage>`."""
    parts = module.split(".")
    if parts[0] != "tui" or len(parts) == 1:
        return parts[0]
    return "tui" if parts[1] in ("__main__",) else f"tui.{parts[1]}"


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> Iterator[Import]:
    """Every import of `module` (at any depth of its code) that names a module of the tree."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _resolved(module, alias.name, modules, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                name = candidate if candidate in modules else base
                yield from _resolved(module, name, modules, node.lineno)


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (level - 1)]
    return ".".join([*anchor, name] if name else anchor)


def _resolved(source: str, name: str, modules: Mapping[str, Path], line: int) -> Iterator[Import]:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    if name and name != source:
        yield Import(source=source, target=name, line=line)


def third_party_imports(path: Path) -> Iterator[tuple[str, int]]:
    """The top-level names of every import in a file (to find Textual outside the dashboard)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def violations(root: Path) -> list[str]:
    """Every broken rule in the tree at `root`, as readable lines (empty: the house is in order)."""
    modules = module_files(root)
    found: list[str] = []
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        room = room_of(module)
        for edge in imports_of(module, path, modules):
            graph[module].add(edge.target)
            target_room = room_of(edge.target)
            if target_room != room and target_room not in ALLOWED.get(room, frozenset()):
                found.append(
                    f"{path.relative_to(root)}:{edge.line}: {room} may not import {target_room} "
                    f"({edge.target})"
                )
        if room not in TEXTUAL_ROOMS:
            for name, line in third_party_imports(path):
                if name == "textual":
                    found.append(f"{path.relative_to(root)}:{line}: only tui.app imports textual")
    found.extend(f"import circle: {' -> '.join(cycle)}" for cycle in circles(graph))
    return found


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append([*sorted(group), min(group)])

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_rooms_form_no_circle_themselves() -> None:
    graph = {room: set(allowed) for room, allowed in ALLOWED.items()}
    assert circles(graph) == []
    assert all(target in ALLOWED for targets in graph.values() for target in targets)


def test_every_module_lives_in_a_known_room() -> None:
    rooms = {room_of(module) for module in module_files(REPO)}
    assert rooms <= set(ALLOWED), rooms - set(ALLOWED)


def test_the_house_keeps_its_rules() -> None:
    assert violations(REPO) == []


def _plant(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_check_catches_planted_violations(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        {
            "checks/__init__.py": "",
            "checks/dns.py": "def f():\n    from tui.inventory.model import X\n",
            "checks/a.py": "from checks.b import y\n",
            "checks/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from checks import a\n",
            "esp_clients/__init__.py": "",
            "tui/__init__.py": "",
            "tui/inventory/__init__.py": "",
            "tui/inventory/model.py": "from tui.app import screen\n",
            "tui/fleet/__init__.py": "",
            "tui/fleet/scan.py": "import textual.app\nfrom ..inventory import model\n",
            "tui/app/__init__.py": "",
            "tui/app/screen.py": "import textual\nfrom tui.fleet import scan\n",
        },
    )
    found = violations(tmp_path)
    assert any("checks/dns.py:2: checks may not import tui.inventory" in line for line in found)
    assert any(
        "tui/inventory/model.py:1: tui.inventory may not import tui.app" in line for line in found
    )
    assert any("tui/fleet/scan.py:1: only tui.app imports textual" in line for line in found)
    assert "import circle: checks.a -> checks.b -> checks.a" in found
    assert not any("tui/app/screen.py" in line for line in found), "allowed imports are allowed"
    assert not any("fleet/scan.py:2" in line for line in found), (
        "a relative import downward is fine"
    )


def _modules_of(rooms: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    for room in rooms:
        names.append(room)
        folder = REPO.joinpath(*room.split("."))
        names.extend(info.name for info in pkgutil.walk_packages([str(folder)], prefix=f"{room}."))
    return names


@pytest.mark.parametrize(
    ("rooms", "forbidden"),
    [
        (("checks",), ("textual", "tui", "esp_clients")),
        (("esp_clients",), ("textual", "tui", "checks")),
        (("tui.inventory", "tui.report", "tui.fleet", "tui.actions", "tui.email"), ("textual",)),
    ],
)
def test_importing_a_room_loads_nothing_it_must_not(
    rooms: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {_modules_of(rooms)!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{rooms} pulled in: {result.stdout.strip()}"
