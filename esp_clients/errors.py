"""The errors an ESP client raises, one class per thing the user can do about it.

    EspError                  any failed ESP call; `str()` is one line: ESP, account, detail, hint
    ├── EspAuthError          401/403: the key (or AWS credentials) is refused, or of the wrong kind
    ├── EspNotFound           404: the ESP does not know the domain
    ├── EspRateLimited        429 after every retry; `retry_after` is what the ESP asked for
    ├── EspUnavailable        5xx after every retry, timeouts, connection and network errors
    ├── EspBadResponse        an answer we cannot use: bad JSON, wrong shape, too big, endless pages,
    │                         an unexpected success status
    ├── EspRejected           any other 4xx: the ESP refused the request and said why
    └── EspUnsupported        the ESP's API lacks the capability; `hint` says what to do instead

An ESP may map its own error names onto these (Mandrill's `Invalid_Key` on HTTP 500 is an
EspAuthError) or subclass one (SES's IAM-aware auth error). Detail and hint are sanitised to one
printable line, and the transport redacts every secret from them before the error is built: a
message never carries an API key or a header value.
"""

from __future__ import annotations

from esp_clients.base import Capability, Unsupported
from esp_clients.shapes import sanitize

DETAIL_LIMIT = 300


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


class EspOutcomeUnknown(EspUnavailable):
    """A request that changes something may have reached the ESP, but no answer came (a read
    timeout, a dropped connection): it is not sent again, since a repeat could act twice."""

    default_hint = (
        "the change may have been made: read the ESP's state (trackdeck scan) before trying again"
    )


class EspTlsUntrusted(EspUnavailable):
    """The API's certificate is not trusted by this machine (often a TLS-inspecting proxy)."""

    default_hint = (
        "if a corporate proxy inspects TLS, add its CA to the system trust store (trackdeck uses "
        "it), or point --ca-bundle or SSL_CERT_FILE at a PEM file holding it; HTTPS_PROXY and "
        "NO_PROXY choose whether the proxy is used"
    )


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
