"""The contract every ESP client follows: its values, its errors and the shared HTTP transport."""

from __future__ import annotations

import email.utils
import enum
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, cast

import httpx

LOG = logging.getLogger("trackdeck.esp")
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BACKOFF = 30.0
MAX_HEADER_WAIT = 60.0
MESSAGE_LIMIT = 200
DETAIL_LIMIT = 300

T = TypeVar("T")
C = TypeVar("C")


class Capability(enum.Enum):
    """What an ESP's API may be able to do with a tracking domain."""

    LIST = "list"
    VERIFY = "verify"
    CERTIFICATE = "certificate"
    HTTPS_ENABLE = "https_enable"
    HTTPS_DISABLE = "https_disable"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountRef:
    """The inventory account a client works for; the secret is kept elsewhere (the keyring)."""

    name: str
    esp: str
    region: str = ""
    api_base: str | None = None
    subuser: str | None = None
    subaccount: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsCredentials:
    """An AWS key pair (and optional session token) for SES; repr shows only the key id."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


EspSecret = str | AwsCredentials
"""What the keyring holds for an account: an API key, or AWS credentials for SES."""


class ClientFactory(Protocol):
    """The `create` function every ESP module exposes for the registry in esp_clients."""

    def __call__(
        self,
        account: AccountRef,
        secret: EspSecret,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> EspClient:
        """A client for `account` using `secret`, over `http_client` when one is injected."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateState:
    """What the ESP says about the managed TLS certificate of a tracking host."""

    status: str
    detail: str = ""
    expires_at: str | None = None


UNKNOWN_CERTIFICATE = CertificateState(status="unknown")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingDomain:
    """The ESP's view of one tracking host."""

    host: str
    esp: str
    account: str
    esp_id: str
    verified: bool | None
    cname_valid: bool | None
    expected_target: str | None
    https: bool | None
    certificate: CertificateState
    problems: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Unsupported:
    """Why an ESP's API cannot do something, so the UI can say so instead of failing."""

    capability: Capability
    reason: str


class EspError(Exception):
    """An ESP call failed; `str()` is one line naming the ESP, the account and what to do.

    `esp` is the ESP's label as users see it ("Mailgun EU"), `account` the inventory account name.
    """

    default_hint = "try again later"

    def __init__(
        self,
        detail: str,
        *,
        esp: str,
        account: str,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.esp = esp
        self.account = account
        self.status = status
        self.detail = sanitize(detail, DETAIL_LIMIT)
        self.hint = sanitize(self.hint_for(account) if hint is None else hint, DETAIL_LIMIT)
        super().__init__(self._line())

    def hint_for(self, account: str) -> str:
        """The advice used when the raiser gives none."""
        return self.default_hint

    def _line(self) -> str:
        where = f"{self.esp} (account {self.account})" if self.account else self.esp
        line = f"{where}: {self.detail}" if where else self.detail
        return f"{line} — {self.hint}" if self.hint else line


class EspAuthError(EspError):
    """The ESP refused the API key (401/403)."""

    def hint_for(self, account: str) -> str:
        """Point at the command that replaces the account's key."""
        return f"check the API key for account {account}: trackdeck creds set {account}"


class EspNotFound(EspError):  # noqa: N818 - the contract's names
    """The ESP does not know the domain (404)."""

    default_hint = "refresh the list; the domain may have been removed at the ESP"


class EspRateLimited(EspError):  # noqa: N818 - the contract's names
    """The ESP kept answering 429; `retry_after` is what it asked for, in seconds, when it said."""

    default_hint = "the ESP is rate-limiting this account; wait a minute and retry"

    def __init__(
        self,
        detail: str,
        *,
        esp: str,
        account: str,
        status: int | None = 429,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(detail, esp=esp, account=account, status=status, hint=hint)


class EspUnavailable(EspError):  # noqa: N818 - the contract's names
    """The ESP's API did not answer usefully (5xx, timeouts, network errors)."""

    default_hint = "the ESP's API is unreachable or failing; try again later"


class EspBadResponse(EspError):  # noqa: N818 - the contract's names
    """The ESP answered something we cannot use (bad JSON, wrong shape, endless pages, too big)."""

    default_hint = "check the account's api_base; if it is right, the ESP changed its API"


class EspRejected(EspError):  # noqa: N818 - the contract's names
    """The ESP refused the request (other 4xx) and said why."""

    default_hint = "read the ESP's message above"


class EspUnsupported(EspError):  # noqa: N818 - the contract's names
    """The ESP's API lacks a capability; `hint` carries the reason and what to do instead."""

    default_hint = "this ESP's API cannot do that"
    capability: Capability | None = None

    @classmethod
    def from_unsupported(
        cls, unsupported: Unsupported, *, esp: str, account: str
    ) -> EspUnsupported:
        """The error for `unsupported`, with its reason as the hint."""
        detail = f"{unsupported.capability.value} is not available through the API"
        error = cls(detail, esp=esp, account=account, hint=unsupported.reason)
        error.capability = unsupported.capability
        return error


class EspClient(Protocol):
    """One ESP account's API, reduced to what trackdeck needs about tracking domains."""

    account: AccountRef
    label: str
    capabilities: frozenset[Capability]

    def explain(self, capability: Capability) -> Unsupported | None:
        """Why `capability` is unsupported, or None when the client supports it."""
        ...

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every tracking domain of the account."""
        ...

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Ask the ESP to re-check the domain's DNS and return its new view."""
        ...

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Ask the ESP to issue a managed certificate for the tracking host."""
        ...

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """The state of the managed certificate of the tracking host."""
        ...

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Switch tracked links to https (or back to http) and return the new view."""
        ...

    def close(self) -> None:
        """Release the client's connections."""
        ...


def require(client: EspClient, capability: Capability) -> None:
    """Raise EspUnsupported (with the explain() reason) unless `client` supports `capability`."""
    unsupported = client.explain(capability)
    if unsupported is not None:
        raise EspUnsupported.from_unsupported(
            unsupported, esp=client.label, account=client.account.name
        )


def unsupported_error(client: EspClient, capability: Capability) -> EspUnsupported:
    """The EspUnsupported a client raises for `capability`, with its explain() reason."""
    unsupported = client.explain(capability) or Unsupported(
        capability=capability, reason=f"{client.label}'s client does not offer this"
    )
    return EspUnsupported.from_unsupported(
        unsupported, esp=client.label, account=client.account.name
    )


class WithoutHttpsCalls:
    """Mixin for ESPs whose API has neither certificate calls nor an HTTPS switch: each such call
    raises EspUnsupported with the client's own explain() reason."""

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: this ESP's API has no certificate call."""
        raise unsupported_error(cast("EspClient", self), Capability.CERTIFICATE)

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: this ESP's API reports no certificate state."""
        raise unsupported_error(cast("EspClient", self), Capability.CERTIFICATE)

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Unsupported: this ESP's API cannot switch HTTPS."""
        capability = Capability.HTTPS_ENABLE if enabled else Capability.HTTPS_DISABLE
        raise unsupported_error(cast("EspClient", self), capability)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def api_key(secret: EspSecret, account: AccountRef, label: str) -> str:
    """The secret as an API key; AWS credentials given to a key-based ESP are a setup mistake."""
    if isinstance(secret, str):
        return secret
    raise EspAuthError(
        "this ESP needs an API key, not AWS credentials", esp=label, account=account.name
    )


def sanitize(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One printable line of at most `limit` characters (for ESP messages shown to users)."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret (also URL-encoded) replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***").replace(urllib.parse.quote(secret, safe=""), "***")
    return text


def normalize_host(name: str) -> str:
    """A host name in lower case without surrounding spaces or a trailing dot."""
    return name.strip().rstrip(".").lower()


def quote_segment(value: str) -> str:
    """`value` escaped for use as one URL path segment."""
    return urllib.parse.quote(value, safe="")


class ShapeError(ValueError):
    """Raised by pure parse helpers when JSON does not have the documented shape."""


def as_mapping(value: object, what: str) -> Mapping[str, object]:
    """`value` as a JSON object, or ShapeError naming `what`."""
    if not isinstance(value, Mapping):
        raise ShapeError(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[object]:
    """`value` as a JSON array, or ShapeError naming `what`."""
    if not isinstance(value, list):
        raise ShapeError(f"{what} is not a JSON array")
    return value


def opt_str(mapping: Mapping[str, object], key: str) -> str | None:
    """The string (or number, as text) at `key`; None when absent or null."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ShapeError(f"field {key!r} is not a string")
    return str(value)


def opt_bool(mapping: Mapping[str, object], key: str) -> bool | None:
    """The boolean at `key`; None when absent or null."""
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ShapeError(f"field {key!r} is not a boolean")


def error_message_common(body: object) -> str | None:
    """The message in the common ESP error shapes: errors[].message, message, Reason, ..."""
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    if isinstance(errors, list):
        texts = [str(e["message"]) for e in errors if isinstance(e, Mapping) and e.get("message")]
        if texts:
            return "; ".join(texts)
    for key in ("message", "Reason", "Description", "name"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


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
    ) -> None:
        self.account = account
        self.label = label
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._headers = dict(headers or {})
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._clock = clock
        self._max_bytes = max_bytes
        self._secrets = tuple(s for s in secrets if s)
        self._error_message = error_message or error_message_common
        self._error_kind = error_kind
        self._error_type_header = error_type_header

    def __repr__(self) -> str:
        return (
            f"HttpApi(label={self.label!r}, account={self.account.name!r}, base={self.base_url!r})"
        )

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
    ) -> object:
        """Send the request (retrying when sensible) and return the parsed JSON body or None."""
        failure: EspError = self.make_error(EspUnavailable, "no attempt was made")
        for attempt in range(self._max_retries + 1):
            try:
                reply = self._send(method, path, params=params, json=json, data=data, files=files)
            except httpx.TransportError as exc:
                failure, delay = self._transport_failure(exc), backoff(attempt)
            else:
                if reply.status in expect:
                    return self._decode(reply.body)
                failure, retry_delay = self._status_failure(reply, attempt)
                if retry_delay is None:
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
        return self.make_error(EspUnavailable, f"{what} ({self.base_url})")

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
