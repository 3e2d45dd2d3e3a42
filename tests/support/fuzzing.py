"""Hypothesis profiles and strategies shared by the fuzz tests.

`TRACKDECK_FUZZ_PROFILE` selects the profile: `ci` (the default, what `make test` runs) or `fuzz`
(`make fuzz`, FUZZ_FACTOR times as many examples). Each property asks for a share of the profile's
examples with `fuzz(weight)`, so slow properties (a round trip per example) run fewer.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

CI_EXAMPLES = 100
FUZZ_FACTOR = 100
PROFILE_VARIABLE = "TRACKDECK_FUZZ_PROFILE"


def _register(name: str, max_examples: int) -> None:
    settings.register_profile(
        name,
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
        print_blob=True,
    )


_register("ci", CI_EXAMPLES)
_register("fuzz", CI_EXAMPLES * FUZZ_FACTOR)
PROFILE = os.environ.get(PROFILE_VARIABLE, "ci")


def examples(weight: float = 1.0) -> int:
    """How many examples a property of `weight` runs under the selected profile."""
    return max(10, int(settings.get_profile(PROFILE).max_examples * weight))


def fuzz(weight: float = 1.0) -> settings:
    """The selected profile's settings with `examples(weight)` examples."""
    return settings(settings.get_profile(PROFILE), max_examples=examples(weight))


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters (tab and newline aside) that must never reach a terminal from the network."""

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)


def json_values(keys: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[object]:
    """Arbitrary JSON documents; objects use `keys` (a vocabulary of the parsers' own keys)."""
    names = st.text(max_size=12) if keys is None else keys
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(names, inner, max_size=6),
        max_leaves=15,
    )


CONTROL_TEXT = st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x9F), max_size=6)
"""Short strings rich in control characters (escape sequences, bells, NULs)."""


@st.composite
def mutated(draw: st.DrawFn, value: object, keys: st.SearchStrategy[str]) -> object:
    """`value` (a real answer) with some keys dropped, some values replaced by arbitrary JSON and
    some strings given control characters: deep coverage of the parsers' documented paths."""
    roll = draw(st.integers(min_value=0, max_value=19))
    if roll == 0:
        return draw(json_values(keys))
    if isinstance(value, dict):
        return {
            key: draw(mutated(item, keys))
            for key, item in value.items()
            if draw(st.integers(min_value=0, max_value=9))
        }
    if isinstance(value, list):
        items = [draw(mutated(item, keys)) for item in value]
        return items + items if roll == 1 else items
    if isinstance(value, str) and roll < 4:
        return value + draw(CONTROL_TEXT) if roll < 3 else draw(st.text(max_size=20))
    if roll == 4:
        return draw(SCALARS)
    return value
