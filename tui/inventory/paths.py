"""Where trackdeck keeps its files, following the XDG base directory specification."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "trackdeck"


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME", "")
    return Path(home) if home else Path.home()


def _xdg_base(variable: str, default: str, environ: Mapping[str, str] | None) -> Path:
    """The directory named by `variable`, or `default` under the home directory.

    The specification says a relative or empty value must be ignored, so only absolute paths count.
    """
    env = os.environ if environ is None else environ
    value = env.get(variable, "")
    if value and Path(value).is_absolute():
        return Path(value)
    return _home(env) / default


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """trackdeck's configuration directory: ``$XDG_CONFIG_HOME/trackdeck`` (``~/.config/trackdeck``)."""
    return _xdg_base("XDG_CONFIG_HOME", ".config", environ) / APP_NAME


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """trackdeck's state directory: ``$XDG_STATE_HOME/trackdeck`` (``~/.local/state/trackdeck``)."""
    return _xdg_base("XDG_STATE_HOME", ".local/state", environ) / APP_NAME


INVENTORY_VARIABLE = "TRACKDECK_INVENTORY"


def default_inventory_path(environ: Mapping[str, str] | None = None) -> Path:
    """The inventory the dashboard and `trackdeck scan` open when no ``-i FILE`` is given:
    ``$TRACKDECK_INVENTORY`` when set, else ``$XDG_CONFIG_HOME/trackdeck/inventory.toml``."""
    named = (os.environ if environ is None else environ).get(INVENTORY_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser()
    return config_dir(environ) / "inventory.toml"


def default_audit_path(environ: Mapping[str, str] | None = None) -> Path:
    """The append-only log of every change trackdeck made at an ESP."""
    return state_dir(environ) / "audit.jsonl"


def ensure_private_dir(path: Path) -> None:
    """Create `path` and any missing parents with mode 0o700 (the XDG rule for these directories)."""
    missing: list[Path] = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue
