"""The steps that switch a tracking domain to HTTPS: certificate, wait until active, scheme flip."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from checks.model import HostReport
from esp_clients import Capability, CertificateState, EspError
from tui.actions.model import ActionResult, Located
from tui.actions.recorder import Recorder, relist

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Polling:
    """How to wait for a certificate: injected sleep and clock, interval and give-up time."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    interval: float = 5.0
    timeout: float = 300.0

    def pause(self, cancelled: threading.Event | None) -> bool:
        """Wait one interval; True when cancelled (the event, or Ctrl-C at a terminal)."""
        try:
            if cancelled is not None and self.sleep is time.sleep:
                return cancelled.wait(self.interval)
            self.sleep(self.interval)
        except KeyboardInterrupt:
            if cancelled is not None:
                cancelled.set()
            return True
        return cancelled is not None and cancelled.is_set()


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpsFlow:
    """Switches one located domain to HTTPS, auditing every step; the preflight has passed."""

    op: Located
    recorder: Recorder
    polling: Polling
    recheck: Callable[[], HostReport]
    progress: Progress
    cancelled: threading.Event | None = None

    def run(self) -> ActionResult:
        """Certificate first when the ESP manages one, then the flip and the TLS re-check."""
        if self.op.client.explain(Capability.CERTIFICATE) is None:
            waited = self.certificate()
            if isinstance(waited, ActionResult):
                return waited
        return self.flip()

    def certificate(self) -> CertificateState | ActionResult:
        """Request the certificate and wait until it is active; an ActionResult when it is not."""
        op = self.op
        self.progress(f"requesting a certificate for {op.host} from {op.label}…")
        self.recorder.intent(op, f"issue a certificate for {op.host}", action="certificate.request")
        try:
            state = op.client.request_certificate(op.domain)
        except EspError as error:
            return self.recorder.failed(op, f"requesting the certificate failed: {error}")
        self.recorder.step(
            op,
            result=f"certificate {state.status}",
            detail=state.detail,
            action="certificate.request",
        )
        return self.wait(state)

    def wait(self, state: CertificateState) -> CertificateState | ActionResult:
        """Poll the certificate until active, failed, timed out or cancelled."""
        started = self.polling.clock()
        while state.status != "active":
            elapsed = self.polling.clock() - started
            stop = self._stop(state, elapsed)
            if stop is not None:
                return stop
            self.progress(self._waiting(state, elapsed))
            if self.polling.pause(self.cancelled):
                return self.recorder.cancelled(self.op)
            try:
                state = self.op.client.certificate_status(self.op.domain)
            except EspError as error:
                return self.recorder.failed(self.op, f"checking the certificate failed: {error}")
        self.progress("certificate active")
        self.recorder.step(self.op, result="certificate active", action="certificate.wait")
        return state

    def _waiting(self, state: CertificateState, elapsed: float) -> str:
        if elapsed < self.polling.interval:
            return (
                f"certificate {state.status}: checking every {self.polling.interval:.0f} s, "
                f"for up to {self.polling.timeout:.0f} s…"
            )
        return f"certificate {state.status} ({elapsed:.0f} s)…"

    def _stop(self, state: CertificateState, elapsed: float) -> ActionResult | None:
        op = self.op
        if state.status in ("failed", "expired"):
            detail = state.detail or "no detail given"
            message = (
                f"{op.label} reports the certificate {state.status}: {detail}; HTTPS not "
                "switched. Fix what blocks issuance (CNAME, proxy, CAA), then try again"
            )
            return self.recorder.failed(op, message, result="certificate failed")
        if elapsed >= self.polling.timeout:
            message = (
                f"{op.label} is still issuing the certificate after {elapsed:.0f} s; HTTPS not "
                f"switched. Check later with `trackdeck scan`, then run "
                f"`trackdeck https enable {op.host}` again"
            )
            return self.recorder.failed(op, message, result="timed out")
        return None

    def flip(self) -> ActionResult:
        """Switch the links to https, then re-check TLS from outside. When the switch answers an
        error, the ESP is read again: a switch that took effect is reported done, not failed."""
        op = self.op
        self.progress(f"switching tracked links for {op.host} to https at {op.label}…")
        note = ""
        self.recorder.intent(op, f"send the links of {op.host} over HTTPS")
        try:
            after = op.client.set_https(op.domain, True)
        except EspError as error:
            switched = relist(op)
            if switched is None or switched.https is not True:
                issued = op.client.explain(Capability.CERTIFICATE) is None
                prefix = "certificate issued, " if issued else ""
                return self.recorder.failed(op, f"{prefix}scheme flip failed: {error}")
            after, note = switched, f" (its answer to the switch was an error: {error})"
        on = after.https is not False
        message = (
            f"{op.label} now sends links for {op.host} over HTTPS{note}"
            if on
            else f"{op.label} accepted the change but still reports HTTPS off for {op.host}"
        )
        result = self.recorder.done(
            op, after, ok=on, message=message, result="ok" if on else "unconfirmed"
        )
        self.progress("re-checking TLS…")
        return dataclasses.replace(result, recheck=self.recheck())
