"""What each fleet row should look like: the account's ESP facts, the inventory's `expect_target`,
and the target the ESP's own API expects, which arrives while the scan already runs.

`FleetGuess` is plain data plus a waiting room: the engine asks it for a host's expectation once the
host's CNAME chain is known; a host whose account's view has not arrived yet waits for it (the API
may name the target it expects), hosts of other accounts go on.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from checks.model import Expectation
from esp_clients.facts import EspFacts, facts_for, guess_from_chain
from tui.fleet.expectations import expectation_from_facts
from tui.inventory.model import Account

if TYPE_CHECKING:
    from checks.engine import Target
    from esp_clients import TrackingDomain


def account_facts(account: Account) -> EspFacts:
    """The ESP facts for an account's ESP and region (the family default when unknown)."""
    facts = facts_for(account.esp, account.region)
    if facts is None:
        raise KeyError(f"no facts for ESP {account.esp!r}")
    return facts


def fleet_expectation(
    account: Account,
    chain: tuple[str, ...],
    *,
    expect_target: str | None = None,
    domain: TrackingDomain | None = None,
) -> Expectation:
    """A host's expectation: the account's ESP variant (narrowed by the chain within the family),
    the inventory's `expect_target`, else the target the ESP's API expects (`domain`)."""
    facts = account_facts(account)
    guessed = guess_from_chain(chain[1:], esp=facts.esp)
    if guessed is not None and guessed.eu == facts.eu:
        facts = guessed
    override = expect_target or (domain.expected_target if domain else None)
    expectation = expectation_from_facts(facts, override)
    if override and not expect_target:
        expectation = dataclasses.replace(
            expectation, target_source=f"as {facts.label}'s API expects"
        )
    return expectation


class FleetGuess:
    """Each row's expectation from its chain; rows are keyed `account/host` (see `row_key`)."""

    def __init__(
        self,
        accounts: Mapping[str, Account],
        expect_targets: Mapping[str, str],
        *,
        waiting: Iterable[str] = (),
    ) -> None:
        self.accounts = dict(accounts)
        self.expect_targets = dict(expect_targets)
        self._domains: dict[str, TrackingDomain] = {}
        self._ready = {account: threading.Event() for account in waiting}

    def provide(self, account: str, domains: Mapping[str, TrackingDomain]) -> None:
        """`account`'s view has arrived: its rows' ESP records, by row key."""
        self._domains.update(domains)
        ready = self._ready.get(account)
        if ready is not None:
            ready.set()

    def release_all(self) -> None:
        """No more views will come (all fetched, or the scan stops): nobody waits any longer."""
        for ready in self._ready.values():
            ready.set()

    def __call__(self, target: Target, chain: tuple[str, ...]) -> Expectation:
        """The expectation of row `target.key` given its chain (after its account's view)."""
        account = target.key.split("/", 1)[0]
        ready = self._ready.get(account)
        if ready is not None:
            ready.wait()
        return fleet_expectation(
            self.accounts[account],
            chain,
            expect_target=self.expect_targets.get(target.key),
            domain=self._domains.get(target.key),
        )
