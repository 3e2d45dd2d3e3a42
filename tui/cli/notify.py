"""`--notify-webhook`: after a recorded scan that found new problems, post a JSON summary of what
changed to a webhook (Slack-compatible: its `text` field is the message). The URL often carries a
secret (Slack's, Teams'), so it never comes from the command line and is never printed: it is read
from `TRACKDECK_SECRET_NOTIFY_WEBHOOK` or the keyring (`trackdeck creds set notify-webhook`)."""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from checks.model import Finding
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.cli.formats.markdown import hosts
from tui.history.model import PROBLEMS, Change, Resolved
from tui.inventory.credentials import CredentialStore, env_var_name
from tui.report.document import utc_text
from tui.report.summary import SYMBOLS

NOTIFY_ACCOUNT = "notify-webhook"
"""The keyring user (and `creds set` name) of the webhook URL."""
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LISTED = 20
"""Changes named in the message; the rest are counted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewProblem:
    """A finding that is new, or worse than in the previous scan."""

    row: ResultRow
    finding: Finding


def add_notify_option(parser: argparse.ArgumentParser) -> None:
    """`--notify-webhook`."""
    parser.add_argument(
        "--notify-webhook",
        action="store_true",
        help="post what changed to the webhook in $"
        f"{env_var_name(NOTIFY_ACCOUNT)} or the keyring (`trackdeck creds set {NOTIFY_ACCOUNT}`) "
        "when the scan found new problems",
    )


def new_problems(document: ScanDocument) -> list[NewProblem]:
    """Findings that are a problem and new or worse since the previous scan."""
    found = []
    for row in document.rows:
        for finding in row.report.findings:
            history = document.history_of(row, finding.code)
            if (
                history is not None
                and history.change in (Change.NEW, Change.WORSE)
                and finding.severity in PROBLEMS
            ):
                found.append(NewProblem(row=row, finding=finding))
    return sorted(found, key=lambda item: (item.finding.severity.rank, item.row.host))


def message(document: ScanDocument, problems: list[NewProblem]) -> dict[str, object]:
    """The JSON posted: Slack's `text`, and the same facts as data under `trackdeck`."""
    resolved = document.resolved
    lines = [
        f"trackdeck {document.command}: {len(problems)} new problem"
        f"{'' if len(problems) == 1 else 's'}, {len(resolved)} resolved "
        f"({hosts(len(document.rows))}, {utc_text(document.finished_at)})"
    ]
    for item in problems[:LISTED]:
        finding = item.finding
        lines.append(
            f"{SYMBOLS[finding.severity]} {item.row.host} {finding.code}: {finding.title}"
            + (f" — fix: {finding.fix}" if finding.fix else "")
        )
    if len(problems) > LISTED:
        lines.append(f"… and {len(problems) - LISTED} more")
    for gone in resolved[:LISTED]:
        lines.append(f"✓ {gone.subject.host} {gone.code} resolved")
    return {
        "text": "\n".join(lines),
        "trackdeck": {
            "command": document.command,
            "generated_at": utc_text(document.finished_at),
            "trackdeck_version": document.version,
            "hosts": len(document.rows),
            "new": [_problem_json(item) for item in problems],
            "resolved": [_resolved_json(item) for item in resolved],
        },
    }


def notify(
    document: ScanDocument,
    store: CredentialStore,
    *,
    post: Callable[[str, dict[str, object]], int] | None = None,
) -> None:
    """Post the summary if the scan found new problems; one line on stderr if that fails."""
    problems = new_problems(document)
    if document.recorded is None or document.recorded.previous_at is None or not problems:
        return  # nothing new, or no earlier scan to compare with (the first would name everything)
    url = store.named_secret(NOTIFY_ACCOUNT)
    where = f"trackdeck {document.command}: --notify-webhook"
    if not url:
        print(
            f"{where}: no webhook URL: set {env_var_name(NOTIFY_ACCOUNT)} or run "
            f"`trackdeck creds set {NOTIFY_ACCOUNT}`",
            file=sys.stderr,
        )
        return
    host = urllib.parse.urlsplit(url).hostname or "the webhook"
    try:
        status = (post or _post)(url, message(document, problems))
    except httpx.HTTPError as error:
        print(f"{where}: {host} did not answer ({type(error).__name__})", file=sys.stderr)
        return
    if not 200 <= status < 300:
        print(f"{where}: {host} answered HTTP {status}", file=sys.stderr)


def _post(url: str, body: dict[str, object]) -> int:
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.post(url, json=body).status_code


def _problem_json(item: NewProblem) -> dict[str, object]:
    return {
        "host": item.row.host,
        "account": item.row.account,
        "code": item.finding.code,
        "severity": item.finding.severity.value,
        "title": item.finding.title,
        "fix": item.finding.fix,
    }


def _resolved_json(item: Resolved) -> dict[str, object]:
    return {"host": item.subject.host, "account": item.subject.account, "code": item.code}
