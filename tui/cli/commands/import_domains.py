"""`trackdeck import ACCOUNT`: an account's tracking domains, from its ESP, as inventory TOML.

The fragment goes to stdout or to a new file; the hand-written inventory is never touched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from esp_clients import EspError, TrackingDomain
from tui.cli.common import CommandError, add_inventory_option, fail, load
from tui.fleet.esp_accounts import ClientFactory, default_client_factory
from tui.fleet.guess import account_facts
from tui.inventory.credentials import CredentialStore
from tui.inventory.files import write_new_file
from tui.inventory.load import render_entries_toml
from tui.inventory.model import Account, Inventory
from tui.report.exit_codes import EXIT_ESP_FAILED, EXIT_NOT_WRITTEN

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands


class ImportRefused(Exception):  # noqa: N818 - a refusal, printed as-is
    """Nothing can be imported (no API, no key, the ESP failed); the message says why."""


def add_parser(subparsers: Subcommands) -> None:
    """Register `import`."""
    parser = subparsers.add_parser(
        "import",
        help="print an account's tracking domains (from its ESP) as inventory TOML",
        description="Ask the account's ESP for its tracking domains and print them as a "
        "[[brands]] fragment to paste into the inventory (or write it to a NEW file with -o). "
        "The inventory itself is never changed. Exit status: 0 done, 1 file exists, "
        "2 the ESP could not be asked, 64 usage or configuration error.",
    )
    parser.add_argument("account", metavar="ACCOUNT", help="the account's name in the inventory")
    add_inventory_option(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="NEW_FILE",
        help="write to a new file (never overwritten)",
    )
    parser.add_argument("--brand", metavar="NAME", help="the brand's name (default: the account's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List the domains and print or write the fragment."""
    try:
        inventory = load(args)
        account = find_account(inventory, args.account)
        domains = fetch(account, args)
    except CommandError as error:
        return fail("import", str(error))
    except ImportRefused as refused:
        print(f"trackdeck import: {refused}", file=sys.stderr)
        return EXIT_ESP_FAILED
    text = fragment(inventory, account, domains, args.brand or account.name)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_new_file(args.output, text)
    except FileExistsError:
        print(
            f"trackdeck import: {args.output} already exists; trackdeck never overwrites a file: "
            "choose a new name",
            file=sys.stderr,
        )
        return EXIT_NOT_WRITTEN
    except OSError as error:
        reason = error.strerror or type(error).__name__
        print(f"trackdeck import: cannot write {args.output}: {reason}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    print(f"Wrote {len(domains)} tracking domain(s) of {account.name} to {args.output}.")
    return 0


def find_account(inventory: Inventory, name: str) -> Account:
    """The inventory's account `name`, or CommandError listing the accounts there are."""
    try:
        return inventory.account(name)
    except KeyError:
        names = ", ".join(account.name for account in inventory.accounts) or "none"
        raise CommandError(
            f"no account {name!r} in the inventory (its accounts: {names})"
        ) from None


def fetch(account: Account, args: argparse.Namespace) -> tuple[TrackingDomain, ...]:
    """The account's tracking domains from its ESP's API."""
    label = account_facts(account).label
    if not account.has_api:
        raise ImportRefused(
            f"{account.name} is a {label} account: {label} has no API for tracking domains, so "
            "add its hosts to the inventory by hand"
        )
    store: CredentialStore = getattr(args, "credential_store", None) or CredentialStore()
    secret = store.get(account)
    if secret is None:
        raise ImportRefused(f"no credentials for {account.name}: {store.status(account).detail}")
    factory: ClientFactory = getattr(args, "client_factory", None) or default_client_factory()
    try:
        client = factory(account, secret)
    except (ValueError, EspError) as error:
        raise ImportRefused(f"cannot use account {account.name}: {error}") from None
    try:
        return client.list_tracking_domains()
    except EspError as error:
        raise ImportRefused(str(error)) from None
    finally:
        client.close()


def fragment(
    inventory: Inventory, account: Account, domains: tuple[TrackingDomain, ...], brand: str
) -> str:
    """The TOML fragment, headed by comments saying where it comes from."""
    label = account_facts(account).label
    listed = {entry.host for entry in inventory.entries_for(account.name)}
    already = [domain.host for domain in domains if domain.host in listed]
    lines = [
        f"# {len(domains)} tracking domain(s) of the {label} account {account.name}, "
        "as its API lists them.",
        "# Paste the entries you want into the inventory (trackdeck never edits it).",
    ]
    if already:
        lines.append(f"# Already in the inventory: {', '.join(already)}")
    hosts = [(domain.host, domain.expected_target) for domain in domains]
    return "\n".join(lines) + "\n" + render_entries_toml(account.name, hosts, brand)
