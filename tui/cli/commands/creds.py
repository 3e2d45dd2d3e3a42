"""`trackdeck creds set|delete|status`: ESP API keys in the OS keyring, never shown or echoed."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from tui.cli.common import CommandError, add_inventory_option, fail, inventory_path, load
from tui.cli.notify import NOTIFY_ACCOUNT
from tui.cli.parser import Parser
from tui.fleet.guess import account_facts
from tui.fleet.network import DQS_ACCOUNT
from tui.inventory.credentials import (
    AWS_ESP,
    SERVICE,
    CredentialStore,
    CredentialsUnavailable,
    SecretStatus,
    env_var_name,
)
from tui.inventory.model import Account
from tui.report.exit_codes import EXIT_NOTHING_DONE

if TYPE_CHECKING:
    from tui.cli.parser import Subcommands

NO_KEYRING_ALTERNATIVES = (
    "Alternatives: set TRACKDECK_SECRET_<ACCOUNT> (the account name upper-cased, every other "
    "character _) in the environment of trackdeck; or `pip install keyrings.alt` for a "
    "file-based keyring; or choose a backend with the PYTHON_KEYRING_BACKEND variable."
)


def add_parser(subparsers: Subcommands) -> None:
    """Register `creds` and its three actions."""
    parser = subparsers.add_parser(
        "creds",
        help="store, delete or list the ESP API keys (OS keyring, service 'trackdeck')",
        description="ESP API keys live in the OS keyring (service 'trackdeck', user = the "
        "account's name). TRACKDECK_SECRET_<ACCOUNT> in the environment wins over the keyring; "
        "Amazon SES uses the AWS credential chain.",
    )
    actions = parser.add_subparsers(
        title="actions", metavar="ACTION", dest="creds_action", parser_class=Parser, required=True
    )
    for name, help_text, run in (
        ("set", "prompt for an account's API key (hidden) and store it", run_set),
        ("delete", "remove an account's API key from the keyring", run_delete),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument(
            "account", metavar="ACCOUNT", help="the account's name in the inventory"
        )
        add_inventory_option(action)
        action.set_defaults(run=run)
    status = actions.add_parser(
        "status", help="where each account's key comes from (never the key)"
    )
    add_inventory_option(status)
    status.set_defaults(run=run_status)


def store_from(args: argparse.Namespace) -> CredentialStore:
    """The credential store (tests inject one)."""
    store: CredentialStore | None = getattr(args, "credential_store", None)
    return store or CredentialStore()


def known_account(args: argparse.Namespace) -> Account | None:
    """The inventory's account named on the command line; None when there is no inventory yet
    (or for `spamhaus-dqs`, the Spamhaus DQS key, which belongs to no ESP account)."""
    if not inventory_path(args).exists() or args.account in (DQS_ACCOUNT, NOTIFY_ACCOUNT):
        return None
    inventory = load(args)
    try:
        return inventory.account(args.account)
    except KeyError:
        names = ", ".join(account.name for account in inventory.accounts) or "none"
        raise CommandError(
            f"no account {args.account!r} in {inventory_path(args)} (its accounts: {names})"
        ) from None


def run_set(args: argparse.Namespace) -> int:
    """Prompt for the key without echo and store it; SES and DNS-only accounts store nothing."""
    try:
        account = known_account(args)
    except CommandError as error:
        return fail("creds set", str(error))
    name = args.account
    refusal = _not_storable(account)
    if refusal:
        print(refusal, file=sys.stderr)
        return EXIT_NOTHING_DONE
    if name == DQS_ACCOUNT:
        print("Storing the Spamhaus DQS key: blocklist queries will use your DQS zones.")
    elif name == NOTIFY_ACCOUNT:
        print("Storing the webhook URL: `trackdeck scan --notify-webhook` posts changes to it.")
    elif account is None:
        print(f"note: no inventory at {inventory_path(args)}; storing the key for {name} anyway")
    elif (status := store_from(args).status(account)).source == "unavailable":
        print(f"trackdeck creds set: nothing stored: {status.detail}", file=sys.stderr)
        return EXIT_NOTHING_DONE
    label = account_facts(account).label if account else "its ESP"
    try:
        secret = getpass.getpass(f"API key for {name} ({label}), input hidden: ").strip()
    except EOFError:
        secret = ""
    if not secret:
        print("Nothing entered; nothing stored.", file=sys.stderr)
        return EXIT_NOTHING_DONE
    return _store(args, name, secret, account)


def _not_storable(account: Account | None) -> str:
    if account is None:
        return ""
    label = account_facts(account).label
    if not account.has_api:
        return (
            f"{account.name} is a {label} account: trackdeck checks it through DNS only and "
            "needs no key. Nothing stored."
        )
    if account.esp == AWS_ESP:
        return (
            f"{account.name} is an Amazon SES account: trackdeck uses the standard AWS credential "
            f"chain (AWS_PROFILE, ~/.aws/credentials, SSO, instance roles; profile "
            f"{account.profile or 'default'}), or {env_var_name(account.name)}="
            "ACCESS_KEY_ID:SECRET_ACCESS_KEY in the environment. Nothing stored."
        )
    return ""


def _store(args: argparse.Namespace, name: str, secret: str, account: Account | None) -> int:
    store = store_from(args)
    try:
        store.set(name, secret)
    except CredentialsUnavailable as error:
        print(f"trackdeck creds set: nothing stored: {error}", file=sys.stderr)
        return EXIT_NOTHING_DONE
    print(f"Stored the API key for {name} in the OS keyring (service {SERVICE!r}, user {name!r}).")
    if account is not None and store.status(account).source == "environment":
        print(f"note: {env_var_name(name)} is set in this environment and wins over the keyring.")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Remove the account's key from the keyring (an account gone from the inventory too)."""
    name = args.account
    try:
        deleted = store_from(args).delete(name)
    except CredentialsUnavailable as error:
        print(f"trackdeck creds delete: nothing deleted: {error}", file=sys.stderr)
        return EXIT_NOTHING_DONE
    except ValueError as error:
        return fail("creds delete", str(error))
    if deleted:
        print(f"Deleted the API key of {name} from the OS keyring.")
    else:
        print(f"The OS keyring holds no key for {name}; nothing deleted.")
    return 0


def run_status(args: argparse.Namespace) -> int:
    """A table: account, ESP, where its key comes from, and why; never the key."""
    try:
        inventory = load(args)
    except CommandError as error:
        return fail("creds status", str(error))
    store = store_from(args)
    statuses = [(account, store.status(account)) for account in inventory.accounts]
    print_statuses(statuses)
    return 0


def print_statuses(statuses: list[tuple[Account, SecretStatus]]) -> None:
    """Aligned columns; a keyring that cannot be used is explained once, below the table."""
    rows = [("ACCOUNT", "ESP", "SOURCE", "DETAIL")]
    problem = ""
    for account, status in statuses:
        detail = status.detail
        if status.source == "unavailable":
            problem = problem or status.detail.split(":", 1)[0]
            detail = "the OS keyring cannot be used (see below)"
        rows.append((account.name, account_facts(account).label, status.source, detail))
    widths = [max(len(row[index]) for row in rows) for index in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        print("  ".join([*cells, row[3]]))
    if problem:
        print(f"\nNote: {problem}. {NO_KEYRING_ALTERNATIVES}")
