"""Where tables, keys and values are in an inventory's TOML source (tomllib does not say), and the
base reader that records every problem at its line."""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

from tui.inventory.credentials import env_var_name, redact_secret_like, secret_shape
from tui.inventory.model import SECRETS_POLICY, Problem

T = TypeVar("T")
Where = Callable[[str], "int | None"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SECRET_WORDS = frozenset(
    {"key", "apikey", "secret", "secrets", "token", "password", "passwd", "pwd", "credentials"}
)
_TYPE_WORDS = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "a table",
}


class _Locator:
    """Finds where tables, keys and values are in the source, since tomllib does not say."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines = [match.start() for match in re.finditer("\n", text)]
        self._values: dict[str, re.Pattern[str]] = {}
        self._headers: dict[tuple[tuple[str, ...], bool], tuple[int, ...]] | None = None

    def line(self, position: int | None) -> int | None:
        """The 1-based line of a position (a binary search: an inventory has thousands of rows)."""
        return None if position is None else bisect.bisect_left(self._newlines, position) + 1

    def header(self, parts: Sequence[str], *, array: bool = False, nth: int = 0) -> int | None:
        """The position of the `nth` ``[a.b]`` (or ``[[a]]``) header."""
        positions = self.headers(parts, array=array)
        return positions[nth] if nth < len(positions) else None

    def headers(self, parts: Sequence[str], *, array: bool = False) -> tuple[int, ...]:
        """The positions of every ``[a.b]`` (or ``[[a]]``) header (the file is indexed once)."""
        if self._headers is None:
            index: dict[tuple[tuple[str, ...], bool], list[int]] = {}
            for match in _HEADER.finditer(self.text):
                name = _dotted_key(match.group("name"))
                if name is not None:
                    index.setdefault((name, bool(match.group("array"))), []).append(match.start())
            self._headers = {key: tuple(found) for key, found in index.items()}
        return self._headers.get((tuple(parts), array), ())

    def key(self, key: str, section: int | None = None, nth: int = 0) -> int | None:
        """The `nth` ``key =`` in the section starting at `section` (the whole file when None)."""
        start, end = 0, len(self.text)
        if section is not None:
            start = section
            following = re.compile(r"^[ \t]*\[", re.MULTILINE).search(self.text, section + 1)
            end = following.start() if following else end
        pattern = re.compile(rf"(?:^|[{{,])[ \t]*{_key_pattern(key)}[ \t]*=", re.MULTILINE)
        for index, match in enumerate(pattern.finditer(self.text, start, end)):
            if index == nth:
                return match.start()
        return None

    def value(self, key: str, raw: str, start: int) -> re.Match[str] | None:
        """The first ``key = "raw"`` at or after `start`."""
        pattern = self._values.get(key)
        if pattern is None:  # one pattern per key name, not per value: thousands of hosts
            quoted = rf"""(?<![\w-]){_key_pattern(key)}[ \t]*=[ \t]*(["'])(.*?)\1"""
            pattern = self._values[key] = re.compile(quoted)
        for match in pattern.finditer(self.text, start):
            if match.group(2) == raw:
                return match
        return None

    def anywhere(self, key: str) -> int | None:
        """Where a top-level name appears: as a table header, an array header or a key."""
        for position in (self.header((key,)), self.header((key,), array=True), self.key(key)):
            if position is not None:
                return position
        return None


_HEADER = re.compile(
    r"""^[ \t]*\[(?P<array>\[)?[ \t]*(?P<name>(?:[^\]"'\n]|"[^"\n]*"|'[^'\n]*')+?)[ \t]*\](?(array)\])""",
    re.MULTILINE,
)
_KEY_PART = re.compile(
    r"""[ \t]*(?:"(?P<basic>[^"\n]*)"|'(?P<literal>[^'\n]*)'|(?P<bare>[A-Za-z0-9_-]+))[ \t]*"""
)


def _dotted_key(text: str) -> tuple[str, ...] | None:
    """The parts of a header's dotted key (bare or quoted), or None when it is not one."""
    parts: list[str] = []
    position = 0
    while True:
        match = _KEY_PART.match(text, position)
        if match is None:
            return None
        parts.append(
            next(value for value in match.group("basic", "literal", "bare") if value is not None)
        )
        position = match.end()
        if position == len(text):
            return tuple(parts)
        if text[position] != ".":
            return None
        position += 1


def _key_pattern(key: str) -> str:
    escaped = re.escape(key)
    quoted = rf"""(?:"{escaped}"|'{escaped}')"""
    return rf"(?:{escaped}|{quoted})" if _BARE_KEY.fullmatch(key) else quoted


def is_secret_key(key: str) -> bool:
    """Whether a key is named like a secret (api_key, token, password, …)."""
    words = set(re.split(r"[_\-.\s]+", key.lower()))
    return bool(words & _SECRET_WORDS) or any(
        word in key.lower() for word in ("secret", "password")
    )


def _walk_keys(
    value: object, prefix: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every (path, key) in a parsed document, depth first in file order."""
    if isinstance(value, dict):
        for key, child in value.items():
            path = (*prefix, str(key))
            yield path, str(key)
            yield from _walk_keys(child, path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk_keys(child, (*prefix, index))


def type_word(value: object) -> str:
    """How a problem names the TOML type of `value`: "a string", "a table", …"""
    return _TYPE_WORDS.get(type(value), f"a {type(value).__name__}")


def suggest(word: str, choices: Sequence[str]) -> str:
    """A "did you mean" hint naming the closest of `choices` to `word`, or "" when none is close."""
    match = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def first(*positions: int | None) -> int | None:
    """The first of `positions` that is known."""
    return next((position for position in positions if position is not None), None)


class SourceReader:
    """Records problems at their line in the source, and reads keys and typed values from tables."""

    def __init__(self, text: str, display: str) -> None:
        self.text = text
        self.display = display
        self.locate = _Locator(text)
        self.problems: list[Problem] = []
        self._secret_lines: set[int] = set()

    def add_line(self, line: int | None, field: str, message: str) -> None:
        """Record a problem; anything shaped like an API key is redacted from it first."""
        problem = Problem(
            path=self.display,
            line=line,
            field=redact_secret_like(field),
            message=redact_secret_like(message),
        )
        self.problems.append(problem)

    def add(self, position: int | None, field: str, message: str) -> None:
        self.add_line(self.locate.line(position), field, message)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda problem: (problem.line is None, problem.line or 0))

    def syntax_error(self, message: str) -> None:
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match is None:
            self.add_line(None, "", f"TOML syntax error: {message}")
            return
        text = message[: match.start()].strip()
        self.add_line(int(match[1]), "", f"TOML syntax error: {text} (column {match[2]})")

    def scan_secret_shapes(self) -> None:
        """Flag every line holding something shaped like an API key, comments included."""
        for number, line in enumerate(self.text.split("\n"), start=1):
            kind = secret_shape(line)
            if kind and number not in self._secret_lines:
                policy = SECRETS_POLICY.format(
                    account="ACCOUNT", variable="TRACKDECK_SECRET_<ACCOUNT>"
                )
                self.add_line(number, "", f"this line holds what looks like {kind}; {policy}")

    def where_in(self, anchor: int | None) -> Where:
        """Finds a key's position in the table at `anchor`, falling back to the table's own line."""
        if anchor is None:
            return lambda _key: None
        return lambda key: first(self.locate.key(key, anchor), anchor)

    def secret_keys(self, document: dict[str, object]) -> None:
        """Flag keys named like secrets anywhere (api_key, token, password, …), never their values."""
        seen: dict[str, int] = {}
        for path, key in _walk_keys(document, ()):
            if not is_secret_key(key):
                continue
            nth = seen[key] = seen.get(key, -1) + 1
            position = self.locate.key(key, nth=nth)
            account = path[1] if len(path) >= 3 and path[0] == "accounts" else None
            variable = env_var_name(str(account)) if account else "TRACKDECK_SECRET_<ACCOUNT>"
            policy = SECRETS_POLICY.format(account=account or "ACCOUNT", variable=variable)
            self.add(position, _dotted(path), f"looks like a secret; {policy}")
            line = self.locate.line(position)
            if line is not None:
                self._secret_lines.add(line)

    def check_keys(
        self,
        table: Mapping[str, object],
        allowed: Sequence[str],
        prefix: str,
        where: Where,
        required: Sequence[str] = (),
    ) -> None:
        for key in table:
            if key not in allowed and not is_secret_key(key):
                message = (
                    f"unknown key {key!r}{suggest(key, allowed)} (valid keys: {', '.join(allowed)})"
                )
                self.add(where(key), _join(prefix, key), message)
        for key in required:
            if key not in table:
                self.add(where(key), _join(prefix, key), f"missing: add {key} = …")

    def take(
        self, table: Mapping[str, object], key: str, kind: type[T], field: str, where: Where
    ) -> T | None:
        """The value at `key` if it has type `kind` (ints count as floats, booleans as nothing else)."""
        if key not in table:
            return None
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        self.add(where(key), field, f"must be {_TYPE_WORDS[kind]}, not {type_word(value)}")
        return None

    def table(self, raw: object, field: str) -> dict[str, object] | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.add(self.locate.anywhere(field), field, f"must be a table, not {type_word(raw)}")
            return None
        return raw


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text = f"{text}[{part}]" if isinstance(part, int) else _join(text, part)
    return text
