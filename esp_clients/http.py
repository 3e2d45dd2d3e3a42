"""The shared HTTP transport of the ESP clients: timeouts, retries with backoff, size limits,
pagination, error mapping and secret redaction."""

from __future__ import annotations

import email.utils
import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from esp_clients.base import AccountRef
from esp_clients.errors import (
    EspAuthError,
    EspBadResponse,
    EspError,
    EspNotFound,
    EspOutcomeUnknown,
    EspRateLimited,
    EspRejected,
    EspTlsUntrusted,
    EspUnavailable,
)
from esp_clients.redaction import redact, url_secrets, without_userinfo
from esp_clients.shapes import ShapeError, error_message_common, sanitize
from esp_clients.tls import api_tls_context, certificate_failure

LOG = logging.getLogger("trackdeck.esp")
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BACKOFF = 30.0
MAX_HEADER_WAIT = 60.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods a repeat cannot make act twice (RFC 9110); a POST or PATCH is only sent again when it
certainly never reached the ESP."""
UNSENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Transport failures before any byte of the request left: safe to retry whatever the method."""

T = TypeVar("T")
C = TypeVar("C")


def backoff(attempt: int) -> float:
    """The exponential backoff before retry number `attempt` + 1: 0.5, 1, 2, … capped at 30 s."""
    return float(min(MAX_BACKOFF, 0.5 * 2**attempt))


def header_wait(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the ESP asked us to wait (Retry-After, X-RateLimit-Reset, ratelimit-reset)."""
    retry_after = headers.get("retry-after")
    if retry_after:
        return _retry_after_seconds(retry_after.strip(), now)
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        raw = headers.get(name)
        if raw:
            try:
                value = float(raw.strip())
            except ValueError:
                continue
            return max(0.0, value - now) if value > 1e9 else max(0.0, value)
    return None


def _retry_after_seconds(value: str, now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


def paginate(
    fetch_page: Callable[[C | None], tuple[Sequence[T], C | None]],
    *,
    max_pages: int = 200,
    esp: str = "",
    account: str = "",
) -> tuple[T, ...]:
    """All items of a paged list, starting with cursor None, stopping when no next cursor comes."""
    items: list[T] = []
    cursor: C | None = None
    for _ in range(max_pages):
        page, cursor = fetch_page(cursor)
        items.extend(page)
        if cursor is None:
            return tuple(items)
    raise EspBadResponse(
        f"pagination did not end after {max_pages} pages", esp=esp, account=account
    )


ErrorMessage = Callable[[object], str | None]
ErrorKind = Callable[[int, object], type[EspError] | None]
FormFiles = Mapping[str, tuple[str | None, str | bytes]]


class _TooLargeError(Exception):
    """The response body exceeded max_bytes."""


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: httpx.Headers
    body: bytes = field(repr=False)


class HttpApi:
    """The shared transport: explicit timeouts, retries with backoff, error mapping, redaction."""

    def __init__(
        self,
        *,
        account: AccountRef,
        label: str,
        base_url: str,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_bytes: int = 5_000_000,
        secrets: Sequence[str] = (),
        error_message: ErrorMessage | None = None,
        error_kind: ErrorKind | None = None,
        error_type_header: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.account = account
        self.label = label
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._headers = dict(headers or {})
        self._owns_client = client is None
        self._client = (
            client
            if client is not None
            else httpx.Client(timeout=timeout, verify=tls or api_tls_context())
        )
        self._timeout = timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        self._max_bytes = max_bytes
        self._secrets = tuple(s for s in (*secrets, *url_secrets(base_url)) if s)
        self.shown_base = without_userinfo(self.base_url)
        """The base URL as messages show it (no user name or password)."""
        self._error_message = error_message or error_message_common
        self._error_kind = error_kind
        self._error_type_header = error_type_header

    def __repr__(self) -> str:
        return f"HttpApi(label={self.label!r}, account={self.account.name!r}, base={self.shown_base!r})"

    def make_error(
        self,
        cls: type[EspError],
        detail: str,
        *,
        status: int | None = None,
        hint: str | None = None,
    ) -> EspError:
        """An error of class `cls` for this ESP and account, with every secret redacted."""
        clean_hint = None if hint is None else redact(hint, self._secrets)
        return cls(
            redact(detail, self._secrets),
            esp=self.label,
            account=self.account.name,
            status=status,
            hint=clean_hint,
        )

    def convert(self, parse: Callable[[object], T], body: object) -> T:
        """`parse(body)`, turning a ShapeError into EspBadResponse."""
        try:
            return parse(body)
        except ShapeError as exc:
            raise self.make_error(EspBadResponse, f"unexpected response shape: {exc}") from None

    def paginate(
        self, fetch_page: Callable[[C | None], tuple[Sequence[T], C | None]], max_pages: int = 200
    ) -> tuple[T, ...]:
        """`paginate` with this ESP's label and account in the error."""
        return paginate(fetch_page, max_pages=max_pages, esp=self.label, account=self.account.name)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: object = None,
        data: Mapping[str, str] | None = None,
        files: FormFiles | None = None,
        expect: tuple[int, ...] = (200,),
        idempotent: bool | None = None,
    ) -> object:
        """Send the request (retrying when sensible) and return the parsed JSON body or None.

        A request that is not `idempotent` (by default: POST and PATCH; a POST that only reads
        says `idempotent=True`) is retried only when it never reached the ESP (no connection) or
        the ESP refused it unprocessed (429); after a read timeout, a dropped connection or a 5xx
        it raises at once (EspOutcomeUnknown for the transport cases), so that the caller reads
        the ESP's state back instead of acting twice."""
        repeatable = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        failure: EspError = self.make_error(EspUnavailable, "no attempt was made")
        for attempt in range(self._max_retries + 1):
            try:
                reply = self._send(method, path, params=params, json=json, data=data, files=files)
            except httpx.TransportError as exc:
                untrusted = certificate_failure(exc)
                if untrusted is not None:  # a retry would meet the same certificate
                    raise self._untrusted(untrusted) from None
                if not repeatable and not isinstance(exc, UNSENT):
                    raise self._outcome_unknown(exc) from None
                failure, delay = self._transport_failure(exc), backoff(attempt)
            else:
                if reply.status in expect:
                    return self._decode(reply.body)
                failure, retry_delay = self._status_failure(reply, attempt)
                if retry_delay is None or (not repeatable and reply.status != 429):
                    raise failure
                delay = retry_delay
            if attempt < self._max_retries:
                LOG.debug("%s %s: retrying in %.1fs", self.label, method, delay)
                self._sleep(delay)
        raise failure

    def close(self) -> None:
        """Close the HTTP client when this object created it."""
        if self._owns_client:
            self._client.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None,
        json: object,
        data: Mapping[str, str] | None,
        files: FormFiles | None,
    ) -> _Reply:
        started = time.perf_counter()
        log_path = redact(path.split("?", 1)[0], self._secrets)
        with self._client.stream(
            method,
            self.base_url + path,
            params=params,
            json=json,
            data=data,
            files=files,
            headers=self._headers,
            auth=self._auth,
            timeout=self._timeout,
        ) as response:
            elapsed = time.perf_counter() - started
            LOG.debug(
                "%s %s %s -> %s in %.3fs",
                self.label,
                method,
                log_path,
                response.status_code,
                elapsed,
            )
            try:
                body = self._read_limited(response)
            except _TooLargeError:
                raise self.make_error(
                    EspBadResponse, f"response larger than {self._max_bytes} bytes"
                ) from None
            except httpx.DecodingError:
                raise self.make_error(EspBadResponse, "the response could not be decoded") from None
            return _Reply(response.status_code, response.headers, body)

    def _read_limited(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise _TooLargeError
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise _TooLargeError
            chunks.append(chunk)
        return b"".join(chunks)

    def _decode(self, body: bytes) -> object:
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise self.make_error(EspBadResponse, "the response is not valid JSON") from None

    def _transport_failure(self, exc: httpx.TransportError) -> EspError:
        what = {
            httpx.ConnectTimeout: "connecting timed out",
            httpx.ReadTimeout: "the answer timed out",
            httpx.ConnectError: "could not connect",
        }.get(type(exc), f"network error ({type(exc).__name__})")
        LOG.debug("%s request failed: %s", self.label, type(exc).__name__)
        return self.make_error(EspUnavailable, f"{what} ({self.shown_base})")

    def _untrusted(self, said: str) -> EspError:
        detail = f"the certificate of {self.shown_base} is not trusted here ({said})"
        return self.make_error(EspTlsUntrusted, detail)

    def _outcome_unknown(self, exc: httpx.TransportError) -> EspError:
        detail = self._transport_failure(exc).detail
        return self.make_error(EspOutcomeUnknown, f"{detail}; not sent again")

    def _status_failure(self, reply: _Reply, attempt: int) -> tuple[EspError, float | None]:
        """The error for a non-expected status and the delay before a retry (None: no retry)."""
        body = _loads_or_none(reply.body)
        message = _with_error_type(
            self._error_message(body), reply.headers, self._error_type_header
        )
        detail = f"HTTP {reply.status}" + (f": {sanitize(message)}" if message else "")
        kind = self._error_kind(reply.status, body) if self._error_kind else None
        if kind is not None:
            return self.make_error(kind, detail, status=reply.status), None
        if reply.status == 429 or reply.status >= 500:
            asked = header_wait(reply.headers, self._clock())
            delay = backoff(attempt) if asked is None else min(asked, MAX_HEADER_WAIT)
            if reply.status == 429:
                return self._rate_limited(detail, asked), delay
            return self.make_error(EspUnavailable, detail, status=reply.status), delay
        return self.make_error(_status_class(reply.status), detail, status=reply.status), None

    def _rate_limited(self, detail: str, asked: float | None) -> EspRateLimited:
        return EspRateLimited(
            redact(detail, self._secrets),
            esp=self.label,
            account=self.account.name,
            retry_after=asked,
        )


def _with_error_type(message: str | None, headers: httpx.Headers, name: str | None) -> str | None:
    """`message` prefixed with the error type a header names (AWS: `x-amzn-ErrorType`)."""
    kind = headers.get(name, "").split(":", 1)[0].strip() if name else ""
    if not kind or (message and message.startswith(kind)):
        return message
    return f"{kind}: {message}" if message else kind


def _status_class(status: int) -> type[EspError]:
    if status in (401, 403):
        return EspAuthError
    if status == 404:
        return EspNotFound
    if 400 <= status < 500:
        return EspRejected
    return EspBadResponse


def _loads_or_none(body: bytes) -> object:
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return None
