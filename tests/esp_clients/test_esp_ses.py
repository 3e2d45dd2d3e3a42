"""Amazon SES v2: SigV4 signing, configuration-set redirect domains, HttpsPolicy and errors."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import respx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.loaders import Loader

from esp_clients import make_client
from esp_clients.base import AccountRef, AwsCredentials, Capability, TrackingDomain
from esp_clients.errors import (
    EspBadResponse,
    EspNotFound,
    EspRejected,
    EspUnsupported,
)
from esp_clients.ses import (
    NOT_AN_IDENTITY,
    RedirectOptions,
    SesClient,
    build_domain,
)
from esp_clients.ses_auth import IAM_ACTIONS, SesAuthError
from esp_clients.sigv4 import SigV4

KEY_ID = "AKIDCANARY7F3A9E"
SECRET = "CANARY-secret-7f3a9e/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "CANARY-token-7f3a9e"
CREDENTIALS = AwsCredentials(access_key_id=KEY_ID, secret_access_key=SECRET, session_token=TOKEN)
REGION = "eu-west-1"
BASE = f"https://email.{REGION}.amazonaws.com"
ACCOUNT = AccountRef(name="acme", esp="ses", region=REGION)
NOW = 1_700_000_000.0
FIXED = datetime.datetime(2026, 11, 26, 8, 30, 0, tzinfo=datetime.UTC)
LIST = "/v2/email/list-configuration-sets"
HOST = "click.brand-a.com"

# AWS's published SigV4 test suite (credentials, date and expected signatures as published).
SUITE_CREDENTIALS = AwsCredentials(
    access_key_id="AKIDEXAMPLE", secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)
SUITE_DATE = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.UTC)


def config_set(name: str, host: str | None = HOST, policy: str | None = "REQUIRE") -> object:
    """A GetConfigurationSet answer shaped like the API reference's response syntax."""
    body: dict[str, object] = {
        "ConfigurationSetName": name,
        "DeliveryOptions": {"TlsPolicy": "OPTIONAL"},
        "SendingOptions": {"SendingEnabled": True},
    }
    if host is not None:
        tracking: dict[str, object] = {"CustomRedirectDomain": host}
        if policy is not None:
            tracking["HttpsPolicy"] = policy
        body["TrackingOptions"] = tracking
    return body


def identity(status: str = "SUCCESS") -> object:
    """A GetEmailIdentity answer for a domain identity."""
    return {
        "IdentityType": "DOMAIN",
        "VerificationStatus": status,
        "VerifiedForSendingStatus": True,
    }


def not_found(message: str) -> httpx.Response:
    """SES's rest-json NotFoundException."""
    return httpx.Response(
        404, headers={"x-amzn-ErrorType": "NotFoundException:"}, json={"message": message}
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[SesClient]:
    ses = SesClient(ACCOUNT, CREDENTIALS, sleep=sleeps.append, clock=lambda: NOW, now=lambda: FIXED)
    yield ses
    ses.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.mark.parametrize(
    ("method", "url", "signature"),
    [
        (
            "GET",
            "https://example.amazonaws.com/",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "GET",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        (
            "POST",
            "https://example.amazonaws.com/",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
    ],
    ids=["get-vanilla", "get-vanilla-query-order-key-case", "post-vanilla"],
)
def test_sigv4_reproduces_the_published_test_suite(method: str, url: str, signature: str) -> None:
    signer = SigV4(SUITE_CREDENTIALS, "us-east-1", service="service", now=lambda: SUITE_DATE)
    headers = signer.signed_headers(httpx.Request(method, url))
    assert headers == {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        f"aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
        "X-Amz-Date": "20150830T123600Z",
    }


def test_sigv4_agrees_with_botocore_add_auth_on_a_body_and_token() -> None:
    body = b'{"CustomRedirectDomain": "click.brand-a.com", "HttpsPolicy": "REQUIRE"}'
    url = f"{BASE}/v2/email/configuration-sets/brand-a/tracking-options"
    reference = AWSRequest(method="PUT", url=url, data=body, headers={"Host": httpx.URL(url).host})
    SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "ses", REGION).add_auth(reference)
    stamp = datetime.datetime.strptime(reference.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    signer = SigV4(CREDENTIALS, REGION, now=lambda: stamp.replace(tzinfo=datetime.UTC))
    ours = signer.signed_headers(httpx.Request("PUT", url, content=body))
    assert ours["Authorization"] == reference.headers["Authorization"]
    assert ours["X-Amz-Security-Token"] == TOKEN


def expected_signature(request: httpx.Request) -> str:
    """What AWS would compute for the request as received (server side of SigV4)."""
    received = AWSRequest(
        method=request.method,
        url=str(request.url),
        data=request.content,
        headers={
            "Host": request.headers["host"],
            "X-Amz-Date": request.headers["x-amz-date"],
            "X-Amz-Security-Token": request.headers["x-amz-security-token"],
        },
    )
    received.context["timestamp"] = request.headers["x-amz-date"]
    signer = SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "ses", REGION)
    return signer.signature(
        signer.string_to_sign(received, signer.canonical_request(received)), received
    )


def test_requests_are_signed_over_the_bytes_sent(client: SesClient, api: respx.MockRouter) -> None:
    api.get("/v2/email/configuration-sets/brand-a").respond(200, json=config_set("brand-a"))
    api.get(f"/v2/email/identities/{HOST}").respond(200, json=identity())
    put = api.put("/v2/email/configuration-sets/brand-a/tracking-options").respond(200, json={})
    client.set_https(_domain(client, api), True)
    request = put.calls.last.request
    authorization = request.headers["authorization"]
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential={KEY_ID}/20261126/{REGION}/ses/aws4_request, "
    )
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "x-amz-security-token"} <= set(signed)
    assert request.headers["x-amz-date"] == "20261126T083000Z"
    assert authorization.endswith(f"Signature={expected_signature(request)}")
    assert SECRET not in str(request.headers)


def _domain(client: SesClient, api: respx.MockRouter) -> TrackingDomain:
    api.post(LIST).respond(200, json={"ConfigurationSets": ["brand-a"]})
    (found,) = client.list_tracking_domains()
    return found


def test_list_reads_config_sets_and_caches_identities(
    client: SesClient, api: respx.MockRouter
) -> None:
    pages = api.post(LIST).mock(
        side_effect=[
            httpx.Response(
                200, json={"ConfigurationSets": ["brand-a", "plain"], "NextToken": "t/1+"}
            ),
            httpx.Response(200, json={"ConfigurationSets": ["brand-a-eu"]}),
        ]
    )
    api.get("/v2/email/configuration-sets/brand-a").respond(200, json=config_set("brand-a"))
    api.get("/v2/email/configuration-sets/plain").respond(200, json=config_set("plain", None))
    api.get("/v2/email/configuration-sets/brand-a-eu").respond(
        200, json=config_set("brand-a-eu", "Click.Brand-A.com.", None)
    )
    lookups = api.get(f"/v2/email/identities/{HOST}").respond(200, json=identity())
    first, second = client.list_tracking_domains()
    assert (first.host, first.esp_id, first.esp) == (HOST, "brand-a", "ses")
    assert first.verified is True and first.cname_valid is None and first.https is True
    assert first.expected_target is None and first.problems == ()
    assert first.certificate.status == "unknown" and "CDN" in first.certificate.detail
    assert ("HttpsPolicy", "REQUIRE") in first.details
    assert (second.host, second.https) == (HOST, False)
    assert ("HttpsPolicy", "OPTIONAL (not set)") in second.details
    assert lookups.call_count == 1
    bodies = [json.loads(call.request.content) for call in pages.calls]
    assert bodies == [{"PageSize": 100}, {"PageSize": 100, "NextToken": "t/1+"}]


def test_redirect_domain_that_is_no_identity(client: SesClient, api: respx.MockRouter) -> None:
    api.post(LIST).respond(200, json={"ConfigurationSets": ["brand-a"]})
    api.get("/v2/email/configuration-sets/brand-a").respond(200, json=config_set("brand-a"))
    api.get(f"/v2/email/identities/{HOST}").mock(return_value=not_found("Email identity not found"))
    (found,) = client.list_tracking_domains()
    assert found.verified is False
    assert found.problems == (
        f"{HOST} is not an SES identity in {REGION}: SES needs the redirect domain verified as a "
        "domain identity (create it and publish its DNS records)",
    )


def test_pending_identity_is_unverified(client: SesClient, api: respx.MockRouter) -> None:
    api.post(LIST).respond(200, json={"ConfigurationSets": ["brand-a"]})
    api.get("/v2/email/configuration-sets/brand-a").respond(200, json=config_set("brand-a"))
    api.get(f"/v2/email/identities/{HOST}").respond(200, json=identity("PENDING"))
    (found,) = client.list_tracking_domains()
    assert found.verified is False and "is PENDING: fix its DNS records" in found.problems[0]


def test_config_set_deleted_meanwhile_is_skipped(client: SesClient, api: respx.MockRouter) -> None:
    api.post(LIST).respond(200, json={"ConfigurationSets": ["gone"]})
    api.get("/v2/email/configuration-sets/gone").mock(return_value=not_found("does not exist"))
    assert client.list_tracking_domains() == ()


def test_requests_follow_the_botocore_model(client: SesClient, api: respx.MockRouter) -> None:
    model = Loader().load_service_model("sesv2", "service-2")
    api.get("/v2/email/configuration-sets/brand-a").respond(200, json=config_set("brand-a"))
    api.get(f"/v2/email/identities/{HOST}").respond(200, json=identity())
    put = api.put("/v2/email/configuration-sets/brand-a/tracking-options").respond(200, json={})
    client.set_https(_domain(client, api), False)
    sent = {(call.request.method, call.request.url.path) for call in api.calls}
    names = {"ConfigurationSetName": "brand-a", "EmailIdentity": HOST}
    documented = {
        (op["http"]["method"], op["http"]["requestUri"].format(**names))
        for name, op in model["operations"].items()
        if name
        in (
            "ListConfigurationSets",
            "GetConfigurationSet",
            "GetEmailIdentity",
            "PutConfigurationSetTrackingOptions",
        )
    }
    assert sent == documented
    shapes = model["shapes"]
    list_body = json.loads(api.calls[0].request.content)
    assert set(list_body) <= set(shapes["ListConfigurationSetsRequest"]["members"])
    put_body = json.loads(put.calls.last.request.content)
    assert set(put_body) <= set(shapes["PutConfigurationSetTrackingOptionsRequest"]["members"])
    assert put_body == {"CustomRedirectDomain": HOST, "HttpsPolicy": "OPTIONAL"}
    assert put_body["HttpsPolicy"] in shapes["HttpsPolicy"]["enum"]


@pytest.mark.parametrize(("enabled", "policy"), [(True, "REQUIRE"), (False, "OPTIONAL")])
def test_set_https_puts_the_policy_and_reads_back(
    client: SesClient, api: respx.MockRouter, enabled: bool, policy: str
) -> None:
    api.get("/v2/email/configuration-sets/brand-a").mock(
        side_effect=[
            httpx.Response(200, json=config_set("brand-a", policy="REQUIRE_OPEN_ONLY")),
            httpx.Response(200, json=config_set("brand-a", policy=policy)),
        ]
    )
    api.get(f"/v2/email/identities/{HOST}").respond(200, json=identity())
    put = api.put("/v2/email/configuration-sets/brand-a/tracking-options").respond(200)
    before = _domain(client, api)
    assert before.https is False
    after = client.set_https(before, enabled)
    assert json.loads(put.calls.last.request.content) == {
        "CustomRedirectDomain": HOST,
        "HttpsPolicy": policy,
    }
    assert after.https is enabled and ("HttpsPolicy", policy) in after.details


@pytest.mark.parametrize("capability", [Capability.VERIFY, Capability.CERTIFICATE])
def test_verify_and_certificates_are_unsupported(
    client: SesClient, api: respx.MockRouter, capability: Capability
) -> None:
    found = _domain_offline()
    explained = client.explain(capability)
    assert explained is not None
    with pytest.raises(EspUnsupported) as caught:
        if capability is Capability.VERIFY:
            client.verify(found)
        else:
            client.request_certificate(found)
    assert caught.value.hint == explained.reason
    assert not api.calls
    words = "fix DNS and wait" if capability is Capability.VERIFY else "CDN with a certificate"
    assert words in explained.reason
    assert client.explain(Capability.HTTPS_ENABLE) is None
    with pytest.raises(EspUnsupported):
        client.certificate_status(found)


def _domain_offline() -> TrackingDomain:
    options = RedirectOptions(configuration_set="brand-a", host=HOST, https_policy=None)
    return build_domain(options, NOT_AN_IDENTITY, account="acme", region=REGION)


def aws_error(status: int, kind: str, message: str, **headers: str) -> httpx.Response:
    """An AWS rest-json error: the type in `x-amzn-ErrorType`, the text in `message`."""
    headers["x-amzn-ErrorType"] = f"{kind}:http://internal.amazon.com/coral/com.amazonaws.sesv2/"
    return httpx.Response(status, headers=headers, json={"message": message})


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (
            aws_error(403, "UnrecognizedClientException", "The security token is invalid."),
            "UnrecognizedClientException: The security token is invalid.",
        ),
        (
            aws_error(
                403, "AccessDeniedException", "not authorized to perform ses:GetEmailIdentity"
            ),
            "AccessDeniedException",
        ),
    ],
)
def test_auth_errors_name_the_iam_actions(
    client: SesClient, api: respx.MockRouter, reply: httpx.Response, words: str
) -> None:
    api.post(LIST).mock(return_value=reply)
    with pytest.raises(SesAuthError) as caught:
        client.list_tracking_domains()
    text = str(caught.value)
    assert words in text and "trackdeck creds set acme" in text
    assert all(action in text for action in IAM_ACTIONS)
    assert caught.value.status == 403


def test_bad_request_keeps_the_aws_error_type(client: SesClient, api: respx.MockRouter) -> None:
    api.post(LIST).mock(return_value=aws_error(400, "BadRequestException", "PageSize too big"))
    with pytest.raises(EspRejected, match="BadRequestException: PageSize too big"):
        client.list_tracking_domains()


def test_error_type_in_the_body_is_used_too(client: SesClient, api: respx.MockRouter) -> None:
    body = {"__type": "com.amazonaws.sesv2#BadRequestException", "Message": "bad token"}
    api.post(LIST).respond(400, json=body)
    with pytest.raises(EspRejected, match="BadRequestException: bad token"):
        client.list_tracking_domains()


def test_set_https_on_a_vanished_config_set_is_not_found(
    client: SesClient, api: respx.MockRouter
) -> None:
    api.put("/v2/email/configuration-sets/brand-a/tracking-options").mock(
        return_value=not_found("Configuration set <brand-a> does not exist.")
    )
    with pytest.raises(EspNotFound, match="does not exist"):
        client.set_https(_domain_offline(), True)


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (httpx.Response(200, json={"ConfigurationSets": "brand-a"}), "not a JSON array"),
        (httpx.Response(200, json={"ConfigurationSets": [1]}), "non-string name"),
        (httpx.Response(200, json=["brand-a"]), "response is not a JSON object"),
    ],
)
def test_wrong_list_shapes_are_bad_responses(
    client: SesClient, api: respx.MockRouter, reply: httpx.Response, words: str
) -> None:
    api.post(LIST).mock(return_value=reply)
    with pytest.raises(EspBadResponse, match=words):
        client.list_tracking_domains()


def test_wrong_shape_of_tracking_options(client: SesClient, api: respx.MockRouter) -> None:
    api.post(LIST).respond(200, json={"ConfigurationSets": ["brand-a"]})
    api.get("/v2/email/configuration-sets/brand-a").respond(
        200, json={"TrackingOptions": "click.brand-a.com"}
    )
    with pytest.raises(EspBadResponse, match="TrackingOptions is not a JSON object"):
        client.list_tracking_domains()


def test_endless_next_token_is_cut_off(client: SesClient, api: respx.MockRouter) -> None:
    api.post(LIST).respond(200, json={"ConfigurationSets": [], "NextToken": "again"})
    with pytest.raises(EspBadResponse, match="pagination did not end after 200 pages"):
        client.list_tracking_domains()


def test_secrets_never_leak(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"bad signature for {SECRET} with token {TOKEN}"
    api.post(LIST).mock(return_value=aws_error(403, "InvalidSignatureException", echo))
    ses = make_client(ACCOUNT, CREDENTIALS, sleep=sleeps.append)
    with pytest.raises(SesAuthError) as caught:
        ses.list_tracking_domains()
    ses.close()
    assert isinstance(ses, SesClient)
    shown = [str(caught.value), repr(caught.value), repr(ses), repr(CREDENTIALS)]
    shown += [repr(SigV4(CREDENTIALS, REGION))]
    shown += [record.getMessage() for record in caplog.records]
    assert caplog.records and "***" in str(caught.value)
    assert not any(SECRET in text or TOKEN in text for text in shown)
