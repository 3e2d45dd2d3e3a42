"""Turn an ESP's published facts (and the inventory's overrides) into a check `Expectation`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks.model import Expectation, ProxyPolicy
from esp_clients.facts import EspFacts, facts_for, guess_from_chain

if TYPE_CHECKING:
    from checks.engine import Target

_POLICIES = {
    "forbidden": ProxyPolicy.FORBIDDEN,
    "allowed": ProxyPolicy.ALLOWED,
    "required": ProxyPolicy.REQUIRED,
}


def expectation_from_facts(facts: EspFacts, expect_target: str | None = None) -> Expectation:
    """The expectation for a host of this ESP variant; `expect_target` (inventory) wins."""
    targets = (expect_target.rstrip(".").lower(),) if expect_target else facts.targets
    suffixes = () if expect_target else facts.target_suffixes
    source = "from the inventory" if expect_target else f"{facts.label}'s published target"
    return Expectation(
        esp=facts.name,
        esp_label=facts.label,
        targets=targets,
        target_suffixes=suffixes,
        cas=facts.cas,
        cas_certain=facts.ca_confirmed,
        proxy_policy=_POLICIES[facts.proxy],
        https_expected=facts.https_expected,
        https_note=facts.https_note,
        target_source=source,
    )


def guess_for_target(target: Target, chain: tuple[str, ...], esp: str | None = None) -> Expectation:
    """`guess_expectation` in the engine's Guesser shape."""
    return guess_expectation(target.host, chain, esp)


def guess_expectation(host: str, chain: tuple[str, ...], esp: str | None = None) -> Expectation:
    """The expectation for `host`: the named ESP variant, or the ESP guessed from the CNAME chain
    (within the named family when `esp` is a family name such as ``sparkpost``)."""
    named = facts_for(esp) if esp else None
    if named is not None and named.variant:
        return expectation_from_facts(named)
    facts = guess_from_chain(chain[1:], esp=named.esp if named else None) or named
    if facts is None:
        return Expectation()
    return expectation_from_facts(facts)
