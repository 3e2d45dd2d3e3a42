"""The write actions: refusals (audited, before any ESP call), the HTTPS preflight, the certificate
wait with progress, cancellation, failures reported truthfully, and secrets kept out of everything."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from checks.context import CheckContext
from esp_clients import (
    AccountRef,
    Capability,
    CertificateState,
    EspError,
    EspSecret,
    EspUnavailable,
    TrackingDomain,
    Unsupported,
)
from tests.support.fakes import DOMAIN_CAPABILITIES, MemoryKeyring, NoClicks, domain
from tests.support.worlds import FIXED_NOW, DnsWorld, tls_world
from tui.actions.journal import AuditEntry, AuditLog
from tui.actions.writes import HTTPS_DISABLE, HTTPS_ENABLE, VERIFY, ActionRefused, Actions
from tui.fleet.esp_accounts import default_client_factory
from tui.inventory.credentials import CredentialStore
from tui.inventory.load import load_inventory
from tui.inventory.model import Account, Inventory
from tui.sim.dns_server import Rule
from tui.sim.tls_world import TlsWorld

CANARY = "canary-5eb1d7c0-never-shown"
HEALTHY = "links-mg.brand.example"
INVENTORY = """
[accounts.acme-mg]
esp = "mailgun"

[accounts.acme-sg]
esp = "sendgrid"

[accounts.acme-md]
esp = "mandrill"

[accounts.acme-rs]
esp = "resend"

[accounts.acme-ses]
esp = "ses"
region = "us-east-1"

[accounts.acme-pm]
esp = "postmark"

[accounts.acme-nokey]
esp = "mailgun"

[[brands]]
name = "Brand"
tracking = [
  { host = "links-mg.brand.example", account = "acme-mg" },
  { host = "proxied.brand.example", account = "acme-mg" },
  { host = "links.caa-blocked.example", account = "acme-mg" },
  { host = "links-sg.brand.example", account = "acme-sg" },
  { host = "links-ses.brand.example", account = "acme-ses" },
  { host = "links-eu.brand.example", account = "acme-pm", expect_target = "eu.mailgun.org" },
  { host = "stale.brand.example", account = "acme-mg" },
  { host = "stale.brand.example", account = "acme-nokey" },
  { host = "wrong.brand.example", account = "acme-md" },
  { host = "plain.brand.example", account = "acme-rs" },
]
"""
SECRETS = {name: CANARY for name in ("acme-mg", "acme-sg", "acme-md", "acme-rs")}
SES_ENV = {"TRACKDECK_SECRET_ACME_SES": f"AKIDEXAMPLE:{CANARY}"}


@dataclass
class ScriptedEsp:
    """An ESP account in memory whose certificate and write calls follow a script."""

    domains: list[TrackingDomain]
    label: str = "Mailgun"
    capabilities: frozenset[Capability] = DOMAIN_CAPABILITIES
    pending_polls: int = 2
    final_certificate: CertificateState = field(
        default_factory=lambda: CertificateState(status="active")
    )
    request_error: EspError | None = None
    flip_error: BaseException | None = None
    flip_error_after_change: bool = False
    verify_changes: dict[str, object] = field(default_factory=dict)
    verify_error: EspError | None = None
    list_error: EspError | None = None
    on_flip: Callable[[], None] | None = None
    calls: list[str] = field(default_factory=list)
    secrets: list[EspSecret] = field(default_factory=list)
    polls: int = 0

    def replace(self, host: str, **changes: object) -> TrackingDomain:
        """Change the stored domain `host` and return its new state."""
        for index, item in enumerate(self.domains):
            if item.host == host:
                self.domains[index] = dataclasses.replace(item, **changes)  # type: ignore[arg-type]
                return self.domains[index]
        raise AssertionError(f"{host} is not in the scripted ESP")


class ScriptedClient(NoClicks):
    """An EspClient over a ScriptedEsp."""

    def __init__(self, account: AccountRef, esp: ScriptedEsp) -> None:
        self.account = account
        self.label = esp.label
        self.capabilities = esp.capabilities
        self._esp = esp

    def explain(self, capability: Capability) -> Unsupported | None:
        if capability in self.capabilities:
            return None
        reason = f"{self.label}'s API cannot do {capability.value}: use its console"
        return Unsupported(capability=capability, reason=reason)

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        self._esp.calls.append("list")
        if self._esp.list_error is not None:
            raise self._esp.list_error
        return tuple(self._esp.domains)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        self._esp.calls.append("verify")
        if self._esp.verify_error is not None:
            raise self._esp.verify_error
        return self._esp.replace(domain.host, **self._esp.verify_changes)

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        self._esp.calls.append("certificate.request")
        if self._esp.request_error is not None:
            raise self._esp.request_error
        self._esp.replace(domain.host, certificate=CertificateState(status="pending"))
        return CertificateState(status="pending", detail="issuance started")

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        self._esp.calls.append("certificate.status")
        self._esp.polls += 1
        if self._esp.polls <= self._esp.pending_polls:
            return CertificateState(status="pending")
        self._esp.replace(domain.host, certificate=self._esp.final_certificate)
        return self._esp.final_certificate

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        self._esp.calls.append(f"https {'on' if enabled else 'off'}")
        if self._esp.flip_error is not None:
            if self._esp.flip_error_after_change:
                self._esp.replace(domain.host, https=enabled)
            raise self._esp.flip_error
        if self._esp.on_flip is not None:
            self._esp.on_flip()
        return self._esp.replace(domain.host, https=enabled)

    def close(self) -> None:
        self._esp.calls.append("close")


@dataclass
class FakeTime:
    """A clock that only moves when the code sleeps."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@dataclass
class Rig:
    """Actions over the loopback DNS world, a scripted ESP, a fake clock and a tmp audit log."""

    actions: Actions
    esp: ScriptedEsp
    time: FakeTime
    audit: AuditLog
    factory_calls: list[str]

    def entries(self) -> tuple[AuditEntry, ...]:
        return self.audit.entries()

    def audit_text(self) -> str:
        return self.audit.path.read_text() if self.audit.path.exists() else ""


def write_inventory(tmp_path: Path, text: str = INVENTORY) -> Inventory:
    path = tmp_path / "inventory.toml"
    path.write_text(text)
    return load_inventory(path)


def memory_store(secrets: dict[str, str] | None = None) -> CredentialStore:
    return CredentialStore(
        environ=SES_ENV, keyring_backend=MemoryKeyring(SECRETS if secrets is None else secrets)
    )


def make_rig(
    tmp_path: Path,
    ctx: CheckContext,
    esp: ScriptedEsp,
    *,
    read_only: bool = False,
    store: CredentialStore | None = None,
) -> Rig:
    fake_time = FakeTime()
    audit = AuditLog(tmp_path / "state" / "audit.jsonl", user="tester")
    factory_calls: list[str] = []

    def factory(account: Account, secret: EspSecret) -> ScriptedClient:
        factory_calls.append(account.name)
        esp.secrets.append(secret)
        return ScriptedClient(account.ref(), esp)

    actions = Actions(
        write_inventory(tmp_path),
        ctx,
        store or memory_store(),
        audit,
        client_factory=factory,
        read_only=read_only,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        poll_interval=5.0,
        poll_timeout=60.0,
    )
    return Rig(actions, esp, fake_time, audit, factory_calls)


def https_off(host: str = HEALTHY, account: str = "acme-mg", **changes: object) -> TrackingDomain:
    """A verified domain whose links still go out over http, with no certificate yet."""
    base = domain(host, account, https=False, certificate=CertificateState(status="none"))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def esp() -> ScriptedEsp:
    hosts = (HEALTHY, "proxied.brand.example", "links.caa-blocked.example", "stale.brand.example")
    return ScriptedEsp(domains=[https_off(host) for host in hosts])


@pytest.fixture
def rig(tmp_path: Path, ctx: CheckContext, esp: ScriptedEsp) -> Rig:
    return make_rig(tmp_path, ctx, esp)


def results(rig: Rig) -> list[tuple[str, str]]:
    return [(entry.action, entry.result) for entry in rig.entries()]


# Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [VERIFY, HTTPS_ENABLE, HTTPS_DISABLE])
def test_read_only_refuses_before_any_esp_call_and_is_audited(
    tmp_path: Path, ctx: CheckContext, esp: ScriptedEsp, action: str
) -> None:
    rig = make_rig(tmp_path, ctx, esp, read_only=True)
    call = {
        VERIFY: rig.actions.verify,
        HTTPS_ENABLE: rig.actions.enable_https,
        HTTPS_DISABLE: rig.actions.disable_https,
    }[action]
    with pytest.raises(ActionRefused) as refused:
        call(HEALTHY)
    assert refused.value.kind == "read-only" and "read-only" in str(refused.value)
    assert rig.factory_calls == [] and esp.calls == []
    (entry,) = rig.entries()
    assert (entry.action, entry.result, entry.account, entry.host) == (
        action,
        "refused",
        "acme-mg",
        HEALTHY,
    )
    assert "read-only" in entry.detail and entry.user == "tester"
    assert rig.actions.can(HEALTHY, action) == str(refused.value)


@pytest.mark.parametrize(
    ("host", "account", "kind", "words"),
    [
        ("nowhere.brand.example", None, "not-in-inventory", "not listed in"),
        (HEALTHY, "acme-sg", "not-in-inventory", "is under acme-mg"),
        ("stale.brand.example", None, "ambiguous", "--account"),
        ("links..brand.example", None, "not-in-inventory", "not a host name"),
        ("links-eu.brand.example", None, "dns-only", "Postmark"),
        ("stale.brand.example", "acme-nokey", "no-credentials", "TRACKDECK_SECRET_ACME_NOKEY"),
    ],
)
def test_refusals_say_why_in_one_line(
    rig: Rig, host: str, account: str | None, kind: str, words: str
) -> None:
    with pytest.raises(ActionRefused) as refused:
        rig.actions.verify(host, account)
    message = str(refused.value)
    assert refused.value.kind == kind and words in message and "\n" not in message
    assert rig.esp.calls == []
    assert results(rig) == [(VERIFY, "refused")]
    assert rig.actions.can(host, VERIFY, account) == message


def test_host_missing_at_the_esp_names_the_account(rig: Rig) -> None:
    rig.esp.domains = [d for d in rig.esp.domains if d.host != HEALTHY]
    with pytest.raises(ActionRefused) as refused:
        rig.actions.enable_https(HEALTHY)
    assert refused.value.kind == "not-found"
    assert "not a tracking domain of the Mailgun account acme-mg" in str(refused.value)
    assert rig.esp.calls == ["list", "close"]


def test_unreadable_list_is_refused_truthfully(rig: Rig) -> None:
    rig.esp.list_error = EspUnavailable("HTTP 503", esp="Mailgun", account="acme-mg", status=503)
    with pytest.raises(ActionRefused) as refused:
        rig.actions.verify(HEALTHY)
    assert refused.value.kind == "esp-error" and "HTTP 503" in str(refused.value)
    assert results(rig) == [(VERIFY, "refused")]


def untouchable_transport(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no ESP API may be called: {request.url}")


@pytest.mark.parametrize(
    ("host", "action", "words"),
    [
        ("links-sg.brand.example", HTTPS_ENABLE, "Auto-SSL"),
        ("links-sg.brand.example", HTTPS_DISABLE, "SendGrid's API cannot turn HTTPS off"),
        ("wrong.brand.example", HTTPS_ENABLE, "Mandrill's API has no HTTPS setting"),
        ("plain.brand.example", HTTPS_ENABLE, "Resend issues the tracking certificate itself"),
        ("links-ses.brand.example", VERIFY, "SES has no verify call"),
    ],
)
def test_real_clients_explain_what_their_api_cannot_do(
    tmp_path: Path, ctx: CheckContext, host: str, action: str, words: str
) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl", user="tester")
    with httpx.Client(transport=httpx.MockTransport(untouchable_transport)) as http:
        actions = Actions(
            write_inventory(tmp_path),
            ctx,
            memory_store(),
            audit,
            client_factory=default_client_factory(http),
        )
        call = {
            VERIFY: actions.verify,
            HTTPS_ENABLE: actions.enable_https,
            HTTPS_DISABLE: actions.disable_https,
        }[action]
        with pytest.raises(ActionRefused) as refused:
            call(host)
    assert refused.value.kind == "unsupported" and words in str(refused.value)
    assert actions.can(host, action) == str(refused.value)
    assert audit.entries()[0].result == "refused" and CANARY not in audit.path.read_text()


# The preflight ---------------------------------------------------------------------------------


def test_preflight_passes_a_healthy_host_and_tls_does_not_block(rig: Rig) -> None:
    preflight = rig.actions.preflight_https(HEALTHY)
    codes = preflight.report.codes()
    assert preflight.passed and preflight.blocking == ()
    assert {"dns.ok", "caa.ok", "esp.https_off", "esp.verified"} <= set(codes)
    assert "tls.unreachable" in codes
    assert rig.esp.calls == ["list", "close"]


@pytest.mark.parametrize(
    ("host", "code", "fix"),
    [
        ("proxied.brand.example", "dns.proxied", "DNS only"),
        ("links.caa-blocked.example", "caa.blocks_issuer", 'issue "letsencrypt.org"'),
    ],
)
def test_unsafe_dns_refuses_with_the_finding_and_its_fix(
    rig: Rig, host: str, code: str, fix: str
) -> None:
    preflight = rig.actions.preflight_https(host)
    assert not preflight.passed
    (blocking,) = [finding for finding in preflight.blocking if finding.code == code]
    assert fix in blocking.fix
    with pytest.raises(ActionRefused) as refused:
        rig.actions.enable_https(host, preflight=preflight)
    assert refused.value.kind == "preflight" and code in str(refused.value)
    assert refused.value.preflight is preflight
    assert "certificate.request" not in rig.esp.calls and "https on" not in rig.esp.calls
    assert results(rig)[-1] == (HTTPS_ENABLE, "refused")


def test_an_unverified_domain_blocks(rig: Rig) -> None:
    rig.esp.replace(HEALTHY, verified=False, problems=("CNAME not found",))
    with pytest.raises(ActionRefused) as refused:
        rig.actions.enable_https(HEALTHY)
    assert refused.value.preflight is not None
    assert [f.code for f in refused.value.preflight.blocking] == ["esp.not_verified"]
    assert "https on" not in rig.esp.calls


def test_dns_lookup_failure_blocks(rig: Rig, world: DnsWorld) -> None:
    world.resolver.set_rules([Rule(name=HEALTHY, rcode="SERVFAIL")])
    preflight = rig.actions.preflight_https(HEALTHY)
    assert "dns.lookup_failed" in [finding.code for finding in preflight.blocking]


def test_force_goes_past_the_preflight_and_says_so_in_the_audit(rig: Rig) -> None:
    result = rig.actions.enable_https("proxied.brand.example", force=True)
    assert result.ok and rig.esp.calls.count("https on") == 1
    overridden = next(entry for entry in rig.entries() if entry.action == "preflight")
    assert overridden.result == "preflight overridden" and "dns.proxied" in overridden.detail


# The HTTPS flow --------------------------------------------------------------------------------


def test_full_enable_flow_waits_for_the_certificate_with_progress(rig: Rig) -> None:
    messages: list[str] = []
    result = rig.actions.enable_https(HEALTHY, progress=messages.append)
    assert result.ok and result.message == f"Mailgun now sends links for {HEALTHY} over HTTPS"
    assert result.before is not None and result.before.https is False
    assert result.after is not None and result.after.https is True
    assert result.recheck is not None and "tls.unreachable" in result.recheck.codes()
    assert rig.esp.calls == [
        "list",
        "certificate.request",
        "certificate.status",
        "certificate.status",
        "certificate.status",
        "https on",
        "close",
    ]
    assert rig.time.sleeps == [5.0, 5.0, 5.0]
    assert messages[1].startswith("certificate pending: checking every 5 s, for up to 60 s")
    assert "certificate pending (10 s)…" in messages
    assert messages[-2:] == [
        f"switching tracked links for {HEALTHY} to https at Mailgun…",
        "re-checking TLS…",
    ]
    assert results(rig) == [
        ("preflight", "preflight passed"),
        ("certificate.request", "started"),  # written before the ESP is asked
        ("certificate.request", "certificate pending"),
        ("certificate.wait", "certificate active"),
        (HTTPS_ENABLE, "started"),
        (HTTPS_ENABLE, "ok"),
    ]
    intent = rig.entries()[-2]
    assert intent.detail == f"asking Mailgun to send the links of {HEALTHY} over HTTPS"
    assert intent.before == "verified, https off, certificate none" and intent.after == ""
    last = rig.entries()[-1]
    assert last.before == "verified, https off, certificate none"
    assert last.after == "verified, https on, certificate active"


@pytest.fixture
def tls() -> Iterator[TlsWorld]:
    with tls_world() as started:
        yield started


def test_recheck_sees_the_new_certificate(
    tmp_path: Path, world: DnsWorld, esp: ScriptedEsp, tls: TlsWorld
) -> None:
    tls.add("192.0.2.2", kind="wrong_name", host=HEALTHY, now=FIXED_NOW)
    ctx = world.context(dialer=tls.dialer, ca_bundle=str(tls.certificates.ca_bundle_path))

    def install_valid_certificate() -> None:
        tls.add("192.0.2.2", kind="valid", host=HEALTHY, now=FIXED_NOW)

    esp.on_flip = install_valid_certificate
    rig = make_rig(tmp_path, ctx, esp)
    preflight = rig.actions.preflight_https(HEALTHY)
    assert preflight.passed and "tls.hostname_mismatch" in preflight.report.codes()
    result = rig.actions.enable_https(HEALTHY, preflight=preflight)
    assert result.recheck is not None and "tls.ok" in result.recheck.codes()
    assert "tls.hostname_mismatch" not in result.recheck.codes()


def test_failed_certificate_stops_with_the_esp_detail(rig: Rig) -> None:
    rig.esp.final_certificate = CertificateState(status="failed", detail="acme: CAA forbids")
    result = rig.actions.enable_https(HEALTHY)
    assert not result.ok and "acme: CAA forbids" in result.message
    assert "HTTPS not switched" in result.message and "https on" not in rig.esp.calls
    assert result.after is not None and result.after.certificate.status == "failed"
    assert results(rig)[-1] == (HTTPS_ENABLE, "certificate failed")


def test_timeout_says_the_esp_is_still_issuing(rig: Rig) -> None:
    rig.esp.pending_polls = 1000
    result = rig.actions.enable_https(HEALTHY)
    assert not result.ok and "still issuing the certificate after 60 s" in result.message
    assert f"trackdeck https enable {HEALTHY}" in result.message
    assert "https on" not in rig.esp.calls and rig.time.now == 60.0
    assert results(rig)[-1] == (HTTPS_ENABLE, "timed out")


def test_cancel_while_waiting_switches_nothing(rig: Rig) -> None:
    cancelled = threading.Event()

    def progress(message: str) -> None:
        if message.startswith("certificate pending"):
            cancelled.set()

    result = rig.actions.enable_https(HEALTHY, progress=progress, cancelled=cancelled)
    assert result.cancelled and not result.ok
    assert result.message == "cancelled while waiting for the certificate; HTTPS not switched"
    assert "https on" not in rig.esp.calls
    last = rig.entries()[-1]
    assert (last.action, last.result) == ("certificate.wait", "cancelled")
    assert "HTTPS not switched" in last.detail


def test_ctrl_c_during_the_wait_is_a_clean_cancel(rig: Rig) -> None:
    def interrupted_sleep(_seconds: float) -> None:
        raise KeyboardInterrupt

    rig.actions.polling = dataclasses.replace(rig.actions.polling, sleep=interrupted_sleep)
    result = rig.actions.enable_https(HEALTHY)
    assert result.cancelled and "https on" not in rig.esp.calls
    assert results(rig)[-1] == ("certificate.wait", "cancelled")


def test_ctrl_c_during_a_write_is_audited_and_propagates(rig: Rig) -> None:
    rig.esp.pending_polls = 0
    rig.esp.flip_error = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        rig.actions.enable_https(HEALTHY)
    assert results(rig)[-2:] == [(HTTPS_ENABLE, "started"), (HTTPS_ENABLE, "interrupted")]
    last = rig.entries()[-1]
    assert "the ESP's state was read back after the interruption" in last.detail
    assert last.after == "verified, https off, certificate active"  # what the ESP says now
    assert rig.esp.calls[-2:] == ["list", "close"]


def test_sigterm_during_a_write_reads_the_outcome_back(rig: Rig) -> None:
    """SIGTERM reaches the action as KeyboardInterrupt("SIGTERM") (tui/cli/writes.py)."""
    rig.esp.replace(HEALTHY, https=True, certificate=CertificateState(status="active"))
    rig.esp.flip_error = KeyboardInterrupt("SIGTERM")  # the process is told to stop …
    rig.esp.flip_error_after_change = True  # … after the ESP made the change, before its answer
    with pytest.raises(KeyboardInterrupt):
        rig.actions.disable_https(HEALTHY)
    assert results(rig) == [(HTTPS_DISABLE, "started"), (HTTPS_DISABLE, "interrupted")]
    last = rig.entries()[-1]
    assert last.detail.startswith("interrupted (SIGTERM); the ESP's state was read back")
    assert (last.before, last.after) == (
        "verified, https on, certificate active", "verified, https off, certificate active"
    )  # fmt: skip


def test_flip_failure_after_issuance_is_reported_truthfully(rig: Rig) -> None:
    rig.esp.pending_polls = 0
    rig.esp.flip_error = EspUnavailable(
        f"HTTP 500: internal error (key {CANARY})", esp="Mailgun", account="acme-mg", status=500
    )
    result = rig.actions.enable_https(HEALTHY)
    assert not result.ok and result.recheck is None
    assert result.message.startswith("certificate issued, scheme flip failed: Mailgun")
    assert "HTTP 500" in result.message
    assert result.after is not None
    assert result.after.https is False and result.after.certificate.status == "active"
    last = rig.entries()[-1]
    assert (last.action, last.result) == (HTTPS_ENABLE, "failed")
    assert "scheme flip failed" in last.detail and "certificate active" in last.after
    assert_no_canary(rig, result)


def test_certificate_request_failure(rig: Rig) -> None:
    rig.esp.request_error = EspUnavailable("HTTP 502", esp="Mailgun", account="acme-mg")
    result = rig.actions.enable_https(HEALTHY)
    assert not result.ok and "requesting the certificate failed" in result.message
    assert "https on" not in rig.esp.calls


def test_https_without_certificate_calls_flips_after_the_preflight(
    tmp_path: Path, ctx: CheckContext
) -> None:
    ses = ScriptedEsp(
        domains=[
            https_off(
                "links-ses.brand.example",
                "acme-ses",
                esp="ses",
                expected_target="r.us-east-1.awstrack.me",
                certificate=CertificateState(status="unknown"),
            )
        ],
        label="Amazon SES",
        capabilities=frozenset({Capability.LIST, Capability.HTTPS_ENABLE}),
    )
    rig = make_rig(tmp_path, ctx, ses)
    result = rig.actions.enable_https("links-ses.brand.example")
    assert result.ok and ses.calls == ["list", "https on", "close"]
    assert rig.time.sleeps == []
    assert ses.secrets and not isinstance(ses.secrets[0], str)


def test_already_on_changes_nothing(rig: Rig) -> None:
    rig.esp.replace(HEALTHY, https=True, certificate=CertificateState(status="active"))
    result = rig.actions.enable_https(HEALTHY)
    assert result.ok and "already on" in result.message
    assert rig.esp.calls == ["list", "close"]
    assert results(rig) == [(HTTPS_ENABLE, "unchanged")]


def test_disable(rig: Rig) -> None:
    rig.esp.replace(HEALTHY, https=True, certificate=CertificateState(status="active"))
    result = rig.actions.disable_https(HEALTHY)
    assert result.ok and result.after is not None and result.after.https is False
    assert results(rig) == [(HTTPS_DISABLE, "started"), (HTTPS_DISABLE, "ok")]


# Verify ----------------------------------------------------------------------------------------


def test_verify_success(rig: Rig) -> None:
    rig.esp.replace(HEALTHY, verified=False)
    rig.esp.verify_changes = {"verified": True}
    result = rig.actions.verify(HEALTHY)
    assert result.ok and result.message == f"Mailgun reports {HEALTHY} verified"
    assert result.before is not None and result.before.verified is False
    intent, entry = rig.entries()
    assert (intent.action, intent.result) == (VERIFY, "started")
    assert (entry.action, entry.result) == (VERIFY, "verified")
    assert entry.before.startswith("unverified") and entry.after.startswith("verified")


def test_verify_still_unverified_says_why(rig: Rig) -> None:
    rig.esp.verify_changes = {"verified": False, "problems": ("CNAME points elsewhere",)}
    result = rig.actions.verify(HEALTHY)
    assert not result.ok and "still reports" in result.message
    assert "CNAME points elsewhere" in result.message
    assert results(rig) == [(VERIFY, "started"), (VERIFY, "unverified")]


def test_verify_esp_error_is_a_result_not_a_traceback(rig: Rig) -> None:
    rig.esp.verify_error = EspUnavailable(f"timed out ({CANARY})", esp="Mailgun", account="acme-mg")
    result = rig.actions.verify(HEALTHY)
    assert not result.ok and result.message.startswith("verification request failed: Mailgun")
    assert result.after is not None and result.after.host == HEALTHY
    assert results(rig) == [(VERIFY, "started"), (VERIFY, "failed")]
    assert_no_canary(rig, result)


# Secrets ---------------------------------------------------------------------------------------


def assert_no_canary(rig: Rig, *values: object) -> None:
    assert CANARY not in rig.audit_text()
    for value in (*values, rig.actions, rig.actions.recorder):
        assert CANARY not in str(value) and CANARY not in repr(value)


def test_the_secret_reaches_the_client_and_nothing_else(rig: Rig) -> None:
    rig.esp.request_error = EspUnavailable(
        f"bad gateway for api:{CANARY}@api.mailgun.net", esp="Mailgun", account="acme-mg"
    )
    result = rig.actions.enable_https(HEALTHY)
    assert rig.esp.secrets == [CANARY]
    assert "[redacted]" in result.message or "***" in result.message
    assert_no_canary(rig, result)
    with pytest.raises(ActionRefused) as refused:
        rig.actions.enable_https("proxied.brand.example")
    assert_no_canary(rig, refused.value)
