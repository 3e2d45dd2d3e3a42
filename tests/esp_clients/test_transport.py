"""Every ESP client over the shared transport, each through its own list call: waits and retries,
timeouts, unusable answers, the error class of each status, and secrets kept out of every text."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from esp_clients.base import AwsCredentials
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspError,
    EspNotFound,
    EspRateLimited,
    EspRejected,
    EspUnavailable,
)
from tests.support.esp_wire import CANARY, ESPS, NOW, Esp, Setup, wired

BACKOFF = [0.5, 1.0, 2.0]


@pytest.fixture(params=ESPS, ids=str)
def esp(request: pytest.FixtureRequest) -> Esp:
    chosen: Esp = request.param
    return chosen


@pytest.fixture
def setup(esp: Esp) -> Iterator[Setup]:
    with wired(esp) as made:
        yield made


# --- waits and retries -------------------------------------------------------------------------


def test_429_with_retry_after_then_success(setup: Setup) -> None:
    limited = setup.esp.error(429, "too many requests")
    limited.headers["Retry-After"] = "4"
    setup.answer(limited, setup.ok())
    assert setup.listed() == ()
    assert setup.sleeps == [4.0]


@pytest.mark.parametrize(
    ("header", "value", "wait"),
    [("X-RateLimit-Reset", str(int(NOW) + 5), 5.0), ("ratelimit-reset", "1", 1.0)],
    ids=["epoch", "seconds"],
)
def test_429_with_a_ratelimit_reset_then_success(
    setup: Setup, header: str, value: str, wait: float
) -> None:
    setup.answer(httpx.Response(429, headers={header: value}), setup.ok())
    assert setup.listed() == ()
    assert setup.sleeps == [wait]


def test_429_forever_is_rate_limited_with_the_esps_message(setup: Setup) -> None:
    limited = setup.esp.error(429, "Too many requests, slow down")
    limited.headers["Retry-After"] = "3"
    setup.answer(limited)
    with pytest.raises(EspRateLimited, match="Too many requests, slow down") as caught:
        setup.listed()
    assert (caught.value.status, caught.value.retry_after) == (429, 3.0)
    assert setup.sleeps == [3.0, 3.0, 3.0] and len(setup.wire.requests) == 4


def test_429_forever_without_a_wait_backs_off(setup: Setup) -> None:
    setup.answer(httpx.Response(429))
    with pytest.raises(EspRateLimited) as caught:
        setup.listed()
    assert caught.value.retry_after is None
    assert setup.sleeps == BACKOFF


@pytest.mark.parametrize("kind", ["esp", "html", "empty"])
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_retry_with_backoff_then_unavailable(
    setup: Setup, status: int, kind: str
) -> None:
    reply = {
        "esp": setup.esp.error(status, "internal failure"),
        "html": httpx.Response(status, html="<html><h1>Bad Gateway</h1></html>"),
        "empty": httpx.Response(status),
    }[kind]
    setup.answer(reply)
    with pytest.raises(EspUnavailable, match=f"HTTP {status}") as caught:
        setup.listed()
    assert caught.value.status == status
    assert str(caught.value).startswith(f"{setup.esp.label} (account acme): HTTP {status}")
    assert "try again later" in str(caught.value)
    assert kind != "esp" or "internal failure" in str(caught.value)
    assert setup.sleeps == BACKOFF and len(setup.wire.requests) == 4


def test_a_server_error_then_success(setup: Setup) -> None:
    setup.answer(httpx.Response(503), setup.ok())
    assert setup.listed() == ()
    assert setup.sleeps == [0.5]


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (httpx.ConnectTimeout("slow"), "connecting timed out"),
        (httpx.ReadTimeout("slow"), "the answer timed out"),
        (httpx.ConnectError("refused"), "could not connect"),
    ],
    ids=["connect-timeout", "read-timeout", "connect-error"],
)
def test_network_failures_retry_then_unavailable(
    setup: Setup, failure: Exception, words: str
) -> None:
    setup.answer(failure)
    with pytest.raises(EspUnavailable, match=words) as caught:
        setup.listed()
    assert caught.value.status is None
    assert setup.sleeps == BACKOFF


# --- answers that cannot be used ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (lambda: httpx.Response(200, text="<html>maintenance</html>"), "not valid JSON"),
        (lambda: httpx.Response(200, text="[{oops"), "not valid JSON"),
        (lambda: httpx.Response(200, text="[" * 100_000), "not valid JSON"),
        (lambda: httpx.Response(200, json="a JSON string"), "unexpected response shape"),
        (lambda: httpx.Response(200, content=b" " * 5_000_001), "larger than 5000000 bytes"),
        (
            lambda: httpx.Response(200, content=iter([b"[", b"0," * 2_500_001, b"0]"])),
            "larger than",
        ),
        (lambda: httpx.Response(201, json={}), "HTTP 201"),
    ],
    ids=["html", "broken", "deeply-nested", "wrong-type", "too-long", "streamed-too-long", "201"],
)
def test_unusable_answers_are_bad_responses(
    setup: Setup, reply: Callable[[], httpx.Response], words: str
) -> None:
    setup.answer(reply())
    with pytest.raises(EspBadResponse, match=words) as caught:
        setup.listed()
    assert "api_base" in str(caught.value)
    assert setup.sleeps == [] and len(setup.wire.requests) == 1


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("plain", [False, True], ids=["esp-body", "plain-text"])
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, EspAuthError),
        (403, EspAuthError),
        (404, EspNotFound),
        (400, EspRejected),
        (422, EspRejected),
    ],
)
def test_client_errors_map_to_classes_without_retry(
    setup: Setup, status: int, error: type[EspError], plain: bool
) -> None:
    reply = httpx.Response(status, text="Forbidden") if plain else None
    setup.answer(reply or setup.esp.error(status, "the ESP says no"))
    with pytest.raises(error) as caught:
        setup.listed()
    text = str(caught.value)
    assert caught.value.status == status
    assert text.startswith(f"{setup.esp.label} (account acme): HTTP {status}")
    assert plain or "the ESP says no" in text
    assert error is not EspAuthError or "trackdeck creds set acme" in text
    assert setup.sleeps == [] and len(setup.wire.requests) == 1


def test_secrets_echoed_by_the_esp_never_leak(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = setup.esp.secret
    shown = (
        (secret.secret_access_key, secret.session_token or "")
        if isinstance(secret, AwsCredentials)
        else (secret,)
    )
    setup.answer(setup.esp.error(400, f"key {' and '.join(shown)} refused"))
    with pytest.raises(EspRejected) as caught:
        setup.listed()
    texts = [str(caught.value), repr(caught.value), caught.value.detail, caught.value.hint]
    texts += [repr(setup.client), repr(vars(setup.client)["_api"])]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records, "the request was logged"
    assert all(CANARY not in text for text in texts)
    assert "key *** and" in str(caught.value) or "key *** refused" in str(caught.value)
