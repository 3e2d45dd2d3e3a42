"""What the clients' base class builds for every ESP: the URL of its default region or of
`api_base`, its label, the region check in the ESP's own words, the secret's kind, its capabilities."""

from __future__ import annotations

import base64

import httpx
import pytest

from esp_clients import make_client
from esp_clients.base import Capability
from esp_clients.errors import EspAuthError, EspError
from esp_clients.redaction import base64_cores
from esp_clients.ses_auth import SesAuthError
from tests.support.esp_wire import AWS, CANARY, ESPS, Esp, wired

REGION_ERRORS = [(esp, region, text) for esp in ESPS for region, text in esp.bad_regions]


@pytest.fixture(params=ESPS, ids=str)
def esp(request: pytest.FixtureRequest) -> Esp:
    chosen: Esp = request.param
    return chosen


def test_the_list_call_goes_to_the_default_region_and_reads_an_empty_list(esp: Esp) -> None:
    with wired(esp) as setup:
        setup.answer(setup.ok())
        assert setup.listed() == ()
    (request,) = setup.wire.requests
    assert request.headers["accept"] == "application/json"
    assert (setup.client.label, setup.client.account.name) == (esp.label, "acme")


def test_api_base_overrides_the_region_default(esp: Esp) -> None:
    with wired(esp, api_base="http://127.0.0.1:9/prefix") as setup:
        setup.answer(setup.ok())
        assert setup.listed() == ()
        assert str(setup.wire.requests[0].url).startswith("http://127.0.0.1:9/prefix/")


@pytest.mark.parametrize(
    ("esp", "region", "text"), REGION_ERRORS, ids=[f"{e}-{r!r}" for e, r, _ in REGION_ERRORS]
)
def test_an_unknown_region_is_refused_in_the_esps_words(esp: Esp, region: str, text: str) -> None:
    with pytest.raises(ValueError) as caught:
        esp.client(esp.account(region=region), esp.secret)
    assert str(caught.value) == text


@pytest.mark.parametrize("esp", [e for e in ESPS if e.name in ("mandrill", "resend")], ids=str)
def test_an_esp_with_one_host_ignores_the_region(esp: Esp) -> None:
    with wired(esp, region="eu") as setup:
        setup.answer(setup.ok())
        assert setup.listed() == ()
        assert setup.client.label == esp.label


def test_the_wrong_kind_of_secret_is_refused_without_showing_it(esp: Esp) -> None:
    expected = SesAuthError if esp.name == "ses" else EspAuthError
    words = "needs AWS credentials" if esp.name == "ses" else "needs an API key"
    with pytest.raises(expected, match=words) as caught:
        make_client(esp.account(), esp.wrong_secret)
    assert str(caught.value).startswith(f"{esp.label} (account acme): ")
    assert CANARY not in str(caught.value) and CANARY not in repr(AWS)


def test_make_client_builds_the_registered_class(esp: Esp) -> None:
    made = make_client(esp.account(), esp.secret)
    assert type(made) is esp.client
    made.close()


def test_capabilities_are_what_explain_does_not_refuse(esp: Esp) -> None:
    client = make_client(esp.account(), esp.secret)
    for capability in Capability:
        unsupported = client.explain(capability)
        assert (capability in client.capabilities) is (unsupported is None)
        assert unsupported is None or unsupported.reason
    client.close()


def test_a_plain_http_api_base_is_refused_unless_loopback_or_opted_in(esp: Esp) -> None:
    """The key would travel in clear: refused before any request, saying why."""
    with pytest.raises(ValueError, match="plain http:// would send the API key in clear"):
        esp.client(esp.account(api_base="http://proxy.corp.example"), esp.secret)
    with wired(esp, api_base="http://proxy.corp.example", allow_insecure_api=True) as setup:
        setup.answer(setup.ok())
        assert setup.listed() == ()


def test_the_basic_auth_value_and_an_api_base_password_are_redacted(esp: Esp) -> None:
    """An API error quoting the Authorization header (Mailgun's is base64 of `api:KEY`) or a
    failure naming an api_base that holds a password shows neither."""

    def echo(request: httpx.Request) -> httpx.Response:
        return esp.error(400, f"bad request with {request.headers.get('authorization', '')}")

    password = "s3cretPassw0rdInUrl"
    account = esp.account(api_base=f"https://user:{password}@127.0.0.1:9")
    with httpx.Client(transport=httpx.MockTransport(echo)) as http:
        client = esp.client(account, esp.secret, http_client=http, sleep=lambda _s: None)
        with pytest.raises(EspError) as caught:
            client.list_tracking_domains()
        client.close()
    shown = f"{caught.value} {caught.value!r} {client!r} {vars(caught.value)!r}"
    sent = base64.b64encode(f"api:{CANARY}".encode()).decode()
    assert CANARY not in shown and sent not in shown and password not in shown
    assert all(core not in shown for core in base64_cores(CANARY))
