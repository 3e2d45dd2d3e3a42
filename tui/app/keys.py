"""The dashboard's keys, read from the bindings themselves: the help screen and the command palette
are built from each binding's `tooltip`, so a key and its words live in one place (its BINDINGS)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual.binding import Binding, BindingType

_KEY_NAMES = {
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "enter": "Enter",
    "escape": "Esc",
    "slash": "/",
    "question_mark": "?",
}


def key_text(binding: Binding) -> str:
    """How the help screen writes a binding's key(s): ``Esc / q`` for ``escape,q``."""
    if binding.key_display:
        return binding.key_display
    return " / ".join(_name(key) for key in binding.key.split(","))


def _name(key: str) -> str:
    if key in _KEY_NAMES:
        return _KEY_NAMES[key]
    if "+" in key:
        return "+".join(part.capitalize() for part in key.split("+"))
    return key


def documented(bindings: Iterable[BindingType]) -> Iterator[Binding]:
    """The bindings that say what they do (a tooltip); the others are plumbing."""
    for binding in Binding.make_bindings(bindings):
        if binding.tooltip:
            yield binding


def help_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys, what they do) rows; neighbours that do the same thing share a row (``↑ ↓ PgUp``)."""
    rows: list[tuple[str, str]] = []
    for binding in documented(bindings):
        if rows and rows[-1][1] == binding.tooltip:
            rows[-1] = (f"{rows[-1][0]} {key_text(binding)}", binding.tooltip)
        else:
            rows.append((key_text(binding), binding.tooltip))
    return rows


def palette_title(binding: Binding) -> str:
    """The binding's words as a command-palette entry (capitalised)."""
    return binding.tooltip[:1].upper() + binding.tooltip[1:]
