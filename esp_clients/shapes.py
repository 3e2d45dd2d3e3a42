"""Reading what an ESP answers: JSON that must have the documented shape (`ShapeError` when it has
not), optional members, days, and the ESP's own words made one printable line."""

from __future__ import annotations

import datetime as dt
import functools
import re
import urllib.parse
from collections.abc import Mapping

import idna

MESSAGE_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def printable(text: str) -> str:
    """`text` with each control character written as a visible escape (``\\x1b``)."""
    return _CONTROL.sub(lambda found: "".join(f"\\x{ord(c):02x}" for c in found.group()), text)


def sanitize(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One printable line of at most `limit` characters (for ESP messages shown to users)."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def normalize_host(name: str) -> str:
    """A host name in lower case without surrounding spaces or a trailing dot; an internationalised
    name as its A-labels (`links.straße.de` → `links.xn--strae-oqa.de`), as the inventory holds it.

    The A-labels come from IDNA 2008 with the UTS 46 mapping, non-transitional: the rule of
    `checks.names.to_ascii`, written again here because esp_clients may not import checks (a test
    holds the two to the same answers). A name that rule refuses stays as it was, in lower case:
    the DNS checks then report it as a name that cannot be asked."""
    plain = _plain(name)
    if plain.isascii():
        return plain
    try:
        mapped = idna.uts46_remap(plain, std3_rules=False, transitional=False)
        converted = ".".join(
            label if label.isascii() else idna.alabel(label).decode("ascii")
            for label in mapped.split(".")
        )
    except UnicodeError:  # idna.IDNAError is one
        return plain
    return _plain(converted)  # UTS 46 maps `。` to `.`: a trailing one goes like any other


def _plain(name: str) -> str:
    """`name` lower-cased without surrounding spaces and trailing dots, however they alternate."""
    trimmed = name.strip().rstrip(".")
    while trimmed != name:
        name, trimmed = trimmed, trimmed.strip().rstrip(".")
    return trimmed.lower()


def quote_segment(value: str) -> str:
    """`value` escaped for use as one URL path segment."""
    return urllib.parse.quote(value, safe="")


class ShapeError(ValueError):
    """Raised by pure parse helpers when JSON does not have the documented shape."""


def as_mapping(value: object, what: str) -> Mapping[str, object]:
    """`value` as a JSON object, or ShapeError naming `what`."""
    if not isinstance(value, Mapping):
        raise ShapeError(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[object]:
    """`value` as a JSON array, or ShapeError naming `what`."""
    if not isinstance(value, list):
        raise ShapeError(f"{what} is not a JSON array")
    return value


@functools.lru_cache(maxsize=4096)
def iso_day(text: str | None, what: str) -> dt.date:
    """The day an ESP's ISO 8601 date or time (`2026-12-03`, `2026-12-03 07:00:00`) falls on;
    ShapeError naming `what` when it is neither. Cached: a fleet's series share a few dozen days,
    and one date object each keeps 10,000 hosts' figures small."""
    try:
        return dt.datetime.fromisoformat(text or "").date()
    except ValueError:
        raise ShapeError(f"{what} {text!r} is not an ISO 8601 date or time") from None


def opt_str(mapping: Mapping[str, object], key: str) -> str | None:
    """The string (or number, as text) at `key`; None when absent or null."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ShapeError(f"field {key!r} is not a string")
    return str(value)


def opt_count(mapping: Mapping[str, object], key: str) -> int:
    """The count at `key`: a non-negative whole number (an integral float or numeric text is
    accepted, as ESPs write them); 0 when absent or null."""
    value = mapping.get(key)
    if value is None:
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShapeError(f"field {key!r} is not a count")
    return value


def opt_bool(mapping: Mapping[str, object], key: str) -> bool | None:
    """The boolean at `key`; None when absent or null."""
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ShapeError(f"field {key!r} is not a boolean")


def error_message_common(body: object) -> str | None:
    """The message in the common ESP error shapes: errors[].message, message, Reason, ..."""
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    if isinstance(errors, list):
        texts = [str(e["message"]) for e in errors if isinstance(e, Mapping) and e.get("message")]
        if texts:
            return "; ".join(texts)
    for key in ("message", "Reason", "Description", "name"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None
