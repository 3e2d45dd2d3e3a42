"""Mailgun tracking hosts: domains v4, x509 certificates, HTTPS switching and error handling."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterator

import httpx
import pytest
import respx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from esp_clients.base import AccountRef, Capability, TrackingDomain
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspRejected,
)
from esp_clients.mailgun import MailgunClient, parse_domain
from tui.fleet.esp_view import EspAccountView
from tui.inventory.load import parse_inventory

CANARY = "sk-CANARY-7f3a9e"
BASE = "https://api.mailgun.net"
NOW = 1_700_000_000.0
ACCOUNT = AccountRef(name="acme", esp="mailgun", region="us")
EXPIRES = dt.datetime(2031, 5, 4, 3, 2, 1, tzinfo=dt.UTC)


def domain_reply(
    name: str = "mg.example.com",
    *,
    state: str = "active",
    scheme: str = "http",
    valid: str = "valid",
    cached: tuple[str, ...] = ("mailgun.org",),
    **extra: object,
) -> dict[str, object]:
    """GET /v4/domains/{name} shaped like the spec example."""
    domain: dict[str, object] = {
        "name": name,
        "state": state,
        "type": "custom",
        "web_prefix": "email",
        "web_scheme": scheme,
        **extra,
    }
    tracking = {
        "record_type": "CNAME",
        "name": f"{domain['web_prefix']}.{name}",
        "value": "mailgun.org",
        "valid": valid,
        "cached": list(cached),
        "is_active": True,
    }
    spf = {"record_type": "TXT", "name": name, "value": "v=spf1 include:mailgun.org ~all"}
    return {"domain": domain, "sending_dns_records": [spf, tracking], "receiving_dns_records": []}


def pem_expiring(when: dt.datetime) -> str:
    """A self-signed certificate for the tracking host that expires at `when`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "email.mg.example.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(when - dt.timedelta(days=90))
        .not_valid_after(when)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[MailgunClient]:
    mailgun = MailgunClient(ACCOUNT, CANARY, sleep=sleeps.append, clock=lambda: NOW)
    yield mailgun
    mailgun.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def tracking(name: str = "mg.example.com", https: bool = False) -> TrackingDomain:
    return parse_domain(domain_reply(name, scheme="https" if https else "http"), "acme")


def test_list_pages_then_gets_each_domain(client: MailgunClient, api: respx.MockRouter) -> None:
    pages = api.get("/v4/domains").mock(
        side_effect=[
            httpx.Response(200, json={"total_count": 2, "items": [{"name": "mg.example.com"}]}),
            httpx.Response(200, json={"total_count": 2, "items": [{"name": "mg.other.com"}]}),
        ]
    )
    api.get("/v4/domains/mg.example.com").respond(200, json=domain_reply())
    api.get("/v4/domains/mg.other.com").respond(
        200, json=domain_reply("mg.other.com", scheme="https")
    )
    status = api.get("/v2/x509/email.mg.other.com/status").respond(
        200, json={"status": "active", "certificate": pem_expiring(EXPIRES)}
    )
    first, second = client.list_tracking_domains()
    assert [call.request.url.params["skip"] for call in pages.calls] == ["0", "1"]
    assert pages.calls[0].request.url.params["limit"] == "100"
    assert first.host == "email.mg.example.com" and first.esp_id == "mg.example.com"
    assert first.verified is True and first.cname_valid is True
    assert first.expected_target == "mailgun.org"
    assert first.https is False and first.certificate.status == "unknown"
    assert ("cname_seen", "mailgun.org") in first.details
    assert second.https is True and second.certificate.status == "active"
    assert second.certificate.expires_at == EXPIRES.isoformat()
    assert status.call_count == 1


def test_an_internationalised_host_is_its_a_label_and_matches_the_inventory(
    client: MailgunClient, api: respx.MockRouter
) -> None:
    """Lower-cased only, `links.straße.de` would match no inventory host, and Python's ssl would
    later send it as `links.strasse.de` (IDNA 2003): another domain."""
    api.get("/v4/domains").respond(200, json={"total_count": 1, "items": [{"name": "straße.de"}]})
    reply = domain_reply("straße.de", web_prefix="links")
    reply["sending_dns_records"][1]["name"] = "links.xn--strae-oqa.de"  # type: ignore[index]  # the tracking record of domain_reply
    api.get("/v4/domains/stra%C3%9Fe.de").respond(200, json=reply)
    [seen] = client.list_tracking_domains()
    assert seen.host == "links.xn--strae-oqa.de" and seen.esp_id == "straße.de"
    assert seen.cname_valid is True and seen.problems == ()  # its record, written as A-labels
    inventory = parse_inventory(
        '[accounts.acme]\nesp = "mailgun"\n\n[[brands]]\nname = "Acme"\n'
        'tracking = [{ host = "links.straße.de", account = "acme" }]\n'
    )
    view = EspAccountView(account="acme", label="Mailgun", domains=(seen,))
    assert view.domain(inventory.entries[0].host) == seen


def test_unverified_domain_with_a_wrong_cname(client: MailgunClient, api: respx.MockRouter) -> None:
    reply = domain_reply(state="unverified", valid="invalid", cached=("sendgrid.net",))
    api.get("/v4/domains/mg.example.com").respond(200, json=reply)
    seen = client.get("mg.example.com")
    assert seen.verified is False and seen.cname_valid is False
    assert seen.problems == (
        "Mailgun sees sendgrid.net for email.mg.example.com, expected mailgun.org",
    )


def test_tracking_host_disabled_domain_and_missing_record() -> None:
    reply = domain_reply(
        tracking_host="Click.Example.com.",
        is_disabled=True,
        disabled={"code": "blacklisted", "reason": "bad customer"},
    )
    reply["sending_dns_records"] = []
    seen = parse_domain(reply, "acme")
    assert seen.host == "click.example.com"
    assert seen.cname_valid is None and seen.verified is None
    assert seen.problems == (
        "Mailgun has disabled the domain: bad customer",
        "Mailgun lists no tracking CNAME record for email.mg.example.com",
    )


def test_verify_puts_and_parses(client: MailgunClient, api: respx.MockRouter) -> None:
    reply = {"message": "Domain DNS records have been updated", **domain_reply(valid="unknown")}
    route = api.put("/v4/domains/mg.example.com/verify").respond(200, json=reply)
    seen = client.verify(tracking())
    assert route.called
    assert seen.cname_valid is None and seen.verified is None
    assert ("cname_check", "unknown") in seen.details


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"status": "processing", "error": "Waiting for x509 key pair generation"}, "pending",
         "Waiting for x509 key pair generation"),
        ({"status": "expired", "error": "x509 certificate has expired", "certificate": "{CERT}"},
         "expired", "x509 certificate has expired"),
        ({"status": "error", "error": "TLS x509 key pair generation failed"}, "failed",
         "TLS x509 key pair generation failed"),
        ({"status": "active", "certificate": "{CERT}"}, "active", "active"),
    ],
)  # fmt: skip
def test_certificate_status_mapping(
    client: MailgunClient, api: respx.MockRouter, body: object, status: str, detail: str
) -> None:
    api.get("/v2/x509/email.mg.example.com/status").respond(200, json=body)
    state = client.certificate_status(tracking())
    assert (state.status, state.detail, state.expires_at) == (status, detail, None)


def test_certificate_status_404_is_none(client: MailgunClient, api: respx.MockRouter) -> None:
    body = {"Description": "Please initiate x509 key pair generation at POST /v2/x509/{domain}"}
    api.get("/v2/x509/email.mg.example.com/status").respond(404, json=body)
    state = client.certificate_status(tracking())
    assert state.status == "none"
    assert "initiate x509" in state.detail


def test_request_certificate_202_is_pending(client: MailgunClient, api: respx.MockRouter) -> None:
    body = {"message": "Initiated x509 key pair generation", "location": "/v2/x509/x/status"}
    api.post("/v2/x509/email.mg.example.com").respond(202, json=body)
    state = client.request_certificate(tracking())
    assert state.status == "pending" and state.detail == "Initiated x509 key pair generation"


def test_request_certificate_409_reads_status(client: MailgunClient, api: respx.MockRouter) -> None:
    api.post("/v2/x509/email.mg.example.com").respond(409, json={"Description": "already"})
    api.get("/v2/x509/email.mg.example.com/status").respond(200, json={"status": "active"})
    assert client.request_certificate(tracking()).status == "active"


def test_request_certificate_renews_an_expired_one(
    client: MailgunClient, api: respx.MockRouter
) -> None:
    api.post("/v2/x509/email.mg.example.com").respond(409, json={"Description": "exists"})
    api.get("/v2/x509/email.mg.example.com/status").respond(200, json={"status": "expired"})
    renew = api.put("/v2/x509/email.mg.example.com").respond(202, json={"message": "ok"})
    state = client.request_certificate(tracking())
    assert renew.called
    assert state.status == "pending" and "renewal" in state.detail


def test_request_certificate_429_job_running_is_not_retried(
    client: MailgunClient, api: respx.MockRouter, sleeps: list[float]
) -> None:
    body = {"Description": "x509 key pair generation job is already in progress for x"}
    api.post("/v2/x509/email.mg.example.com").respond(429, json=body)
    api.get("/v2/x509/email.mg.example.com/status").respond(200, json={"status": "processing"})
    assert client.request_certificate(tracking()).status == "pending"
    assert sleeps == []


def test_request_certificate_402_names_the_plan(
    client: MailgunClient, api: respx.MockRouter
) -> None:
    body = {"Reason": "upgrade your account to enable this feature"}
    api.post("/v2/x509/email.mg.example.com").respond(402, json=body)
    with pytest.raises(EspRejected) as caught:
        client.request_certificate(tracking())
    assert caught.value.status == 402
    assert "upgrade your account" in str(caught.value)
    assert "plan does not include HTTPS tracking" in str(caught.value)


def test_set_https_sends_multipart_then_rereads(
    client: MailgunClient, api: respx.MockRouter
) -> None:
    api.get("/v2/x509/email.mg.example.com/status").respond(200, json={"status": "active"})
    update = api.put("/v4/domains/mg.example.com").respond(200, json=domain_reply())
    api.get("/v4/domains/mg.example.com").respond(200, json=domain_reply(scheme="https"))
    seen = client.set_https(tracking(), True)
    request = update.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="web_scheme"\r\n\r\nhttps' in request.content
    assert seen.https is True and seen.certificate.status == "active"


def test_set_https_refuses_without_an_active_certificate(
    client: MailgunClient, api: respx.MockRouter
) -> None:
    api.get("/v2/x509/email.mg.example.com/status").respond(200, json={"status": "processing"})
    update = api.put("/v4/domains/mg.example.com").respond(200, json=domain_reply())
    with pytest.raises(EspRejected, match="wait until its status is active"):
        client.set_https(tracking(), True)
    assert not update.called


def test_set_https_off_skips_the_certificate(client: MailgunClient, api: respx.MockRouter) -> None:
    update = api.put("/v4/domains/mg.example.com").respond(200, json=domain_reply())
    api.get("/v4/domains/mg.example.com").respond(200, json=domain_reply())
    assert client.set_https(tracking(https=True), False).https is False
    assert b"\r\n\r\nhttp\r\n" in update.calls.last.request.content


def test_every_capability_is_supported(client: MailgunClient) -> None:
    assert all(client.explain(capability) is None for capability in Capability)
    assert client.capabilities == frozenset(Capability)


def test_eu_region(sleeps: list[float]) -> None:
    account = AccountRef(name="eu", esp="mailgun", region="eu")
    with respx.mock(base_url="https://api.eu.mailgun.net") as api:
        api.get("/v4/domains").respond(200, json={"total_count": 0, "items": []})
        mailgun = MailgunClient(account, CANARY, sleep=sleeps.append)
        assert mailgun.list_tracking_domains() == ()
        mailgun.close()
    assert mailgun.label == "Mailgun EU"


def test_certificate_outage_during_list_becomes_unknown(
    client: MailgunClient, api: respx.MockRouter
) -> None:
    api.get("/v4/domains/mg.example.com").respond(200, json=domain_reply(scheme="https"))
    api.get("/v2/x509/email.mg.example.com/status").respond(503)
    seen = client.get("mg.example.com")
    assert seen.https is True
    assert seen.certificate.status == "unknown" and "HTTP 503" in seen.certificate.detail


@pytest.mark.parametrize(
    "body",
    [[], {"items": "x"}, {"items": [{"id": "1"}]}, {"items": [], "total_count": "2"}],
)
def test_wrong_list_shape(client: MailgunClient, api: respx.MockRouter, body: object) -> None:
    api.get("/v4/domains").respond(200, json=body)
    with pytest.raises(EspBadResponse, match="unexpected response shape"):
        client.list_tracking_domains()


def test_wrong_domain_shape(client: MailgunClient, api: respx.MockRouter) -> None:
    api.get("/v4/domains/mg.example.com").respond(200, json={"domain": {"state": "active"}})
    with pytest.raises(EspBadResponse, match="no name"):
        client.get("mg.example.com")


def test_endless_pagination_is_cut(client: MailgunClient, api: respx.MockRouter) -> None:
    page = {"total_count": 10**9, "items": [{"name": f"d{n}.example"} for n in range(100)]}
    route = api.get("/v4/domains").respond(200, json=page)
    with pytest.raises(EspBadResponse, match="did not end after 200 pages"):
        client.list_tracking_domains()
    assert route.call_count == 200


def test_canary_never_leaks(
    client: MailgunClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trackdeck.esp")
    route = api.get("/v4/domains").respond(401, json={"message": f"bad key {CANARY}"})
    with pytest.raises(EspAuthError) as caught:
        client.list_tracking_domains()
    basic = base64.b64encode(f"api:{CANARY}".encode()).decode()
    assert route.calls.last.request.headers["authorization"] == f"Basic {basic}"
    texts = [str(caught.value), repr(caught.value), repr(client), repr(client._api)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records
    assert all(CANARY not in text and basic not in text for text in texts)
