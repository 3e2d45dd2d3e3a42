"""SparkPost client against the examples in SparkPost's own API Blueprint (tracking-domains.apib).

Prism cannot serve API Blueprint, so this test reads the blueprint itself: every documented
response example must parse (success bodies into our values, error bodies into a message), and
every request the client sends must use a documented method, path and JSON body, with the raw
`Authorization` header the examples show. The client is driven through respx, which answers each
request with the blueprint's own 200 example for that action.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
import respx

from esp_clients.base import AccountRef, TrackingDomain
from esp_clients.sparkpost import (
    SparkPostClient,
    error_message,
    parse_domain,
    parse_eligible,
    parse_enable,
    parse_list,
    parse_single,
    parse_verify,
)
from tests.support.blueprint import Example, read_examples
from tests.support.prism import spec_file

SPEC = spec_file("sparkpost-tracking-domains.apib")
BASE = "https://sparkpost.contract.test/api/v1"
KEY = "contract-test-key"
EXAMPLES = read_examples(SPEC.read_text(encoding="utf-8"), first_action="Tracking Domain Object")
ACTIONS = {(e.method, e.path) for e in EXAMPLES if e.method}


def documented(method: str, path: str) -> tuple[str, str] | None:
    """The blueprint action (method, path template) a request path matches."""
    for action_method, template in ACTIONS:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if action_method == method and re.match(pattern, path):
            return action_method, template
    return None


def example(method: str, template: str, kind: str, status: int | None = None) -> Example:
    """The one example of `kind` (and `status`) for an action."""
    (found,) = [
        e
        for e in EXAMPLES
        if (e.method, e.path, e.kind) == (method, template, kind)
        and (status is None or e.status == status)
    ]
    return found


def test_the_blueprint_was_read_completely() -> None:
    assert len(ACTIONS) == 8
    assert len([e for e in EXAMPLES if e.kind == "response"]) == 28
    assert example("GET", "/tracking-domains", "response", 200).body is not None


def test_every_success_example_parses() -> None:
    parsers = {
        ("GET", "/tracking-domains"): lambda b: parse_list(b, account="doc"),
        ("GET", "/tracking-domains/{domain}"): lambda b: parse_single(b, account="doc"),
        ("POST", "/tracking-domains/{domain}/verify"): parse_verify,
        ("POST", "/tracking-domains/{domain}/certificate/check"): parse_eligible,
        ("POST", "/tracking-domains/{domain}/certificate/enable"): parse_enable,
    }
    successes = [e for e in EXAMPLES if e.kind == "response" and e.status in (200, 204)]
    assert len(successes) == 8
    for success in successes:
        parse = parsers.get((success.method, success.path))
        if parse is not None:
            assert parse(success.body) not in (None, ()), success.action
    (listed,) = [e for e in successes if e.path == "/tracking-domains" and e.method == "GET"]
    assert [d.host for d in parse_list(listed.body, account="doc")] == [
        "example.domain.com",
        "example2.domain.com",
    ]


def test_the_object_sample_parses_with_its_certificate() -> None:
    (sample,) = [e for e in EXAMPLES if e.kind == "sample"]
    tracked = parse_domain(sample.body, account="doc")
    assert isinstance(tracked, TrackingDomain)
    assert tracked.certificate.expires_at == "2026-04-27T19:09:16.000Z"
    assert tracked.certificate.status == "unknown"  # managed, but the sample has no tls_status


def test_every_error_example_yields_its_message() -> None:
    failures = [e for e in EXAMPLES if e.kind == "response" and (e.status or 0) >= 400]
    assert len(failures) == 20
    for failure in failures:
        message = error_message(failure.body)
        assert message, failure
        assert isinstance(failure.body, dict)
        assert failure.body["errors"][0]["message"] in message


def answer(request: httpx.Request) -> httpx.Response:
    """The blueprint's 200 example for the action the request addresses (404 if undocumented)."""
    path = request.url.path.removeprefix("/api/v1")
    action = documented(request.method, path)
    if action is None:
        return httpx.Response(404, json={"errors": [{"message": "undocumented call"}]})
    return httpx.Response(200, json=example(*action, "response", 200).body)


@pytest.fixture
def wire() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE) as router:
        router.route().mock(side_effect=answer)
        yield router


@pytest.fixture
def client(wire: respx.MockRouter) -> Iterator[SparkPostClient]:
    account = AccountRef(name="doc", esp="sparkpost", region="us", api_base=BASE)
    sparkpost = SparkPostClient(account, KEY, sleep=lambda _: None)
    yield sparkpost
    sparkpost.close()


def assert_documented(calls: respx.models.CallList) -> list[tuple[str, str]]:
    """Each request's action, after checking its auth header and JSON body against the examples."""
    actions: list[tuple[str, str]] = []
    for call in calls:
        request = call.request
        action = documented(request.method, request.url.path.removeprefix("/api/v1"))
        assert action is not None, (request.method, request.url.path)
        assert request.headers["authorization"] == KEY
        documented_body = example(*action, "request").body
        if request.content:
            assert isinstance(documented_body, dict)
            assert set(json.loads(request.content)) <= set(documented_body)
        else:
            assert documented_body is None or action[0] == "GET"
        actions.append(action)
    return actions


def test_every_client_call_is_documented(client: SparkPostClient, wire: respx.MockRouter) -> None:
    (first, _) = client.list_tracking_domains()
    client.verify(first)
    client.request_certificate(first)
    client.certificate_status(first)
    client.set_https(first, True)
    client.set_https(first, False)
    actions = assert_documented(wire.calls)
    single = ("GET", "/tracking-domains/{domain}")
    assert actions == [
        ("GET", "/tracking-domains"),
        ("POST", "/tracking-domains/{domain}/verify"),
        single,
        ("POST", "/tracking-domains/{domain}/certificate/check"),
        ("POST", "/tracking-domains/{domain}/certificate/enable"),
        single,
        single,
        ("POST", "/tracking-domains/{domain}/certificate/check"),
        ("POST", "/tracking-domains/{domain}/certificate/enable"),
        single,
        single,
        ("PUT", "/tracking-domains/{domain}"),
        single,
    ]
    assert json.loads(wire.calls[-2].request.content) == {"secure": False}
