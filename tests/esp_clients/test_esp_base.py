"""The shared ESP transport: retries, error mapping, size limits, redaction and helpers."""

from __future__ import annotations

import dataclasses
import email.utils
import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from checks.dnsanswer import name_problem
from checks.names import to_ascii
from esp_clients.base import AccountRef, Capability, CertificateState, TrackingDomain, Unsupported
from esp_clients.client import require
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspError,
    EspNotFound,
    EspOutcomeUnknown,
    EspRateLimited,
    EspRejected,
    EspUnavailable,
    EspUnsupported,
)
from esp_clients.http import HttpApi, backoff, header_wait, paginate
from esp_clients.redaction import redact
from esp_clients.shapes import (
    ShapeError,
    as_list,
    as_mapping,
    normalize_host,
    opt_bool,
    opt_str,
    quote_segment,
    sanitize,
)

CANARY = "sk-CANARY-7f3a9e"
NOW = 1_700_000_000.0
ACCOUNT = AccountRef(name="acme", esp="sendgrid")
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler answering from a script and remembering the requests."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_api(sleeps: list[float]) -> Iterator[Callable[..., HttpApi]]:
    clients: list[httpx.Client] = []

    def build(handler: Handler, **kwargs: object) -> HttpApi:
        client = httpx.Client(transport=httpx.MockTransport(handler))
        clients.append(client)
        options: dict[str, object] = {
            "account": ACCOUNT,
            "label": "SendGrid",
            "base_url": "https://api.test/",
            "headers": {"Authorization": f"Bearer {CANARY}"},
            "client": client,
            "sleep": sleeps.append,
            "clock": lambda: NOW,
            "secrets": (CANARY,),
        }
        options.update(kwargs)
        return HttpApi(**options)  # type: ignore[arg-type]

    yield build
    for client in clients:
        client.close()


def test_returns_parsed_json_and_sends_headers(make_api: Callable[..., HttpApi]) -> None:
    recorder = Recorder(httpx.Response(200, json=[{"id": 1}]))
    api = make_api(recorder)
    assert api.request_json("GET", "/v3/links", params={"limit": 5}) == [{"id": 1}]
    sent = recorder.requests[0]
    assert str(sent.url) == "https://api.test/v3/links?limit=5"
    assert sent.headers["authorization"] == f"Bearer {CANARY}"


def test_empty_success_body_is_none(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(204)))
    assert api.request_json("DELETE", "/x", expect=(204,)) is None


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_name_the_fix(make_api: Callable[..., HttpApi], status: int) -> None:
    recorder = Recorder(httpx.Response(status, json={"errors": [{"message": "bad key"}]}))
    with pytest.raises(EspAuthError) as caught:
        make_api(recorder).request_json("GET", "/x")
    assert caught.value.status == status
    assert "trackdeck creds set acme" in str(caught.value)
    assert "bad key" in str(caught.value)
    assert str(caught.value).startswith("SendGrid (account acme): HTTP")
    assert len(recorder.requests) == 1


def test_not_found_carries_the_esp_message(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(404, json={"message": "Domain not found"})))
    with pytest.raises(EspNotFound, match="Domain not found"):
        api.request_json("GET", "/x")


def test_rejected_message_is_sanitised_and_capped(make_api: Callable[..., HttpApi]) -> None:
    text = "bad\x1b[31m\nvalue " + "x" * 500
    api = make_api(Recorder(httpx.Response(400, json={"Reason": text})))
    with pytest.raises(EspRejected) as caught:
        api.request_json("POST", "/x")
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message
    assert "bad [31m value" in message
    assert len(caught.value.detail) < 220


def test_retry_after_seconds_then_success(
    make_api: Callable[..., HttpApi], sleeps: list[float]
) -> None:
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"ok": 1})
    )
    assert make_api(recorder).request_json("GET", "/x") == {"ok": 1}
    assert sleeps == [2.0]


def test_ratelimit_reset_epoch_then_success(
    make_api: Callable[..., HttpApi], sleeps: list[float]
) -> None:
    recorder = Recorder(
        httpx.Response(429, headers={"X-RateLimit-Reset": str(int(NOW) + 7)}),
        httpx.Response(200, json={}),
    )
    assert make_api(recorder).request_json("GET", "/x") == {}
    assert sleeps == [7.0]


def test_header_wait_variants() -> None:
    date = email.utils.formatdate(NOW + 12, usegmt=True)
    assert header_wait(httpx.Headers({"retry-after": date}), NOW) == pytest.approx(12.0)
    assert header_wait(httpx.Headers({"ratelimit-reset": "3"}), NOW) == 3.0
    assert header_wait(httpx.Headers({"x-ratelimit-reset": str(NOW - 50)}), NOW) == 0.0
    assert header_wait(httpx.Headers({"retry-after": "soon"}), NOW) is None
    assert header_wait(httpx.Headers({}), NOW) is None


def test_backoff_doubles_and_caps() -> None:
    assert [backoff(n) for n in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff(20) == 30.0


def test_endless_429_raises_rate_limited_with_capped_waits(
    make_api: Callable[..., HttpApi], sleeps: list[float]
) -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(EspRateLimited) as caught:
        make_api(recorder).request_json("GET", "/x")
    assert caught.value.retry_after == 3600.0
    assert caught.value.status == 429
    assert sleeps == [60.0, 60.0, 60.0]
    assert len(recorder.requests) == 4


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"errors": [{"message": "internal error getting CNAME"}]}),
        httpx.Response(502, text="<html><body>Bad Gateway</body></html>"),
        httpx.Response(503),
    ],
)
def test_server_errors_retry_with_backoff_then_unavailable(
    make_api: Callable[..., HttpApi], sleeps: list[float], response: httpx.Response
) -> None:
    with pytest.raises(EspUnavailable) as caught:
        make_api(Recorder(response)).request_json("GET", "/x")
    assert caught.value.status == response.status_code
    assert f"HTTP {response.status_code}" in str(caught.value)
    assert "try again later" in str(caught.value)
    assert sleeps == [0.5, 1.0, 2.0]


def test_server_error_then_success(make_api: Callable[..., HttpApi], sleeps: list[float]) -> None:
    recorder = Recorder(httpx.Response(503), httpx.Response(200, json=[1]))
    assert make_api(recorder).request_json("GET", "/x") == [1]
    assert sleeps == [0.5]


def test_connect_timeout_becomes_unavailable(
    make_api: Callable[..., HttpApi], sleeps: list[float]
) -> None:
    recorder = Recorder(httpx.ConnectTimeout("timed out"))
    with pytest.raises(EspUnavailable, match="connecting timed out") as caught:
        make_api(recorder).request_json("GET", "/x")
    assert caught.value.status is None
    assert len(sleeps) == 3


def test_malformed_json_is_bad_response(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(200, text="{not json")))
    with pytest.raises(EspBadResponse, match="not valid JSON") as caught:
        api.request_json("GET", "/x")
    assert "api_base" in str(caught.value)


def test_deeply_nested_json_is_bad_response(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(200, text="[" * 100_000)))
    with pytest.raises(EspBadResponse):
        api.request_json("GET", "/x")


def test_oversized_response_with_length_is_refused(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(200, json=list(range(1000)))), max_bytes=100)
    with pytest.raises(EspBadResponse, match="larger than 100 bytes"):
        api.request_json("GET", "/x")


def test_oversized_streamed_response_is_refused(make_api: Callable[..., HttpApi]) -> None:
    response = httpx.Response(200, content=iter([b"[1,", b"2," * 200, b"3]"]))
    assert "content-length" not in response.headers
    api = make_api(Recorder(response), max_bytes=100)
    with pytest.raises(EspBadResponse, match="larger than"):
        api.request_json("GET", "/x")


def test_unexpected_success_status_is_bad_response(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(201, json={})))
    with pytest.raises(EspBadResponse, match="HTTP 201"):
        api.request_json("GET", "/x")


def test_error_kind_hook_stops_retries(
    make_api: Callable[..., HttpApi], sleeps: list[float]
) -> None:
    def kind(status: int, body: object) -> type[EspError] | None:
        return (
            EspAuthError if isinstance(body, dict) and body.get("name") == "Invalid_Key" else None
        )

    body = {"status": "error", "code": -1, "name": "Invalid_Key", "message": "Invalid API key"}
    recorder = Recorder(httpx.Response(500, json=body))
    with pytest.raises(EspAuthError, match="Invalid API key"):
        make_api(recorder, error_kind=kind).request_json("POST", "/x")
    assert sleeps == []


def test_error_message_hook_is_used(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(
        Recorder(httpx.Response(422, json={"detail": "custom words"})),
        error_message=lambda body: str(body["detail"]) if isinstance(body, dict) else None,
    )
    with pytest.raises(EspRejected, match="custom words"):
        api.request_json("POST", "/x")


def test_canary_never_leaks(
    make_api: Callable[..., HttpApi], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trackdeck.esp")
    echo = {"message": f"key {CANARY} is invalid"}
    api = make_api(Recorder(httpx.Response(400, json=echo)))
    with pytest.raises(EspRejected) as caught:
        api.request_json("POST", f"/keys/{CANARY}?key={CANARY}", json={"key": CANARY})
    texts = [str(caught.value), repr(caught.value), repr(api), caught.value.detail]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records, "the request was logged"
    assert all(CANARY not in text for text in texts)
    assert "***" in str(caught.value)


def test_make_error_redacts_hint_and_detail(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(200)))
    error = api.make_error(EspRejected, f"x {CANARY}", hint=f"y {CANARY}", status=402)
    assert CANARY not in str(error)
    assert error.status == 402


def test_convert_turns_shape_errors_into_bad_response(make_api: Callable[..., HttpApi]) -> None:
    api = make_api(Recorder(httpx.Response(200)))
    with pytest.raises(EspBadResponse, match="is not a JSON array"):
        api.convert(lambda body: as_list(body, "the link list"), {"a": 1})


def test_paginate_collects_pages_and_guards_endless_lists(
    make_api: Callable[..., HttpApi],
) -> None:
    pages = {None: ([1, 2], 1), 1: ([3], None)}
    assert paginate(lambda cursor: pages[cursor]) == (1, 2, 3)
    api = make_api(Recorder(httpx.Response(200)))
    calls: list[int | None] = []

    def endless(cursor: int | None) -> tuple[list[int], int]:
        calls.append(cursor)
        return [0], (cursor or 0) + 1

    with pytest.raises(EspBadResponse, match="did not end after 200 pages") as caught:
        api.paginate(endless)
    assert len(calls) == 200
    assert "acme" in str(caught.value)


class _NoHttps:
    account = ACCOUNT
    label = "SendGrid"
    capabilities = frozenset({Capability.LIST})

    def explain(self, capability: Capability) -> Unsupported | None:
        if capability in self.capabilities:
            return None
        return Unsupported(capability=capability, reason="ask support")


def test_require_raises_unsupported_with_reason() -> None:
    client = _NoHttps()
    require(client, Capability.LIST)  # type: ignore[arg-type]
    with pytest.raises(EspUnsupported, match="ask support") as caught:
        require(client, Capability.HTTPS_ENABLE)  # type: ignore[arg-type]
    assert caught.value.capability is Capability.HTTPS_ENABLE
    assert caught.value.hint == "ask support"


def test_close_only_closes_an_owned_client() -> None:
    injected = httpx.Client(transport=httpx.MockTransport(Recorder(httpx.Response(200))))
    HttpApi(account=ACCOUNT, label="X", base_url="https://a.test", client=injected).close()
    assert not injected.is_closed
    injected.close()
    owned = HttpApi(account=ACCOUNT, label="X", base_url="https://a.test")
    owned.close()
    assert owned._client.is_closed


def test_pure_helpers() -> None:
    assert sanitize("a\tb\x00c", 10) == "a b c"
    assert sanitize("x" * 20, 5) == "xxxx…"
    assert redact("k=sk%2F1 and sk/1", ["sk/1", ""]) == "k=*** and ***"
    assert normalize_host(" Links.Example.COM. ") == "links.example.com"
    assert quote_segment("a/b c") == "a%2Fb%20c"
    assert opt_str({"id": 7}, "id") == "7"
    assert opt_str({}, "id") is None
    assert opt_bool({"v": False}, "v") is False
    with pytest.raises(ShapeError):
        opt_bool({"v": "yes"}, "v")
    with pytest.raises(ShapeError):
        opt_str({"v": True}, "v")
    with pytest.raises(ShapeError, match="the domain is not a JSON object"):
        as_mapping([], "the domain")


@pytest.mark.parametrize(
    ("name", "a_label"),
    [
        ("links.straße.de", "links.xn--strae-oqa.de"),  # IDNA 2003 made it strasse.de
        (" LINKS.Bücher.DE. ", "links.xn--bcher-kva.de"),
        ("ｌｉｎｋｓ。bücher.de。", "links.xn--bcher-kva.de"),  # UTS 46 maps full-width forms
        ("klick.ελλάς.gr", "klick.xn--hxarsa0b.gr"),  # the final sigma kept
        ("_dmarc.bücher.de", "_dmarc.xn--bcher-kva.de"),  # ASCII labels stay as they are
    ],
)
def test_esp_hosts_get_the_a_labels_of_the_checks_rule(name: str, a_label: str) -> None:
    """esp_clients may not import checks: its copy of the rule gives checks.names' answers."""
    assert normalize_host(name) == a_label == to_ascii(name.strip()).rstrip(".")
    assert normalize_host(a_label) == a_label


@pytest.mark.parametrize("name", ["links.\u2764.example", "a\u200db.example", "ü\u0378.example"])
def test_esp_hosts_idna_2008_refuses_stay_as_listed_for_dns_to_refuse(name: str) -> None:
    with pytest.raises(UnicodeError):
        to_ascii(name)
    host = normalize_host(f" {name.upper()}. ")
    assert host == name.lower() == normalize_host(host)
    assert "is not a DNS name that can be asked" in name_problem(host)


def test_values_are_frozen() -> None:
    domain = TrackingDomain(
        host="links.example.com",
        esp="sendgrid",
        account="acme",
        esp_id="1",
        verified=True,
        cname_valid=True,
        expected_target="sendgrid.net",
        https=None,
        certificate=CertificateState(status="unknown"),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        domain.host = "x"  # type: ignore[misc]
    assert domain.problems == ()


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("the server hung up"),
        httpx.WriteTimeout("half sent"),
        httpx.Response(502, text="bad gateway"),
    ],
    ids=["read timeout", "dropped", "write timeout", "502"],
)
def test_a_post_that_may_have_reached_the_esp_is_not_sent_again(
    make_api: Callable[..., HttpApi], sleeps: list[float], failure: httpx.Response | Exception
) -> None:
    """Repeating a POST (a certificate request) could act twice: one attempt, then the caller
    reads the state back (tui/actions records what it read)."""
    recorder = Recorder(failure, httpx.Response(202, json={}))
    api = make_api(recorder)
    expected = EspUnavailable if isinstance(failure, httpx.Response) else EspOutcomeUnknown
    with pytest.raises(expected) as caught:
        api.request_json("POST", "/v2/x509/links.brand.example", expect=(202,))
    assert len(recorder.requests) == 1 and sleeps == []
    if expected is EspOutcomeUnknown:
        assert "not sent again" in str(caught.value)
        assert "read the ESP's state (trackdeck scan) before trying again" in str(caught.value)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route"), httpx.Response(429)],
    ids=["connect error", "connect timeout", "429"],
)
def test_a_post_that_never_reached_the_esp_is_retried(
    make_api: Callable[..., HttpApi], failure: httpx.Response | Exception
) -> None:
    recorder = Recorder(failure, httpx.Response(202, json={"message": "queued"}))
    api = make_api(recorder)
    assert api.request_json("POST", "/v2/x509/h", expect=(202,)) == {"message": "queued"}
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(("method", "idempotent"), [("GET", None), ("PUT", None), ("POST", True)])
def test_idempotent_requests_are_retried_after_a_read_timeout(
    make_api: Callable[..., HttpApi], method: str, idempotent: bool | None
) -> None:
    recorder = Recorder(httpx.ReadTimeout("no answer"), httpx.Response(200, json=[]))
    api = make_api(recorder)
    assert api.request_json(method, "/v3/links", idempotent=idempotent) == []
    assert len(recorder.requests) == 2
