"""SendGrid's click-tracking switch against Prism serving SendGrid's Tracking Settings OpenAPI file.

The spec documents two answers: the ClickTracking schema's own example (both flags false, which
Prism serves by default) and the operation's example `response` (`"enabled": true`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from esp_clients.base import AccountRef
from esp_clients.sendgrid import SendGridClient
from tests.support.fakes import domain
from tests.support.prism import Wire, spec_file

KEY = "SG.contract-test-key"
SPEC = spec_file("sendgrid-tracking-settings.openapi.yaml")


@pytest.fixture
def client(prism_url: str, wire: Wire) -> Iterator[SendGridClient]:
    account = AccountRef(name="contract", esp="sendgrid", api_base=prism_url)
    with wire.client() as http:
        sendgrid = SendGridClient(account, KEY, http_client=http, sleep=wire.sleeps.append)
        yield sendgrid
        sendgrid.close()


PATH = "/v3/tracking_settings/click"


def test_the_schema_example_reads_as_off(client: SendGridClient, wire: Wire) -> None:
    tracking = client.click_tracking(domain("links.brand.example", "contract", esp="sendgrid"))
    assert wire.exchanges == [("GET", PATH, 200)]
    assert (tracking.enabled, tracking.detail) == (False, "off")


def test_the_documented_response_reads_as_on(client: SendGridClient, wire: Wire) -> None:
    wire.prefer[("GET", PATH)] = "example=response"
    tracking = client.click_tracking(domain("links.brand.example", "contract", esp="sendgrid"))
    assert wire.exchanges == [("GET", PATH, 200)]
    assert tracking.enabled is True
    assert tracking.detail == "on (plain-text links not rewritten)"
    assert "PATCH /v3/tracking_settings/click" in tracking.setting
    assert tracking.scope.label == "the whole account"


def test_prism_really_validates(prism_url: str) -> None:
    with httpx.Client(base_url=prism_url) as raw:
        anonymous = raw.get("/v3/tracking_settings/click")
        wrong_method = raw.delete(
            "/v3/tracking_settings/click", headers={"Authorization": f"Bearer {KEY}"}
        )
    assert anonymous.status_code == 401
    assert wrong_method.status_code == 405
