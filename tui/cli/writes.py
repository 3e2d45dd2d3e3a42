"""What the write commands (`verify`, `https`) share: options, the Actions object, the prompt."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from checks.model import Finding, Severity
from tui.actions.journal import AuditLog
from tui.actions.model import USAGE_KINDS, ActionRefused, ActionResult, describe, is_blocking
from tui.actions.writes import Actions
from tui.cli.common import (
    CommandError,
    add_inventory_option,
    add_network_options,
    load,
    network_options,
)
from tui.fleet.network import build_context
from tui.inventory.credentials import CredentialStore
from tui.inventory.model import Inventory
from tui.report.exit_codes import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_USAGE


def add_action_options(parser: argparse.ArgumentParser) -> None:
    """HOST, -i FILE, --account, --yes, --read-only and the network options."""
    parser.add_argument("host", metavar="HOST", help="a tracking host listed in the inventory")
    add_inventory_option(parser)
    parser.add_argument(
        "--account", metavar="NAME", help="the account, when the host is listed under several"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="refuse every change at the ESP (also valid before the command name)",
    )
    add_network_options(parser)


def build_actions(args: argparse.Namespace) -> tuple[Actions, Inventory]:
    """The Actions for the inventory, with test injections taken from `args` when present."""
    inventory = load(args)
    ctx = build_context(network_options(args, inventory.settings), args.environment)
    actions = Actions(
        inventory,
        ctx,
        getattr(args, "credential_store", None) or CredentialStore(),
        getattr(args, "audit_log", None) or AuditLog(),
        client_factory=getattr(args, "client_factory", None),
        read_only=bool(getattr(args, "read_only", False) or inventory.settings.read_only),
        sleep=getattr(args, "sleep", time.sleep),
        clock=getattr(args, "clock", time.monotonic),
        poll_interval=getattr(args, "poll_interval", 5.0),
        poll_timeout=getattr(args, "poll_timeout", 300.0),
    )
    return actions, inventory


TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed SSH session, `kill`, a service manager) end a write command as
    Ctrl-C does: the action reads the ESP's state back and records the outcome, instead of the
    process dying between the ESP's change and its audit entry. Only the main thread can install
    signal handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _interrupt) for number in TERMINATION_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def confirm(question: str, args: argparse.Namespace) -> bool:
    """True with --yes or a "y" typed at the terminal; CommandError when nobody can answer."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError(
            "stdin is not a terminal, so nobody can confirm: add --yes to go ahead without asking"
        )
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def refusal_status(command: str, refused: ActionRefused) -> int:
    """Print the refusal on stderr; 64 for what the user typed or configured, else 2."""
    hint = " (--force)" if refused.kind == "preflight" else ""
    print(f"trackdeck {command}: refused: {refused}{hint}", file=sys.stderr)
    return EXIT_USAGE if refused.kind in USAGE_KINDS else EXIT_FAIL


def finding_line(finding: Finding, *, blocking_rules: bool) -> str:
    """One check as "  ✓ code  title", marked ✗ when it blocks (with its fix below)."""
    if blocking_rules and is_blocking(finding):
        fix = f"\n      fix: {finding.fix}" if finding.fix else ""
        return f"  ✗ {finding.code:<22} {finding.title}{fix}"
    if finding.severity in (Severity.OK, Severity.INFO):
        return f"  ✓ {finding.code:<22} {finding.title}"
    note = " (does not block)" if blocking_rules else ""
    return f"  ! {finding.code:<22} {finding.title}{note}"


def print_result(result: ActionResult) -> None:
    """The outcome, and the ESP's state before and after."""
    mark = "✓" if result.ok else "✗"
    print(f"{mark} {result.message}")
    if result.cancelled:
        print("  The ESP may still finish the certificate: run this command again to switch.")
        return
    print(f"  ESP state before: {describe(result.before)}")
    print(f"  ESP state now:    {describe(result.after)}")


def result_status(result: ActionResult) -> int:
    """0 done, 130 cancelled, 2 failed."""
    if result.cancelled:
        return EXIT_INTERRUPTED
    return 0 if result.ok else EXIT_FAIL
