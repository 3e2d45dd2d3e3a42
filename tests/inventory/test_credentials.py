"""The credential store: environment over keyring, the AWS chain for SES, and keyring failures."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring.backends.fail
import keyring.errors
import pytest

from esp_clients import AwsCredentials
from tests.support.fakes import RaisingKeyring, no_backend
from tui.inventory.credentials import (
    CredentialStore,
    CredentialsUnavailable,
    SecretStatus,
    botocore_credentials,
    env_var_name,
    parse_aws_secret,
)
from tui.inventory.model import Account

CANARY = "sk-CANARY-7f3a9e"
SENDGRID = Account(name="acme-sg", esp="sendgrid", region="global")
SES = Account(name="globex-ses", esp="ses", region="eu-west-1", profile="globex")
POSTMARK = Account(name="globex-pm", esp="postmark")


class MemoryKeyring:
    """A keyring backend holding passwords in a dict (never the system keyring)."""

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]


class UntouchableKeyring(RaisingKeyring):
    """Fails the test if the store asks the keyring at all."""

    def __init__(self) -> None:
        super().__init__(AssertionError("the keyring must not be consulted"))


def no_aws(profile: str) -> AwsCredentials | None:
    raise AssertionError(f"the AWS chain must not be consulted ({profile})")


def assert_no_canary(*values: object) -> None:
    for value in values:
        assert CANARY not in str(value)
        assert CANARY not in repr(value)


@pytest.mark.parametrize(
    ("account", "variable"),
    [
        ("acme-sg", "TRACKDECK_SECRET_ACME_SG"),
        ("Acme.Mailgun EU", "TRACKDECK_SECRET_ACME_MAILGUN_EU"),
        ("brand2", "TRACKDECK_SECRET_BRAND2"),
        ("münchen", "TRACKDECK_SECRET_M_NCHEN"),
    ],
)
def test_env_var_name(account: str, variable: str) -> None:
    assert env_var_name(account) == variable


def test_environment_wins_over_the_keyring() -> None:
    ring = MemoryKeyring()
    ring.set_password("trackdeck", "acme-sg", "from-keyring")
    store = CredentialStore(environ={"TRACKDECK_SECRET_ACME_SG": CANARY}, keyring_backend=ring)
    assert store.get(SENDGRID) == CANARY
    status = store.status(SENDGRID)
    assert status == SecretStatus(
        account="acme-sg", source="environment", detail="from TRACKDECK_SECRET_ACME_SG"
    )
    assert_no_canary(status, store)


def test_keyring_secret_is_found_under_service_trackdeck() -> None:
    ring = MemoryKeyring()
    store = CredentialStore(environ={}, keyring_backend=ring)
    store.set("acme-sg", f"  {CANARY}\n")
    assert ring.passwords == {("trackdeck", "acme-sg"): CANARY}
    assert store.get(SENDGRID) == CANARY
    status = store.status(SENDGRID)
    assert status.source == "keyring"
    assert "'trackdeck'" in status.detail
    assert_no_canary(status)


def test_missing_secret_says_how_to_set_it() -> None:
    store = CredentialStore(environ={}, keyring_backend=MemoryKeyring())
    assert store.get(SENDGRID) is None
    status = store.status(SENDGRID)
    assert status.source == "missing"
    assert "trackdeck creds set acme-sg" in status.detail
    assert "TRACKDECK_SECRET_ACME_SG" in status.detail


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (no_backend(), "no OS keyring backend"),
        (RaisingKeyring(keyring.errors.KeyringLocked(CANARY)), "locked"),
        (RaisingKeyring(keyring.errors.KeyringError(CANARY)), "KeyringError"),
        (RaisingKeyring(RuntimeError(f"dbus said {CANARY}")), "RuntimeError"),
        (RaisingKeyring(OSError(13, CANARY)), "PermissionError"),
    ],
)
def test_an_unusable_keyring_is_reported_with_the_alternatives(
    backend: object, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = CredentialStore(environ={}, keyring_backend=backend)
    assert store.get(SENDGRID) is None
    status = store.status(SENDGRID)
    assert status.source == "unavailable"
    for expected in (
        words,
        "TRACKDECK_SECRET_ACME_SG",
        "pip install keyrings.alt",
        "PYTHON_KEYRING_BACKEND",
    ):
        assert expected in status.detail
    with pytest.raises(CredentialsUnavailable) as set_error:
        store.set("acme-sg", CANARY)
    with pytest.raises(CredentialsUnavailable) as delete_error:
        store.delete("acme-sg")
    assert "TRACKDECK_SECRET_ACME_SG" in str(set_error.value)
    assert set_error.value.__cause__ is None
    assert set_error.value.__suppress_context__
    assert_no_canary(status, set_error.value, delete_error.value, caplog.text)


def test_delete_reports_whether_there_was_a_secret() -> None:
    ring = MemoryKeyring()
    store = CredentialStore(environ={}, keyring_backend=ring)
    assert store.delete("acme-sg") is False
    store.set("acme-sg", CANARY)
    assert store.delete("acme-sg") is True
    assert ring.passwords == {}


def test_set_refuses_an_empty_secret() -> None:
    store = CredentialStore(environ={}, keyring_backend=MemoryKeyring())
    with pytest.raises(ValueError, match="non-empty"):
        store.set("acme-sg", "   ")


def test_dns_only_accounts_need_no_secret() -> None:
    store = CredentialStore(
        environ={"TRACKDECK_SECRET_GLOBEX_PM": CANARY},
        keyring_backend=UntouchableKeyring(),
        aws_credentials_loader=no_aws,
    )
    assert store.get(POSTMARK) is None
    status = store.status(POSTMARK)
    assert status.source == "not-needed"
    assert "DNS only" in status.detail


def test_ses_uses_the_aws_chain_with_the_accounts_profile() -> None:
    asked: list[str] = []
    credentials = AwsCredentials(
        access_key_id="AKIDEXAMPLE", secret_access_key=CANARY, session_token=CANARY
    )

    def loader(profile: str) -> AwsCredentials | None:
        asked.append(profile)
        return credentials

    store = CredentialStore(
        environ={}, keyring_backend=UntouchableKeyring(), aws_credentials_loader=loader
    )
    assert store.get(SES) == credentials
    status = store.status(SES)
    assert status.source == "aws-chain"
    assert "profile 'globex'" in status.detail
    assert asked == ["globex", "globex"]
    assert_no_canary(status, credentials)


def test_ses_without_aws_credentials_is_missing_with_advice() -> None:
    store = CredentialStore(
        environ={}, keyring_backend=UntouchableKeyring(), aws_credentials_loader=lambda _p: None
    )
    assert store.get(SES) is None
    status = store.status(SES)
    assert status.source == "missing"
    assert "TRACKDECK_SECRET_GLOBEX_SES=ACCESS_KEY_ID:SECRET_ACCESS_KEY" in status.detail


def test_ses_environment_variable_wins_over_the_aws_chain() -> None:
    environ = {"TRACKDECK_SECRET_GLOBEX_SES": f"AKIDEXAMPLE:{CANARY}:token-{CANARY}"}
    store = CredentialStore(environ=environ, aws_credentials_loader=no_aws)
    assert store.get(SES) == AwsCredentials(
        access_key_id="AKIDEXAMPLE", secret_access_key=CANARY, session_token=f"token-{CANARY}"
    )
    status = store.status(SES)
    assert status.source == "environment"
    assert_no_canary(status)


def test_ses_environment_variable_with_the_wrong_shape_is_explained() -> None:
    store = CredentialStore(
        environ={"TRACKDECK_SECRET_GLOBEX_SES": CANARY}, aws_credentials_loader=no_aws
    )
    assert store.get(SES) is None
    status = store.status(SES)
    assert status.source == "missing"
    assert "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]" in status.detail
    assert_no_canary(status)


def test_parse_aws_secret() -> None:
    assert parse_aws_secret("AKID:SECRET") == AwsCredentials(
        access_key_id="AKID", secret_access_key="SECRET"
    )
    assert parse_aws_secret("AKID:SECRET:TO:KEN") == AwsCredentials(
        access_key_id="AKID", secret_access_key="SECRET", session_token="TO:KEN"
    )
    assert parse_aws_secret("AKID") is None
    assert parse_aws_secret("AKID:") is None


def test_aws_credentials_repr_hides_the_secret_parts() -> None:
    credentials = AwsCredentials(
        access_key_id="AKID", secret_access_key=CANARY, session_token=CANARY
    )
    assert "AKID" in repr(credentials)
    assert_no_canary(credentials)


def test_botocore_loader_reads_the_standard_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY)
    assert botocore_credentials("") == AwsCredentials(
        access_key_id="AKIDEXAMPLE", secret_access_key=CANARY
    )
    assert botocore_credentials("no-such-profile") is None


def test_the_dqs_key_comes_from_the_environment_then_the_keyring() -> None:
    from tests.support.fakes import MemoryKeyring

    ring = MemoryKeyring({"spamhaus-dqs": "dqs-from-keyring"})
    assert CredentialStore(environ={}, keyring_backend=ring).named_secret("spamhaus-dqs") == (
        "dqs-from-keyring"
    )
    environ = {"TRACKDECK_SECRET_SPAMHAUS_DQS": "dqs-from-env"}
    store = CredentialStore(environ=environ, keyring_backend=ring)
    assert store.named_secret("spamhaus-dqs") == "dqs-from-env"
    assert CredentialStore(environ={}, keyring_backend=MemoryKeyring()).named_secret("x") is None
