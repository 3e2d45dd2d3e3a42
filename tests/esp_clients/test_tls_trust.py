"""Which CAs the ESP API calls trust: the system's store by default, `--ca-bundle` or SSL_CERT_FILE
when given; a certificate the machine does not trust (a TLS-inspecting proxy) is reported as such
(`esp.tls_untrusted`, unknown), not as "could not connect", over a real loopback HTTPS ESP API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from esp_clients import EspTlsUntrusted, make_client
from esp_clients.tls import api_tls_context
from tests.support.sim_server import SimServer
from tui.fleet.esp_accounts import default_client_factory, fetch_account_view
from tui.inventory.model import Account
from tui.sim.certificates import TestCertificates
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps

KEY = "key-tls-trust-test"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def certificates() -> Iterator[TestCertificates]:
    made = TestCertificates()
    yield made
    made.cleanup()


def _esps() -> SimulatedEsps:
    domain = SimDomain(host="links.brand.example")
    return SimulatedEsps([SimulatedEsp("mailgun", "acme-mg", [domain], region="us")])


def _account(server: SimServer, esps: SimulatedEsps) -> Account:
    return Account(
        name="acme-mg", esp="mailgun", region="us", api_base=server.base_url(esps.esp("acme-mg"))
    )


def test_a_certificate_from_a_ca_this_machine_does_not_trust_is_named_as_such(
    certificates: TestCertificates,
) -> None:
    """As behind a TLS-inspecting proxy: not "could not connect", and not retried."""
    esps = _esps()
    tls = certificates.server_context("untrusted", "localhost", now=NOW)
    sleeps: list[float] = []
    with SimServer(esps, tls) as server:
        account = _account(server, esps)
        client = make_client(account.ref(), KEY, sleep=sleeps.append)
        with pytest.raises(EspTlsUntrusted) as caught:
            client.list_tracking_domains()
        client.close()
        view, open_client = fetch_account_view(account, "Mailgun", KEY, default_client_factory())
        assert open_client is None, "a failed list leaves no client open"
    text = str(caught.value)
    assert "is not trusted here" in text and "could not connect" not in text
    assert "--ca-bundle or SSL_CERT_FILE" in text and "HTTPS_PROXY" in text
    assert sleeps == []  # the same certificate would come back
    assert view.problem is not None
    assert (view.problem.code, view.problem.severity.value) == ("esp.tls_untrusted", "unknown")
    assert "system trust store" in view.problem.fix


def test_ca_bundle_and_ssl_cert_file_are_honoured(certificates: TestCertificates) -> None:
    esps = _esps()
    tls = certificates.server_context("valid", "localhost", now=NOW)
    bundle = str(certificates.ca_bundle_path)
    with SimServer(esps, tls) as server:
        account = _account(server, esps)
        trusting = default_client_factory(ca_bundle=bundle)(account, KEY)
        assert [domain.host for domain in trusting.list_tracking_domains()] == [
            "links.brand.example"
        ]
        trusting.close()
        from_environment = api_tls_context(environ={"SSL_CERT_FILE": bundle})
        client = make_client(account.ref(), KEY, tls=from_environment)
        assert len(client.list_tracking_domains()) == 1
        client.close()
        system = make_client(account.ref(), KEY, tls=api_tls_context(environ={}))
        with pytest.raises(EspTlsUntrusted):  # the test CA is in no system store
            system.list_tracking_domains()
        system.close()
