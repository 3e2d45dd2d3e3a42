"""Reading an API Blueprint's examples (SparkPost publishes API Blueprint, which Prism cannot serve):
each action's method, path and documented query parameters, and its request, response and sample
bodies, for the contract tests of `esp_clients.sparkpost`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_ACTION = re.compile(r"^###\s+(?P<name>.+?)\s+\[(?P<method>[A-Z]+)\s+(?P<path>[^\]]+)\]")
_EXAMPLE = re.compile(r"^\+ (?P<kind>Request|Response|Sample)(?: (?P<status>\d{3}))?")
_QUERY_TEMPLATE = re.compile(r"\{\?[^}]*\}")
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """One request or response example of a blueprint action."""

    action: str
    method: str
    path: str
    kind: str
    status: int | None
    body: object
    query: frozenset[str] = frozenset()
    """The query parameters the action's URI template names (`{?from,to,…}`)."""


def _json_block(lines: list[str]) -> object:
    """The JSON document in an example's lines (after any headers), or None."""
    start = next((i for i, line in enumerate(lines) if line.strip()[:1] in ("{", "[")), None)
    if start is None:
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    block: list[str] = []
    for line in lines[start:]:
        outdented = line.strip() and len(line) - len(line.lstrip()) < indent
        if outdented or line.strip().startswith("```"):
            break
        block.append(line)
    # The blueprint's examples carry trailing commas, which JSON forbids.
    return json.loads(_TRAILING_COMMA.sub(r"\1", "\n".join(block)))


def read_examples(
    text: str, *, first_action: str = "", only: str | None = None
) -> tuple[Example, ...]:
    """Every `+ Request`, `+ Response NNN` and `+ Sample` of the blueprint, with its action
    (`first_action` names the examples before the first action heading); `only`: just the
    examples of the actions whose path starts with it."""
    examples: list[Example] = []
    action, method, path = first_action, "", ""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if heading := _ACTION.match(line):
            action, method, path = heading["name"], heading["method"], heading["path"]
        if not (found := _EXAMPLE.match(line)):
            continue
        if only is not None and not path.startswith(only):
            continue
        following = lines[number + 1 :]
        end = next(
            (i for i, rest in enumerate(following) if rest.startswith(("+ ", "#"))), len(following)
        )
        examples.append(
            Example(
                action=action,
                method=method,
                path=_QUERY_TEMPLATE.sub("", path).removeprefix("/v1"),
                query=query_names(path),
                kind=found["kind"].lower(),
                status=int(found["status"]) if found["status"] else None,
                body=_json_block(following[:end]),
            )
        )
    return tuple(examples)


def query_names(path: str) -> frozenset[str]:
    """The parameter names of a URI template's query part (`{?from,to}` → from, to)."""
    found = _QUERY_TEMPLATE.search(path)
    return frozenset() if found is None else frozenset(found.group()[2:-1].split(","))
