"""Where ESP secrets come from: an environment variable per account, the OS keyring, or (SES) the
AWS credential chain. No secret ever leaves this module except as the return value of `get`."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from esp_clients import AwsCredentials, EspSecret
from esp_clients.redaction import secret_forms

if TYPE_CHECKING:
    from tui.inventory.model import Account

SERVICE = "trackdeck"
"""The keyring service name; the keyring user is the account's name in the inventory."""

ENV_PREFIX = "TRACKDECK_SECRET_"
AWS_ESP = "ses"
T = TypeVar("T")
AwsLoader = Callable[[str], AwsCredentials | None]

SECRET_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a SendGrid API key", re.compile(r"SG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a Mailgun API key", re.compile(r"\bkey-[A-Za-z0-9]{20,}")),
    ("a Mailgun API key", re.compile(r"\b[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}\b")),
    ("a Resend API key", re.compile(r"\bre_[A-Za-z0-9_]{16,}")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("a SparkPost API key", re.compile(r"\b[0-9a-f]{40}\b")),
)
"""Shapes of well-known API keys, used to catch secrets pasted where they do not belong."""

REDACTED = "[redacted]"


def secret_shape(text: str) -> str | None:
    """The kind of API key `text` contains (e.g. "a SendGrid API key"), or None."""
    for kind, pattern in SECRET_SHAPES:
        if pattern.search(text):
            return kind
    return None


def redact_secret_shapes(text: str) -> str:
    """`text` with every substring shaped like a known API key replaced by ``[redacted]``."""
    for _kind, pattern in SECRET_SHAPES:
        text = pattern.sub(REDACTED, text)
    return text


_TOKEN = re.compile(r"[A-Za-z0-9_+/=~-]{16,}")
_MIN_TOKEN = 16


def _kind(char: str) -> int:
    return 0 if char.isdigit() else 1 if char.isupper() else 2


def looks_like_secret(token: str) -> bool:
    """Whether `token` could be an API key in a format trackdeck does not know (Mandrill, Postmark,
    Brevo …): at least 16 characters that switch between digits, upper and lower case as often as
    random text does (at least every fourth character), where names and words switch rarely."""
    if secret_shape(token):
        return True
    letters = [char for char in token if char.isalnum()]
    if len(letters) < _MIN_TOKEN:
        return False
    switches = sum(_kind(a) != _kind(b) for a, b in itertools.pairwise(letters))
    return switches >= max(6, len(letters) // 4)


def redact_secret_like(text: str) -> str:
    """`text` with known key shapes and every token that looks like a secret replaced."""
    text = redact_secret_shapes(text)
    return _TOKEN.sub(lambda m: REDACTED if looks_like_secret(m.group()) else m.group(), text)


def env_var_name(account: str) -> str:
    """The environment variable that holds `account`'s secret: ``TRACKDECK_SECRET_<ACCOUNT>``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", account.upper())


def alternatives(account: str) -> str:
    """The documented ways to provide a secret when the keyring cannot be used."""
    return (
        f"set the environment variable {env_var_name(account)}, "
        "or install a file-based keyring with `pip install keyrings.alt`, "
        "or choose a keyring backend with the PYTHON_KEYRING_BACKEND variable"
    )


class CredentialsUnavailable(Exception):  # noqa: N818 - the name the rest of trackdeck uses
    """The OS keyring cannot be used (no backend, locked, or it failed); the message says what to do."""


class _Keyring(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretStatus:
    """Where an account's secret would come from, for `trackdeck creds list` and the dashboard.

    `source` is "environment", "keyring", "aws-chain", "missing", "unavailable" or "not-needed"
    (DNS-only ESPs); `detail` explains it in words and never contains the secret.
    """

    account: str
    source: str
    detail: str


def parse_aws_secret(text: str) -> AwsCredentials | None:
    """``AKID:SECRET[:TOKEN]`` as AWS credentials, or None when it does not have that shape."""
    parts = text.strip().split(":", 2)
    if len(parts) < 2 or not all(parts):
        return None
    token = parts[2] if len(parts) == 3 else None
    return AwsCredentials(access_key_id=parts[0], secret_access_key=parts[1], session_token=token)


def botocore_credentials(profile: str) -> AwsCredentials | None:
    """Credentials from the standard AWS chain (env, shared files, SSO, instance roles) via botocore."""
    # botocore is slow to import and only SES accounts need it.
    import botocore.exceptions  # noqa: PLC0415 - botocore loads only for SES accounts
    import botocore.session  # noqa: PLC0415 - likewise

    try:
        session = botocore.session.Session(profile=profile or None)
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except botocore.exceptions.BotoCoreError:
        return None
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        return None
    return AwsCredentials(
        access_key_id=frozen.access_key,
        secret_access_key=frozen.secret_key,
        session_token=frozen.token,
    )


def _keyring_problem(error: BaseException) -> str:
    import keyring.errors  # noqa: PLC0415 - keyring (~80 ms to import) loads on first use

    if isinstance(error, keyring.errors.NoKeyringError):
        return "no OS keyring backend is available (usual on a headless host)"
    if isinstance(error, keyring.errors.KeyringLocked):
        return "the OS keyring is locked"
    return f"the OS keyring failed ({type(error).__name__})"


class SecretSource(Protocol):
    """What the fleet scan asks about credentials (a `CredentialStore`, or `ResolvedSecrets`)."""

    def get(self, account: Account) -> EspSecret | None:
        """The account's secret, or None."""
        ...

    def status(self, account: Account) -> SecretStatus:
        """Where the account's secret comes from, or why there is none (never the secret)."""
        ...

    def lookup(self, account: Account) -> tuple[EspSecret | None, SecretStatus]:
        """`get` and `status` with one look-up."""
        ...


class ResolvedSecrets:
    """Secrets looked up once, by account name: what the scan's child process gets instead of a
    keyring (the dashboard resolves them; the child never opens the keyring)."""

    def __init__(self, found: Mapping[str, tuple[EspSecret | None, SecretStatus]]) -> None:
        self._found = dict(found)

    def __repr__(self) -> str:
        return f"ResolvedSecrets({sorted(self._found)})"

    def redact(self, text: str) -> str:
        """`text` with every secret held here (and anything shaped like a key) replaced."""
        for secret, _status in self._found.values():
            parts = (
                (secret.secret_access_key, secret.session_token or "")
                if isinstance(secret, AwsCredentials)
                else (secret or "",)
            )
            for part in parts:
                for form in secret_forms(part):
                    text = text.replace(form, REDACTED)
        return redact_secret_shapes(text)

    def get(self, account: Account) -> EspSecret | None:
        """The secret resolved for the account (None when there was none or it was not asked)."""
        return self.lookup(account)[0]

    def status(self, account: Account) -> SecretStatus:
        """Where the account's secret came from, or why there was none."""
        return self.lookup(account)[1]

    def lookup(self, account: Account) -> tuple[EspSecret | None, SecretStatus]:
        """`get` and `status` together."""
        found = self._found.get(account.name)
        if found is None:
            detail = f"{account.name} was not part of this scan"
            return None, SecretStatus(account=account.name, source="missing", detail=detail)
        return found


class CredentialStore:
    """Looks secrets up per account: the environment wins over the keyring; SES uses the AWS chain."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        keyring_backend: object | None = None,
        aws_credentials_loader: AwsLoader | None = None,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._backend = keyring_backend
        self._aws_loader = aws_credentials_loader or botocore_credentials

    def __repr__(self) -> str:
        return "CredentialStore()"

    def get(self, account: Account) -> EspSecret | None:
        """The account's secret, or None when there is none or the keyring is unavailable."""
        return self._resolve(account)[0]

    def status(self, account: Account) -> SecretStatus:
        """Where the account's secret comes from, or why there is none (never the secret)."""
        return self._resolve(account)[1]

    def lookup(self, account: Account) -> tuple[EspSecret | None, SecretStatus]:
        """`get` and `status` with one look-up."""
        return self._resolve(account)

    def named_secret(self, name: str) -> str | None:
        """A secret that belongs to no ESP account (the Spamhaus DQS key, `spamhaus-dqs`): the
        environment first, then the keyring; None when neither has it or the keyring fails."""
        from_env = self._environ.get(env_var_name(name), "").strip()
        if from_env:
            return from_env
        try:
            stored = self._keyring_call(name, lambda ring: ring.get_password(SERVICE, name))
        except CredentialsUnavailable:
            return None
        return stored.strip() if stored else None

    def set(self, account_name: str, secret: str) -> None:
        """Store `secret` in the keyring for `account_name`; raise CredentialsUnavailable if it cannot."""
        secret = secret.strip()
        if not account_name or not secret:
            raise ValueError("an account name and a non-empty secret are needed")
        self._keyring_call(
            account_name, lambda ring: ring.set_password(SERVICE, account_name, secret)
        )

    def delete(self, account_name: str) -> bool:
        """Remove the account's secret from the keyring; False when there was none."""

        def remove(ring: _Keyring) -> bool:
            if ring.get_password(SERVICE, account_name) is None:
                return False
            ring.delete_password(SERVICE, account_name)
            return True

        return self._keyring_call(account_name, remove)

    def _ring(self) -> _Keyring:
        if self._backend is not None:
            return cast(_Keyring, self._backend)
        import keyring  # noqa: PLC0415 - keyring (~80 ms to import) loads on first use

        backend = keyring.get_keyring()
        return cast(_Keyring, backend)

    def _keyring_call(self, account_name: str, call: Callable[[_Keyring], T]) -> T:
        try:
            return call(self._ring())
        # Third-party keyring backends raise anything (D-Bus, Windows and file errors), so this one
        # place catches every Exception; the secret is never part of the message built here.
        except Exception as error:  # noqa: BLE001
            problem = _keyring_problem(error)
            raise CredentialsUnavailable(f"{problem}: {alternatives(account_name)}") from None

    def _resolve(self, account: Account) -> tuple[EspSecret | None, SecretStatus]:
        name = account.name
        if not account.has_api:
            detail = f"{account.esp} accounts are checked through DNS only; no secret is needed"
            return None, SecretStatus(account=name, source="not-needed", detail=detail)
        variable = env_var_name(name)
        from_env = self._environ.get(variable, "").strip()
        if from_env:
            return self._from_env(account, variable, from_env)
        if account.esp == AWS_ESP:
            return self._from_aws_chain(account)
        try:
            secret = self._keyring_call(name, lambda ring: ring.get_password(SERVICE, name))
        except CredentialsUnavailable as error:
            return None, SecretStatus(account=name, source="unavailable", detail=str(error))
        if secret:
            detail = f"from the OS keyring (service {SERVICE!r}, user {name!r})"
            return secret, SecretStatus(account=name, source="keyring", detail=detail)
        detail = f"no secret: run `trackdeck creds set {name}` or set {variable}"
        return None, SecretStatus(account=name, source="missing", detail=detail)

    def _from_env(
        self, account: Account, variable: str, value: str
    ) -> tuple[EspSecret | None, SecretStatus]:
        if account.esp != AWS_ESP:
            return value, SecretStatus(
                account=account.name, source="environment", detail=f"from {variable}"
            )
        credentials = parse_aws_secret(value)
        if credentials is None:
            detail = f"{variable} is set but is not ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]"
            return None, SecretStatus(account=account.name, source="missing", detail=detail)
        detail = f"from {variable} (AWS access key)"
        return credentials, SecretStatus(account=account.name, source="environment", detail=detail)

    def _from_aws_chain(self, account: Account) -> tuple[EspSecret | None, SecretStatus]:
        profile = account.profile or ""
        credentials = self._aws_loader(profile)
        where = f"profile {profile!r}" if profile else "the default profile"
        if credentials is None:
            detail = (
                f"no AWS credentials in the AWS chain for {where}: configure the AWS CLI "
                f"(aws configure / aws sso login) or set {env_var_name(account.name)}="
                "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]"
            )
            return None, SecretStatus(account=account.name, source="missing", detail=detail)
        detail = f"from the AWS credential chain ({where})"
        return credentials, SecretStatus(account=account.name, source="aws-chain", detail=detail)
