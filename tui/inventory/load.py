"""Reading an inventory: the file (or text) validated into an `Inventory` with every problem at
once; the commented example `trackdeck init` writes; the TOML fragment `trackdeck import` prints.

Nothing here ever rewrites an existing inventory.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from pathlib import Path

import tomli_w

from tui.inventory.model import Inventory, InventoryError, Problem
from tui.inventory.validate import check_inventory


def load_inventory(path: Path) -> Inventory:
    """Read and validate the inventory at `path`; raise InventoryError listing every problem."""
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        message = "no such file: create one with `trackdeck init`, or pass another with -i FILE"
        raise InventoryError(
            [Problem(path=display, line=None, field="", message=message)]
        ) from None
    except UnicodeDecodeError:
        message = "is not UTF-8 text"
        raise InventoryError(
            [Problem(path=display, line=None, field="", message=message)]
        ) from None
    except OSError as error:
        message = f"cannot be read: {error.strerror or type(error).__name__}"
        raise InventoryError(
            [Problem(path=display, line=None, field="", message=message)]
        ) from None
    return _parse(text, display, path)


def parse_inventory(text: str, *, path: str = "<inventory>") -> Inventory:
    """Validate inventory TOML `text`; `path` only names the source in problems."""
    return _parse(text, path, None)


def _parse(text: str, display: str, path: Path | None) -> Inventory:
    return check_inventory(text, display, path)


def example_inventory_text() -> str:
    """The commented example inventory shipped as package data (what `trackdeck init` writes)."""
    resource = importlib.resources.files("tui.inventory").joinpath("example.toml")
    return resource.read_text(encoding="utf-8")


def render_entries_toml(account: str, hosts: Sequence[tuple[str, str | None]], brand: str) -> str:
    """A ``[[brands]]`` fragment listing `hosts` (with their expected targets) for `trackdeck import`."""
    tracking: list[dict[str, str]] = []
    for host, target in hosts:
        item = {"host": host, "account": account}
        if target:
            item["expect_target"] = target
        tracking.append(item)
    return tomli_w.dumps({"brands": [{"name": brand, "tracking": tracking}]})
