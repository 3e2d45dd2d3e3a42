"""Write safety: the HTTPS flow and verification when the ESP fails halfway, Ctrl-C sent to a real
trackdeck process while the certificate is issued, and two trackdeck processes at once. After each,
the ESP's state is what a re-scan reports, and the audit log says what was attempted and what
happened (Escape in the dashboard and `read_only` are in test_write_refusals.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from checks.model import Severity
from tests.support.data import REPO
from tests.support.sim_server import SimServer
from tests.support.worlds import DnsWorld
from tests.support.write_stage import ACCOUNT, HOST, HTTPS_OFF, KEY, Stage, staged
from tui.actions.journal import AuditLog
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsps

ROOT = REPO


@pytest.fixture
def stage(world: DnsWorld, tmp_path: Path) -> Iterator[Stage]:
    with staged(world, tmp_path) as started:
        yield started


def test_esp_down_after_issuing_the_certificate(stage: Stage) -> None:
    def down_from_the_flip(request: httpx.Request, domain: SimDomain) -> httpx.Response | None:
        if domain.certificate == "active" and request.method == "PUT":
            stage.esps.fault = outage
            return outage(request, domain)
        return None

    def outage(request: httpx.Request, domain: SimDomain) -> httpx.Response:
        raise httpx.ConnectError("the ESP is down", request=request)

    stage.esps.fault = down_from_the_flip
    result = stage.actions().enable_https(HOST)
    assert not result.ok and result.after is None
    assert result.message.startswith("certificate issued, scheme flip failed: Mailgun")
    assert "could not be read back: check it with `trackdeck scan`" in result.message
    assert (stage.domain.certificate, stage.domain.https) == ("active", False)
    assert stage.steps()[-3:] == [
        ("certificate.wait", "certificate active"),
        ("https.enable", "started"),
        ("https.enable", "failed"),
    ]
    assert "could not connect" in stage.audit.entries()[-1].detail
    assert stage.rescan() == HTTPS_OFF


def test_the_flip_takes_effect_but_its_answer_is_lost(stage: Stage) -> None:
    def answer_lost(request: httpx.Request, domain: SimDomain) -> httpx.Response | None:
        if request.method == "PUT" and request.url.path == f"/v4/domains/{domain.key}":
            SimulatedEsps.handler(stage.esps, request)
            raise httpx.ReadTimeout("the answer never came", request=request)
        return None

    stage.esps.fault = answer_lost
    result = stage.actions().enable_https(HOST)
    assert result.ok and stage.domain.https is True
    assert "over HTTPS (its answer to the switch was an error: Mailgun" in result.message
    last = stage.audit.entries()[-1]
    assert (last.action, last.result, last.after) == (
        "https.enable", "ok", "verified, https on, certificate active"
    )  # fmt: skip
    assert stage.rescan() == {"esp.ok": Severity.OK}


def test_the_flip_answers_500(stage: Stage) -> None:
    def flip_fails(request: httpx.Request, domain: SimDomain) -> httpx.Response | None:
        if request.method == "PUT" and request.url.path == f"/v4/domains/{domain.key}":
            return httpx.Response(500, json={"message": "internal error"})
        return None

    stage.esps.fault = flip_fails
    result = stage.actions().enable_https(HOST)
    assert not result.ok and "scheme flip failed" in result.message and "HTTP 500" in result.message
    assert result.after is not None and result.after.https is False
    last = stage.audit.entries()[-1]
    assert (last.action, last.result) == ("https.enable", "failed")
    assert last.after == "verified, https off, certificate unknown"  # not read while https is off
    assert stage.rescan() == HTTPS_OFF


def test_verification_when_the_esp_fails(stage: Stage) -> None:
    stage.domain.verified = stage.domain.cname_valid = False

    def verify_fails(request: httpx.Request, domain: SimDomain) -> httpx.Response | None:
        if request.url.path.endswith("/verify"):
            return httpx.Response(503, text="<html>503 Service Unavailable</html>")
        return None

    stage.esps.fault = verify_fails
    result = stage.actions().verify(HOST)
    assert not result.ok and result.message.startswith("verification request failed")
    last = stage.audit.entries()[-1]
    assert (last.action, last.result, last.after) == (
        "verify", "failed", "unverified, https off, certificate unknown"
    )  # fmt: skip
    assert stage.rescan()["esp.not_verified"] is Severity.FAIL


# Cancelling while the certificate is issued ----------------------------------------------------


def child(stage: Stage, server: SimServer, *argv: str, poll: float = 0.1) -> subprocess.Popen[str]:
    """`trackdeck ARGV` in a new process against the stage (its ESP through `server`), checking
    the certificate every `poll` seconds."""
    inventory = stage.write_inventory(server.base_url(stage.esps.esp(ACCOUNT)))
    config = {
        "argv": [*argv, "-i", str(inventory), "--yes"],
        "authoritative_port": stage.world.authoritative.port,
        "poll_interval": poll,
    }
    environ = os.environ | {
        "TRACKDECK_SECRET_ACME_MG": KEY,
        "XDG_STATE_HOME": str(stage.audit.path.parent.parent),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "tests.support.trackdeck_driver", json.dumps(config)],
        cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen[str], within: float = 60) -> tuple[str, str]:
    """The child's remaining output once it exits; killed (and the test failed) if it does not."""
    try:
        return process.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"trackdeck did not exit:\n{out}\n{err}") from None


def test_ctrl_c_in_the_cli_while_the_certificate_is_issued(stage: Stage) -> None:
    stage.domain.polls_until_active = 10**6
    stage.audit = AuditLog(stage.path / "state" / "trackdeck" / "audit.jsonl")
    with SimServer(stage.esps) as server:
        process = child(stage, server, "https", "enable", HOST, poll=2.0)
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] and "certificate pending" not in lines[-1]:
            lines.append(process.stdout.readline())
        assert "certificate pending" in lines[-1], "".join(lines) + finish(process)[1]
        time.sleep(0.5)  # the child now waits 2 s for its next poll: Ctrl-C lands in the wait
        process.send_signal(signal.SIGINT)
        rest, err = finish(process)
    out = "".join(lines) + rest
    assert process.returncode == 130, err
    assert "cancelled while waiting for the certificate; HTTPS not switched" in out
    assert "Traceback" not in err
    assert (stage.domain.certificate, stage.domain.https) == ("pending", False)
    assert stage.steps()[-1] == ("certificate.wait", "cancelled")
    assert stage.rescan() == HTTPS_OFF


def test_two_processes_switch_the_same_host_at_once(stage: Stage) -> None:
    stage.audit = AuditLog(stage.path / "state" / "trackdeck" / "audit.jsonl")
    both = threading.Barrier(2, timeout=30)

    def together(request: httpx.Request, domain: SimDomain) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.startswith("/v2/x509/"):
            both.wait()  # both processes are past their preflight before either asks
        return None

    stage.esps.fault = together
    with SimServer(stage.esps) as server:
        processes = [child(stage, server, "https", "enable", HOST) for _ in range(2)]
        outputs = [finish(process) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    read = stage.audit.read()
    assert read.corrupt_lines == 0 and len(read.entries) == 12  # 6 per process, 2 of them intents
    finals = [entry for entry in read.entries if entry.action == "https.enable"]
    assert sorted(entry.result for entry in finals) == ["ok", "ok", "started", "started"]
    requests = [entry for entry in read.entries if entry.action == "certificate.request"]
    assert sum(entry.result != "started" for entry in requests) == 2
    assert (stage.domain.certificate, stage.domain.https) == ("active", True)
    assert stage.rescan() == {"esp.ok": Severity.OK}


def test_sigterm_in_the_cli_while_the_esp_switches_https(stage: Stage) -> None:
    """`kill` (or a closed SSH session) while the ESP carries out the switch: the intent was written
    before the call, and the outcome, read back from the ESP, after it; the process ends as for
    Ctrl-C. (Without this, SIGTERM killed the process between the ESP's change and any entry.)"""
    stage.domain.https, stage.domain.certificate = True, "active"
    stage.audit = AuditLog(stage.path / "state" / "trackdeck" / "audit.jsonl")
    arrived, release = threading.Event(), threading.Event()

    def slow_switch(request: httpx.Request, domain: SimDomain) -> httpx.Response | None:
        if request.method == "PUT" and request.url.path == f"/v4/domains/{domain.key}":
            answer = SimulatedEsps.handler(stage.esps, request)  # the ESP makes the change …
            arrived.set()
            release.wait(30)  # … and answers only after the process was told to stop
            return answer
        return None

    stage.esps.fault = slow_switch
    with SimServer(stage.esps) as server:
        process = child(stage, server, "https", "disable", HOST)
        try:
            assert arrived.wait(30), finish(process)
            process.send_signal(signal.SIGTERM)
            _out, err = finish(process)
        finally:
            release.set()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert stage.domain.https is False
    assert stage.steps()[-2:] == [("https.disable", "started"), ("https.disable", "interrupted")]
    outcome = stage.audit.entries()[-1]
    assert outcome.detail.startswith("interrupted (SIGTERM); the ESP's state was read back")
    assert (outcome.before, outcome.after) == (
        "verified, https on, certificate active", "verified, https off, certificate unknown"
    )  # fmt: skip
    assert stage.rescan() == HTTPS_OFF
