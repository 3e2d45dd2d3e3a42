"""Audit entries and results of the write actions, scrubbed of every secret the actions handled."""

from __future__ import annotations

from esp_clients import EspError, EspSecret, TrackingDomain
from esp_clients.redaction import redact
from tui.actions.journal import AuditLog
from tui.actions.model import ActionRefused, ActionResult, Located, describe
from tui.inventory.credentials import redact_secret_shapes

CANCELLED = "cancelled while waiting for the certificate; HTTPS not switched"
STARTED = "started"
"""The result of the entry written before a write call (its outcome follows in another entry)."""


class Recorder:
    """Writes each step of an action to the audit log and builds the action's result."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self._secrets: set[str] = set()

    def __repr__(self) -> str:
        return f"Recorder({self.audit!r})"

    def remember(self, secret: EspSecret) -> None:
        """Keep `secret` (or an AWS key's secret parts) to scrub it from everything written."""
        if isinstance(secret, str):
            self._secrets.add(secret)
            return
        self._secrets.update(
            part for part in (secret.secret_access_key, secret.session_token) if part
        )

    def secrets(self) -> tuple[str, ...]:
        """The secrets seen so far (for AuditLog's own scrubbing); never shown."""
        return tuple(self._secrets)

    def clean(self, text: str) -> str:
        """`text` without any secret seen or anything shaped like an API key."""
        return redact_secret_shapes(redact(text, sorted(self._secrets, key=len, reverse=True)))

    def record(
        self,
        account: str,
        host: str,
        action: str,
        *,
        result: str,
        detail: str = "",
        before: str = "",
        after: str = "",
    ) -> None:
        """One audit entry, every field scrubbed."""
        self.audit.record(
            account=account,
            host=host,
            action=action,
            before=self.clean(before),
            after=self.clean(after),
            result=result,
            detail=self.clean(detail),
        )

    def step(
        self,
        op: Located,
        *,
        result: str,
        after: TrackingDomain | None = None,
        detail: str = "",
        action: str | None = None,
    ) -> None:
        """One step of a located action, with the ESP's state before (and after, when known)."""
        self.record(
            op.account.name,
            op.host,
            action or op.action,
            result=result,
            detail=detail,
            before=describe(op.domain),
            after=describe(after) if after is not None else "",
        )

    def intent(self, op: Located, asking: str, *, action: str | None = None) -> None:
        """Before a write call: what is about to be asked, with the ESP's state before it. Written
        first, so that a process killed while the ESP works still leaves the attempt in the log."""
        self.step(op, result=STARTED, detail=f"asking {op.label} to {asking}", action=action)

    def interrupted(self, op: Located, action: str, why: str) -> None:
        """The process was interrupted (Ctrl-C, SIGTERM, SIGHUP) during `action`: the ESP's state
        is read back, so that the outcome of a write it may have carried out is recorded."""
        try:
            after = relist(op)
        except KeyboardInterrupt:  # interrupted again while reading back: record what is known
            after = None
        if after is None:
            detail = (
                f"{why}; the ESP's state could not be read back: check it with `trackdeck scan`"
            )
        else:
            detail = f"{why}; the ESP's state was read back after the interruption"
        self.step(op, result="interrupted", after=after, detail=detail, action=action)

    def refusal(self, refused: ActionRefused, action: str, host: str) -> None:
        """The refused attempt (read-only, unsafe, unsupported, …): audited too."""
        self.record(
            refused.account, refused.host or host, action, result="refused", detail=str(refused)
        )

    def done(
        self, op: Located, after: TrackingDomain, *, ok: bool, message: str, result: str
    ) -> ActionResult:
        """The ESP answered the write: audit it and say what changed."""
        self.step(op, after=after, result=result, detail=message)
        return _result(op, ok=ok, message=message, after=after)

    def unchanged(self, op: Located, message: str) -> ActionResult:
        """Nothing needed doing."""
        self.step(op, after=op.domain, result="unchanged", detail=message)
        return _result(op, ok=True, message=message, after=op.domain)

    def failed(self, op: Located, message: str, *, result: str = "failed") -> ActionResult:
        """A step failed: the ESP's state is read again so that `after` tells the truth."""
        message = self.clean(message)
        after = relist(op)
        if after is None:
            message += "; the ESP's state could not be read back: check it with `trackdeck scan`"
        self.step(op, after=after, result=result, detail=message)
        return _result(op, ok=False, message=message, after=after)

    def cancelled(self, op: Located) -> ActionResult:
        """The user cancelled while the certificate was being issued; nothing was switched."""
        self.step(op, result="cancelled", detail=CANCELLED, action="certificate.wait")
        return _result(op, ok=False, message=CANCELLED, after=None, cancelled=True)


def relist(op: Located) -> TrackingDomain | None:
    """The ESP's current view of the host, or None when it cannot be read."""
    try:
        domains = op.client.list_tracking_domains()
    except EspError:
        return None
    return next((domain for domain in domains if domain.host == op.host), None)


def _result(
    op: Located, *, ok: bool, message: str, after: TrackingDomain | None, cancelled: bool = False
) -> ActionResult:
    return ActionResult(
        host=op.host,
        account=op.account.name,
        action=op.action,
        ok=ok,
        message=message,
        before=op.domain,
        after=after,
        cancelled=cancelled,
    )
