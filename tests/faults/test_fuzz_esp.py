"""Fuzzing every ESP response parser, then every ESP client end to end with random answers through
an httpx MockTransport: nothing but the documented errors escapes (ShapeError from the parsers,
EspError from the clients), and every TrackingDomain, certificate and finding is well-formed."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.model import Expectation, Finding, Severity
from esp_clients import (
    AccountRef,
    AwsCredentials,
    Capability,
    CertificateState,
    EspClient,
    EspError,
    EspSecret,
    TrackingDomain,
    mailgun,
    make_client,
    mandrill,
    resend,
    sendgrid,
    ses,
    sparkpost,
)
from esp_clients.shapes import ShapeError, error_message_common, normalize_host
from tests.support.fuzzing import CONTROL, fuzz, json_values, mutated
from tui.fleet.esp_view import EspAccountView, account_problem, esp_findings
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp

ACCOUNT = "acme"
CERTIFICATE_STATES = frozenset({"active", "pending", "failed", "expired", "none", "unknown"})
VOCABULARY = st.sampled_from(
    [
        "id", "domain", "subdomain", "dns", "domain_cname", "host", "valid", "data", "type",
        "items", "total_count", "name", "web_prefix", "tracking_host", "sending_dns_records",
        "record_type", "value", "cached", "state", "web_scheme", "is_disabled", "disabled",
        "reason", "status", "error", "certificate", "cname", "valid_tracking", "created_at",
        "last_tested_at", "valid_after", "results", "tls_status", "uses_managed_certificate",
        "tls_certificate", "error_code", "expires_at", "issued_at", "cname_status", "verified",
        "compliance_status", "secure", "port", "default", "subaccount_id", "message",
        "supportsManagedCertificate", "ConfigurationSets", "NextToken", "TrackingOptions",
        "CustomRedirectDomain", "HttpsPolicy", "ConfigurationSetName", "VerificationStatus",
        "VerifiedForSendingStatus", "has_more", "tracking_subdomain", "records", "record",
        "region", "click_tracking", "open_tracking", "acme_challenge_cname",
        "cf_custom_hostname_txt", "validation_results", "legacy", "username", "user_id",
        "errors", "description", "__type", "code", "Message", "Reason", "Description", "domain",
    ]
) | st.text(max_size=10)  # fmt: skip
BODIES = json_values(VOCABULARY)


def assert_clean(text: str) -> None:
    assert isinstance(text, str) and not CONTROL.search(text), repr(text)


def assert_certificate(certificate: CertificateState) -> None:
    assert certificate.status in CERTIFICATE_STATES
    assert_clean(certificate.detail)
    assert certificate.expires_at is None or isinstance(certificate.expires_at, str)


def assert_domain(domain: TrackingDomain, esp: str) -> None:
    """A TrackingDomain as every consumer expects it."""
    assert isinstance(domain, TrackingDomain)
    assert (domain.esp, domain.account) == (esp, ACCOUNT)
    assert domain.host == normalize_host(domain.host)
    for text in (domain.host, domain.expected_target or "", *domain.problems):
        assert_clean(text)
    for key, value in domain.details:
        assert_clean(key)
        assert_clean(value)
    for flag in (domain.verified, domain.cname_valid, domain.https):
        assert flag in (True, False, None)
    assert_certificate(domain.certificate)


def assert_finding(finding: Finding) -> None:
    assert finding.code.startswith("esp.") and isinstance(finding.severity, Severity)
    for text in (finding.title, finding.detail, finding.fix, *finding.evidence):
        assert_clean(text)


def _sparkpost_certificate(body: object) -> CertificateState:
    if not isinstance(body, Mapping):
        raise ShapeError("not an object")
    return sparkpost.parse_certificate(body)


def _resend_may_track(body: object) -> bool:
    return resend.may_track(body) if isinstance(body, Mapping) else True


def _ses_domain(body: object) -> TrackingDomain | None:
    options = ses.parse_configuration_set(body, "cs")
    if options is None:
        return None
    return ses.build_domain(options, ses.parse_identity(body), account=ACCOUNT, region="eu-west-1")


PARSERS: dict[str, dict[str, Callable[[object], Any]]] = {
    "sendgrid": {
        "parse_link": lambda b: sendgrid.parse_link(b, ACCOUNT),
        "parse_validation": sendgrid.parse_validation,
    },
    "mailgun": {
        "parse_domain_page": mailgun.parse_domain_page,
        "parse_domain": lambda b: mailgun.parse_domain(b, ACCOUNT),
        "parse_certificate": mailgun.parse_certificate,
    },
    "mandrill": {"parse_tracking_domain": lambda b: mandrill.parse_tracking_domain(b, ACCOUNT)},
    "sparkpost": {
        "parse_list": lambda b: sparkpost.parse_list(b, account=ACCOUNT),
        "parse_single": lambda b: sparkpost.parse_single(b, account=ACCOUNT),
        "parse_certificate": _sparkpost_certificate,
        "parse_verify": sparkpost.parse_verify,
        "parse_eligible": sparkpost.parse_eligible,
        "parse_enable": sparkpost.parse_enable,
        "uses_managed_certificate": sparkpost.uses_managed_certificate,
    },
    "ses": {
        "parse_page": ses.parse_page,
        "parse_configuration_set+parse_identity+build_domain": _ses_domain,
    },
    "resend": {
        "parse_page": resend.parse_page,
        "parse_domain": lambda b: resend.parse_domain(b, account=ACCOUNT),
        "parse_verify": resend.parse_verify,
        "may_track": _resend_may_track,
    },
}
"""Every response parser of every ESP module, by ESP."""
ERROR_READERS: dict[str, Callable[[object], object]] = {
    "base.error_message_common": error_message_common,
    "mandrill.error_message": mandrill.error_message,
    "sparkpost.error_message": sparkpost.error_message,
    "ses.error_message": ses.error_message,
    "mailgun.error_kind": lambda b: mailgun.error_kind(429, b),
    "mandrill.error_kind": lambda b: mandrill.error_kind(500, b),
    "sparkpost.error_kind": lambda b: sparkpost.error_kind(403, b),
    "ses.error_kind": lambda b: ses.error_kind(403, b),
}


def assert_parsed(value: object, esp: str) -> None:
    """Whatever a parser returns, checked by its type."""
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if isinstance(item, TrackingDomain):
            assert_domain(item, esp)
        elif isinstance(item, CertificateState):
            assert_certificate(item)
        elif isinstance(item, list | tuple):
            assert all(isinstance(part, str) for part in item)
        else:
            assert item is None or isinstance(item, str | bool | int | Mapping)


REGIONS = {"sendgrid": "global", "mailgun": "us", "sparkpost": "us", "ses": "eu-west-1"}
ESPS = ("sendgrid", "mailgun", "sparkpost", "mandrill", "ses", "resend")


def _secret(esp: str) -> EspSecret:
    if esp == "ses":
        return AwsCredentials(access_key_id="AKIDFUZZ", secret_access_key="fuzz-secret")
    return "fuzz-key"


def simulated(esp: str) -> SimulatedEsp:
    """A simulated account with a healthy domain and an unverified one with a pending certificate."""
    domains = [
        SimDomain(host="links.brand.example", https=True, certificate="active"),
        SimDomain(host="click.other.example", verified=False, cname_valid=False,
                  certificate="pending", problems=("CNAME not found",)),
    ]  # fmt: skip
    return SimulatedEsp(esp, ACCOUNT, domains, region=REGIONS.get(esp, ""))


def drive(client: EspClient) -> tuple[TrackingDomain, ...]:
    """Every read the client can make: the list, then each domain's certificate and verify."""
    domains = client.list_tracking_domains()
    for domain in domains[:2]:
        for capability, call in (
            (Capability.CERTIFICATE, client.certificate_status),
            (Capability.VERIFY, client.verify),
        ):
            if client.explain(capability) is None:
                call(domain)
    return domains


def client_for(esp: str, handler: Callable[[httpx.Request], httpx.Response]) -> EspClient:
    """The real client of `esp`, pointed at the simulated API's address, over `handler`."""
    base = simulated(esp).base_url
    account = AccountRef(name=ACCOUNT, esp=esp, region=REGIONS.get(esp, ""), api_base=base)
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return make_client(account, _secret(esp), http_client=http, sleep=lambda _s: None)


@functools.cache
def seeds(esp: str) -> tuple[object, ...]:
    """Every JSON body the simulated API of `esp` answers while the real client reads it."""
    sim = simulated(esp)
    bodies: list[object] = []

    def recording(request: httpx.Request) -> httpx.Response:
        response = sim.handler(request)
        if response.content:
            bodies.append(json.loads(response.content))
        return response

    client = client_for(esp, recording)
    try:
        drive(client)
    finally:
        client.close()
    return tuple(bodies)


@pytest.mark.parametrize("esp", ESPS)
@fuzz(1.0)
@given(data=st.data())
def test_every_parser_raises_only_shape_errors(esp: str, data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="arbitrary"):
        body = data.draw(BODIES, label="body")
    else:
        seed = data.draw(st.sampled_from(seeds(esp)), label="seed")
        body = data.draw(mutated(seed, VOCABULARY), label="body")
    for parse in PARSERS[esp].values():
        try:
            value = parse(body)
        except ShapeError:
            continue
        assert_parsed(value, esp)


@fuzz(1.0)
@given(body=BODIES)
def test_error_readers_never_raise(body: object) -> None:
    for read in ERROR_READERS.values():
        found = read(body)
        assert found is None or isinstance(found, str) or issubclass(found, EspError)  # type: ignore[arg-type]  # found: None, a text or an error class


# The clients end to end ----------------------------------------------------------------------

STATUSES = st.sampled_from([0] * 12 + [201, 202, 204, 400, 401, 403, 404, 409, 429, 500, 503])
"""0 keeps the simulated API's own status."""
MAX_REQUESTS = 40


def answering(esp: str, data: st.DataObject) -> Callable[[httpx.Request], httpx.Response]:
    """The simulated API's answers, each with a drawn status and a mutated (or raw) body."""
    sim = simulated(esp)
    count = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        count[0] += 1
        if count[0] > MAX_REQUESTS:
            return httpx.Response(401, json={"message": "enough"})
        real = sim.handler(request)
        status = data.draw(STATUSES, label="status") or real.status_code
        if data.draw(st.integers(min_value=0, max_value=9), label="raw") == 0:
            return httpx.Response(status, content=data.draw(st.binary(max_size=64), label="bytes"))
        seed = json.loads(real.content) if real.content else None
        body = data.draw(mutated(seed, VOCABULARY), label="body")
        return httpx.Response(status, content=json.dumps(body).encode())

    return handler


@pytest.mark.parametrize("esp", ESPS)
@fuzz(0.5)
@given(data=st.data())
def test_clients_end_to_end_raise_only_esp_errors(esp: str, data: st.DataObject) -> None:
    client = client_for(esp, answering(esp, data))
    try:
        domains = drive(client)
    except EspError as error:
        assert_clean(str(error))
        assert_finding(account_problem(ACCOUNT, client.label, error))
        return
    finally:
        client.close()
    view = EspAccountView(account=ACCOUNT, label=client.label, domains=domains)
    for domain in domains:
        assert_domain(domain, esp)
        for finding in esp_findings(domain.host, view, Expectation()):
            assert_finding(finding)
