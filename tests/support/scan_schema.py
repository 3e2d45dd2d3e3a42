"""The JSON document's schema (`docs/schemas/scan.schema.json`) as published, and a strict copy of
it for the tests: every object schema that lists its properties refuses any other, so a field the
output gains without the schema declaring it fails validation."""

from __future__ import annotations

import json

import jsonschema

from tests.support.data import REPO

SCHEMA: dict[str, object] = json.loads(
    (REPO / "docs" / "schemas" / "scan.schema.json").read_text(encoding="utf-8")
)


def strict(schema: object) -> object:
    """A copy of `schema` in which each object schema with `properties` and no word on other
    properties gets `additionalProperties: false`, at any depth ($defs, oneOf, items …)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    tightened = {key: strict(value) for key, value in schema.items()}
    if "properties" in tightened and "additionalProperties" not in tightened:
        tightened["additionalProperties"] = False
    return tightened


def strict_schema(schema: dict[str, object]) -> dict[str, object]:
    """`strict` of a whole schema document."""
    tightened = strict(schema)
    assert isinstance(tightened, dict)
    return tightened


STRICT_SCHEMA = strict_schema(SCHEMA)


def validate_strictly(document: object) -> None:
    """`jsonschema.ValidationError` when `document` breaks the schema or has an undeclared field."""
    jsonschema.validate(document, STRICT_SCHEMA)
