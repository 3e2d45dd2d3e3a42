"""The simulated ESP APIs drive the real ESP clients through list, verify, certificates and HTTPS."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from esp_clients.base import AwsCredentials, EspClient, EspSecret, TrackingDomain
from esp_clients.errors import (
    EspAuthError,
    EspError,
    EspNotFound,
    EspRateLimited,
    EspRejected,
    EspUnavailable,
)
from tui.inventory.model import Account
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps

CANARY = "sk-CANARY-7f3a9e"
AWS = AwsCredentials(
    access_key_id="AKIDSIMCANARY", secret_access_key=f"{CANARY}-aws", session_token=f"{CANARY}-tok"
)
REGIONS = {"sendgrid": "global", "mailgun": "us", "sparkpost": "us", "ses": "us-east-1"}
ESPS = ("sendgrid", "mailgun", "sparkpost", "mandrill", "ses", "resend")
VERIFYING = ("sendgrid", "mailgun", "sparkpost", "mandrill", "resend")


class RecordingEsps(SimulatedEsps):
    """The simulation, keeping every response's body and headers for the secret checks."""

    def __init__(self, esps: list[SimulatedEsp]) -> None:
        super().__init__(esps)
        self.bodies: list[bytes] = []
        self.headers: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer as the simulation does and remember the answer."""
        response = super().handler(request)
        self.bodies.append(response.read())
        self.headers.append(str(response.headers.multi_items()))
        return response


class Sim:
    """One simulated account with the real client of it and the sleeps the client asked for."""

    def __init__(self, esp: SimulatedEsp) -> None:
        self.esp = esp
        self.esps = RecordingEsps([esp])
        self.http = self.esps.http_client()
        self.sleeps: list[float] = []
        self.account = Account(name=esp.account, esp=esp.esp, region=REGIONS.get(esp.esp, ""))

    def client(self, secret: EspSecret | None = None) -> EspClient:
        """The real client for the account, made by the simulation's client factory."""
        key = secret if secret is not None else (AWS if self.esp.esp == "ses" else CANARY)
        return self.esps.client_factory(sleep=self.sleeps.append)(self.account, key)

    def close(self) -> None:
        """Close the shared httpx client."""
        self.esps.close()


SimFactory = Callable[..., Sim]


@pytest.fixture
def make_sim() -> Iterator[SimFactory]:
    """Build simulated accounts (closed at the end of the test)."""
    made: list[Sim] = []

    def build(
        esp: str,
        *domains: SimDomain,
        fail_with: int | None = None,
        latency: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Sim:
        region = REGIONS.get(esp, "")
        esp_sim = SimulatedEsp(
            esp,
            f"acct-{esp}",
            domains,
            region=region,
            fail_with=fail_with,
            latency=latency,
            sleep=sleep,
        )
        sim = Sim(esp_sim)
        made.append(sim)
        return sim

    yield build
    for sim in made:
        sim.close()


def host_for(esp: str, name: str = "links") -> str:
    """A tracking host for `esp` under a brand domain of its own."""
    return f"{name}.{esp}-brand.example"


def by_host(domains: tuple[TrackingDomain, ...]) -> dict[str, TrackingDomain]:
    """Parsed domains keyed by host."""
    return {domain.host: domain for domain in domains}


@pytest.mark.parametrize("esp", ESPS)
def test_the_real_client_lists_the_simulated_domains(esp: str, make_sim: SimFactory) -> None:
    good = SimDomain(host=host_for(esp, "links"))
    bad = SimDomain(host=host_for(esp, "click"), verified=False, cname_valid=False)
    sim = make_sim(esp, good, bad)
    listed = by_host(sim.client().list_tracking_domains())
    assert set(listed) == {good.host, bad.host}
    assert listed[good.host].verified is True
    assert listed[bad.host].verified is False
    assert all(domain.esp == esp and domain.account == f"acct-{esp}" for domain in listed.values())
    if esp != "ses":
        assert listed[good.host].cname_valid is True and listed[bad.host].cname_valid is False
    if esp not in ("ses", "sparkpost"):
        assert listed[good.host].expected_target == good.expected_target


def test_mailgun_serves_a_second_host_of_one_brand_as_a_custom_tracking_host(
    make_sim: SimFactory,
) -> None:
    first = SimDomain(host="links.brand.example")
    second = SimDomain(host="email.brand.example", cname_valid=False, verified=False)
    sim = make_sim("mailgun", first, second)
    listed = by_host(sim.client().list_tracking_domains())
    assert listed["links.brand.example"].esp_id == "brand.example"
    assert listed["email.brand.example"].esp_id == "mg.brand.example"
    assert listed["email.brand.example"].cname_valid is False
    assert listed["email.brand.example"].expected_target == "mailgun.org"


def test_mailgun_refuses_a_certificate_while_the_cname_is_wrong(make_sim: SimFactory) -> None:
    broken = SimDomain(host="email.mg.brand.example", cname_valid=False)
    sim = make_sim("mailgun", broken)
    client = sim.client()
    with pytest.raises(EspRejected, match="invalid CNAME record"):
        client.request_certificate(client.list_tracking_domains()[0])
    assert broken.certificate == "none"


@pytest.mark.parametrize(
    ("https", "certificate", "expected"),
    [
        (True, "none", (True, "active")),
        (False, "pending", (False, "pending")),
        (False, "none", (None, "unknown")),
    ],
)
def test_sendgrid_shows_https_through_the_auto_ssl_records(
    https: bool, certificate: str, expected: tuple[bool | None, str], make_sim: SimFactory
) -> None:
    sim = make_sim(
        "sendgrid", SimDomain(host="links.brand.example", https=https, certificate=certificate)
    )
    (listed,) = sim.client().list_tracking_domains()
    assert (listed.https, listed.certificate.status) == expected


def test_default_targets_and_ids_follow_each_esp(make_sim: SimFactory) -> None:
    eu = SimulatedEsp("mailgun", "eu", [SimDomain(host="email.mg.brand.example")], region="eu")
    assert eu.domain("email.mg.brand.example").expected_target == "eu.mailgun.org"
    assert eu.domain("email.mg.brand.example").esp_id == "mg.brand.example"
    sp = SimulatedEsp("sparkpost", "sp", [SimDomain(host="go.brand.example")], region="eu")
    assert sp.domain("go.brand.example").expected_target == "eu.v2.spgo.io"
    assert sp.base_url.endswith(".sparkpost.sim.invalid/api/v1")
    shared = [SimDomain(host="links.b.example"), SimDomain(host="email.b.example")]
    mailgun = SimulatedEsp("mailgun", "x", shared)
    assert [d.esp_id for d in mailgun.domains] == ["b.example", "mg.b.example"]
    with pytest.raises(ValueError, match="esp_id"):
        SimulatedEsp(
            "ses", "x", [SimDomain(host="a.b", esp_id="s"), SimDomain(host="c.d", esp_id="s")]
        )


def test_mailgun_lists_every_page(make_sim: SimFactory) -> None:
    domains = [SimDomain(host=f"email.brand{i}.example") for i in range(105)]
    sim = make_sim("mailgun", *domains)
    listed = sim.client().list_tracking_domains()
    assert len(listed) == 105
    pages = [call for call in sim.esp.calls if call == ("GET", "/v4/domains")]
    assert len(pages) == 2


@pytest.mark.parametrize("esp", ("ses", "resend"))
def test_cursor_paging_reaches_every_domain(esp: str, make_sim: SimFactory) -> None:
    domains = [SimDomain(host=f"t.brand{i}.example") for i in range(103)]
    sim = make_sim(esp, *domains)
    assert len(sim.client().list_tracking_domains()) == 103


@pytest.mark.parametrize("esp", VERIFYING)
def test_verify_fixes_the_domain(esp: str, make_sim: SimFactory) -> None:
    broken = SimDomain(host=host_for(esp), verified=False, cname_valid=False)
    sim = make_sim(esp, broken)
    client = sim.client()
    (before,) = client.list_tracking_domains()
    after = client.verify(before)
    assert broken.verified and broken.cname_valid
    assert after.verified is True
    assert client.list_tracking_domains()[0].verified is True


@pytest.mark.parametrize("esp", VERIFYING)
def test_verify_that_does_not_fix_keeps_the_problem(esp: str, make_sim: SimFactory) -> None:
    stuck = SimDomain(
        host=host_for(esp),
        verified=False,
        cname_valid=False,
        verify_fixes=False,
        problems=("points at old.cdn.example",),
    )
    sim = make_sim(esp, stuck)
    client = sim.client()
    after = client.verify(client.list_tracking_domains()[0])
    assert after.verified is False and not stuck.verified
    if esp in ("sendgrid", "mandrill"):
        assert any("old.cdn.example" in problem for problem in after.problems)


def test_mailgun_certificate_flow_then_https(make_sim: SimFactory) -> None:
    domain = SimDomain(host="email.mg.brand.example", polls_until_active=2)
    sim = make_sim("mailgun", domain)
    client = sim.client()
    (listed,) = client.list_tracking_domains()
    assert listed.https is False
    with pytest.raises(EspRejected, match="none"):
        client.set_https(listed, True)
    assert client.certificate_status(listed).status == "none"
    assert client.request_certificate(listed).status == "pending"
    assert domain.certificate == "pending"
    states = [client.certificate_status(listed).status for _ in range(3)]
    assert states == ["pending", "pending", "active"]
    flipped = client.set_https(listed, True)
    assert flipped.https is True and domain.https
    assert flipped.certificate.status == "active" and flipped.certificate.expires_at
    assert client.list_tracking_domains()[0].https is True
    assert ("PUT", "/v4/domains/mg.brand.example") in sim.esp.calls


def test_mailgun_api_refuses_https_without_an_active_certificate(make_sim: SimFactory) -> None:
    sim = make_sim("mailgun", SimDomain(host="email.mg.brand.example", certificate="pending"))
    response = sim.http.put(
        f"{sim.esp.base_url}/v4/domains/mg.brand.example",
        files={"web_scheme": (None, "https")},
        auth=("api", CANARY),
    )
    assert response.status_code == 400
    assert "active certificate" in response.json()["message"]
    assert sim.esp.domain("email.mg.brand.example").https is False


def test_mailgun_expired_certificate_is_renewed(make_sim: SimFactory) -> None:
    domain = SimDomain(host="email.mg.brand.example", https=True, certificate="expired")
    sim = make_sim("mailgun", domain)
    client = sim.client()
    (listed,) = client.list_tracking_domains()
    assert listed.certificate.status == "expired"
    assert client.request_certificate(listed).status == "pending"
    assert ("PUT", "/v2/x509/email.mg.brand.example") in sim.esp.calls


def test_sparkpost_certificate_flow_then_https(make_sim: SimFactory) -> None:
    domain = SimDomain(host="go.brand.example", polls_until_active=2)
    sim = make_sim("sparkpost", domain)
    client = sim.client()
    (listed,) = client.list_tracking_domains()
    assert listed.certificate.status == "none" and listed.https is False
    assert client.request_certificate(listed).status == "pending"
    states = [client.certificate_status(listed).status for _ in range(3)]
    assert states == ["pending", "pending", "active"]
    flipped = client.set_https(listed, True)
    assert flipped.https is True and flipped.certificate.expires_at
    assert client.list_tracking_domains()[0].https is True
    off = client.set_https(flipped, False)
    assert off.https is False and not domain.https


def test_sparkpost_refuses_a_certificate_off_the_v2_endpoint(make_sim: SimFactory) -> None:
    sim = make_sim("sparkpost", SimDomain(host="go.brand.example", expected_target="spgo.io"))
    client = sim.client()
    with pytest.raises(EspRejected, match="cannot use a managed certificate"):
        client.request_certificate(client.list_tracking_domains()[0])
    assert sim.esp.domain("go.brand.example").certificate == "none"


def test_sparkpost_failed_certificate_explains_the_error_code(make_sim: SimFactory) -> None:
    failed = SimDomain(host="go.brand.example", certificate="failed", problems=("acme:dns",))
    sim = make_sim("sparkpost", failed)
    (listed,) = sim.client().list_tracking_domains()
    assert listed.certificate.status == "failed"
    assert any("acme:dns" in problem for problem in listed.problems)


def test_ses_set_https_changes_the_policy(make_sim: SimFactory) -> None:
    domain = SimDomain(host="track.brand.example")
    sim = make_sim("ses", domain)
    client = sim.client()
    (listed,) = client.list_tracking_domains()
    assert listed.https is False and listed.esp_id == "track-brand-example"
    assert client.set_https(listed, True).https is True and domain.https
    assert client.list_tracking_domains()[0].https is True
    assert client.set_https(listed, False).https is False


def test_ses_rejects_unsigned_and_wrongly_scoped_requests(make_sim: SimFactory) -> None:
    sim = make_sim("ses", SimDomain(host="track.brand.example"))
    unsigned = sim.http.post(f"{sim.esp.base_url}/v2/email/list-configuration-sets", json={})
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    wrong = Account(name="acct-ses", esp="ses", region="eu-west-1")
    client = sim.esps.client_factory(sleep=sim.sleeps.append)(wrong, AWS)
    with pytest.raises(EspAuthError, match="ses:ListConfigurationSets"):
        client.list_tracking_domains()


UNAUTHORIZED = {
    "sendgrid": ("GET", "/v3/whitelabel/links", 401, "authorization required"),
    "mailgun": ("GET", "/v4/domains", 401, "Invalid private key"),
    "sparkpost": ("GET", "/tracking-domains", 401, "Unauthorized."),
    "mandrill": ("POST", "/urls/tracking-domains", 500, "Invalid_Key"),
    "ses": ("POST", "/v2/email/list-configuration-sets", 403, "Missing Authentication Token"),
    "resend": ("GET", "/domains", 401, "Missing API key"),
}


@pytest.mark.parametrize("esp", ESPS)
def test_missing_credentials_get_the_esps_auth_error(esp: str, make_sim: SimFactory) -> None:
    sim = make_sim(esp, SimDomain(host=host_for(esp)))
    method, path, status, words = UNAUTHORIZED[esp]
    response = sim.http.request(method, sim.esp.base_url + path, json={})
    assert response.status_code == status
    assert words in response.text
    if esp != "ses":
        with pytest.raises(EspAuthError, match="trackdeck creds set acct-"):
            sim.client("").list_tracking_domains()


@pytest.mark.parametrize("esp", ESPS)
def test_fail_with_401_is_an_auth_error(esp: str, make_sim: SimFactory) -> None:
    sim = make_sim(esp, SimDomain(host=host_for(esp)), fail_with=401)
    with pytest.raises(EspAuthError, match="acct-"):
        sim.client().list_tracking_domains()


@pytest.mark.parametrize("esp", ESPS)
def test_fail_with_503_is_unavailable_after_retries(esp: str, make_sim: SimFactory) -> None:
    sim = make_sim(esp, SimDomain(host=host_for(esp)), fail_with=503)
    with pytest.raises(EspUnavailable, match="HTTP 503"):
        sim.client().list_tracking_domains()
    assert sim.sleeps == [0.5, 1.0, 2.0]
    assert len(sim.esp.calls) == 4


def test_fail_with_can_be_lifted_at_run_time(make_sim: SimFactory) -> None:
    sim = make_sim("sendgrid", SimDomain(host="links.brand.example"), fail_with=429)
    client = sim.client()
    with pytest.raises(EspRateLimited, match="429"):
        client.list_tracking_domains()
    sim.esp.fail_with = None
    assert client.list_tracking_domains()[0].host == "links.brand.example"


def test_latency_sleeps_before_answering(make_sim: SimFactory) -> None:
    slept: list[float] = []
    sim = make_sim("resend", SimDomain(host="t.brand.example"), latency=1.5, sleep=slept.append)
    sim.client().list_tracking_domains()
    assert slept == [1.5, 1.5]


def test_unknown_domains_and_hosts(make_sim: SimFactory) -> None:
    sim = make_sim("mandrill", SimDomain(host="t.brand.example"))
    client = sim.client()
    (listed,) = client.list_tracking_domains()
    gone = dataclasses.replace(listed, esp_id="gone.example")
    with pytest.raises(EspNotFound, match="Unknown_TrackingDomain"):
        client.verify(gone)
    with pytest.raises(httpx.ConnectError, match="does not resolve"):
        sim.http.get("https://nobody.sendgrid.sim.invalid/v3/whitelabel/links")


def test_client_factory_refuses_an_account_it_does_not_simulate(make_sim: SimFactory) -> None:
    sim = make_sim("sendgrid", SimDomain(host="links.brand.example"))
    stranger = Account(name="someone-else", esp="sendgrid", region="global")
    with pytest.raises(ValueError, match="someone-else"):
        sim.esps.client_factory()(stranger, CANARY)


def test_one_transport_routes_many_accounts() -> None:
    a = SimulatedEsp("sendgrid", "brand-a", [SimDomain(host="links.a.example")])
    b = SimulatedEsp("sendgrid", "brand-b", [SimDomain(host="links.b.example")])
    with SimulatedEsps([a, b]) as esps:
        factory = esps.client_factory(sleep=lambda seconds: None)
        for name, host in (("brand-a", "links.a.example"), ("brand-b", "links.b.example")):
            client = factory(Account(name=name, esp="sendgrid", region="global"), CANARY)
            assert [d.host for d in client.list_tracking_domains()] == [host]
    assert a.calls == b.calls == [("GET", "/v3/whitelabel/links")]
    with pytest.raises(ValueError, match="twice"):
        SimulatedEsps([a, a])


@pytest.mark.parametrize("esp", ESPS)
def test_the_secret_never_appears_in_calls_or_responses(esp: str, make_sim: SimFactory) -> None:
    sim = make_sim(esp, SimDomain(host=host_for(esp), verified=False, cname_valid=False))
    client = sim.client()
    (listed,) = client.list_tracking_domains()
    for action in (client.verify, client.request_certificate, lambda d: client.set_https(d, True)):
        try:
            action(listed)
        except EspError as error:  # unsupported capabilities and refusals are fine here
            assert CANARY not in str(error)
    seen = " ".join(f"{method} {path}" for method, path in sim.esp.calls)
    assert sim.esp.calls and CANARY not in seen
    assert sim.esps.bodies and all(CANARY.encode() not in body for body in sim.esps.bodies)
    assert all(CANARY not in headers for headers in sim.esps.headers)
    assert CANARY not in repr(sim.esp) and CANARY not in repr(sim.esp.domains)


def test_concurrent_clients_share_the_simulation_safely(make_sim: SimFactory) -> None:
    domains = [SimDomain(host=f"email.brand{i}.example") for i in range(5)]
    sim = make_sim("mailgun", *domains)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: sim.client().list_tracking_domains(), range(8)))
    assert all(len(listed) == 5 for listed in results)
    assert len(sim.esp.calls) == 8 * 6
