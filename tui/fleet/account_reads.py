"""Reading every API account of a scan: its domain list, then its click figures, on one pool of
threads, lists first.

The outside checks of a host wait for its account's list (the target the ESP expects); the click
figures only hold back the account's rows. So every list is queued before any click read: a click
read is queued when its account's list has arrived, behind the lists still waiting, and an
account with many sending domains never delays another account's list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from esp_clients import EspClient
from tui.fleet.click_reads import NO_CLICKS, AccountClicks, SwitchWanted, always
from tui.fleet.esp_accounts import ClientFactory, fetch_account_clicks, fetch_account_view
from tui.fleet.esp_view import EspAccountView, account_problem
from tui.fleet.guess import account_facts
from tui.inventory.credentials import SecretSource
from tui.inventory.model import Account

WORKERS = 8
"""Accounts read at the same time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountReads:
    """What to read and whom to tell: `listed` gets each view as soon as it is read, `finished`
    gets it again with the account's click figures (NO_CLICKS when none are read)."""

    store: SecretSource
    client_factory: ClientFactory
    listed: Callable[[EspAccountView], None]
    finished: Callable[[EspAccountView, AccountClicks], None]
    click_hosts: Mapping[str, Collection[str]]
    """The hosts whose click figures to read, by account."""
    window: tuple[dt.date, dt.date] | None
    """The days to read (None: no click figures)."""
    wants_switch: SwitchWanted = always
    """Whether a scope's figures call for asking its click-tracking switch."""

    def run(self, accounts: Sequence[Account]) -> None:
        """Read every account; exceptions other than the ESPs' own errors propagate."""
        if not accounts:
            return
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(accounts))) as pool:
            lists = [pool.submit(self._list, account) for account in accounts]
            clicks: list[Future[tuple[EspAccountView, AccountClicks]]] = []
            for future in as_completed(lists):
                view, client = future.result()
                self.listed(view)
                if client is None or self.window is None:
                    if client is not None:
                        client.close()
                    self.finished(view, NO_CLICKS)
                    continue
                clicks.append(pool.submit(self._clicks, client, view, self.window))
            for read in as_completed(clicks):
                self.finished(*read.result())

    def _list(self, account: Account) -> tuple[EspAccountView, EspClient | None]:
        facts = account_facts(account)
        if not account.has_api:
            return EspAccountView(account=account.name, label=facts.label, has_api=False), None
        secret = self.store.get(account)
        if secret is None:
            detail = self.store.status(account).detail
            problem = account_problem(account.name, facts.label, None, detail)
            return EspAccountView(account=account.name, label=facts.label, problem=problem), None
        return fetch_account_view(account, facts.label, secret, self.client_factory)

    def _clicks(
        self, client: EspClient, view: EspAccountView, window: tuple[dt.date, dt.date]
    ) -> tuple[EspAccountView, AccountClicks]:
        hosts = self.click_hosts.get(view.account, ())
        return view, fetch_account_clicks(client, view, hosts, window, self.wants_switch)
