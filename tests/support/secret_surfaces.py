"""The secrets audit's world: a canary secret for every account (keyring, environment, AWS chain,
Spamhaus DQS), simulated ESP APIs that echo keys back in their errors, and one reader per surface
that returns the text a user (or a log, or a file) could see."""

from __future__ import annotations

import argparse
import dataclasses
import ssl
import traceback
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
import pytest

from esp_clients import AwsCredentials, EspError, EspSecret, make_client
from esp_clients.errors import EspUnsupported
from tests.support.fakes import MemoryKeyring, domain
from tests.support.worlds import DnsWorld
from tui.cli.main import build_parser
from tui.fleet.esp_view import account_problem
from tui.fleet.network import DQS_ACCOUNT, Environment
from tui.inventory.credentials import CredentialStore, env_var_name
from tui.inventory.model import Account
from tui.sim.demo_fleet import DEMO_ACCOUNTS
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps
from tui.sim.tls_world import TlsWorld

PREFIX = "zq7canary"
"""Every canary starts with this: finding it anywhere is a leak, even of a truncated secret."""


def no_sleep(_seconds: float) -> None:
    """Retries and certificate polls do not wait in the audit."""


def canary(tag: str) -> str:
    """A fresh canary secret (lower-case letters and digits: it must fit in a DNS label)."""
    return f"{PREFIX}{tag}{uuid.uuid4().hex[:16]}"


KEYRING = {name: canary(name.replace("-", "")) for name in ("sg-main", "mg-main", "md-main",
                                                              "rs-main", "mg-bad")}  # fmt: skip
SP_KEY = canary("spenv")
SES_ENV = (canary("sessecret"), canary("sestoken"))
CHAIN = AwsCredentials(
    access_key_id="AKIACHAINEXAMPLE", secret_access_key=canary("chain"), session_token=canary("tok")
)
DQS = canary("dqs")
URL_PASSWORD = canary("urlpassword")
"""A password written into an account's api_base (refused by the inventory, never repeated)."""
UNKNOWN_FORMAT = f"{PREFIX}aB3dE5gH7jK9mN1pQ3sT5vW7"
"""A key in a format trackdeck does not know, pasted as an inventory value (never repeated)."""
ENVIRON = {
    env_var_name("sp-main"): SP_KEY,
    env_var_name("ses-env"): f"AKIASESENVEXAMPLE:{SES_ENV[0]}:{SES_ENV[1]}",
    env_var_name(DQS_ACCOUNT): DQS,
}
HOSTS = {
    "sg-main": ("sendgrid", "links-sg.brand.example"),
    "mg-main": ("mailgun", "links-mg.brand.example"),
    "sp-main": ("sparkpost", "links-sp.brand.example"),
    "md-main": ("mandrill", "wrong.brand.example"),
    "rs-main": ("resend", "plain.brand.example"),
    "ses-env": ("ses", "links-ses.brand.example"),
    "ses-chain": ("ses", "stale.brand.example"),
    "mg-bad": ("mailgun", "links-eu.brand.example"),
}
REGIONS = {"sendgrid": "global", "mailgun": "us", "sparkpost": "us", "ses": "us-east-1"}


def inventory_text() -> str:
    """Every account, each with one host of the loopback DNS world."""
    accounts = "".join(
        f'[accounts.{name}]\nesp = "{esp}"\n'
        + (f'region = "{REGIONS[esp]}"\n' if esp in REGIONS else "")
        + "\n"
        for name, (esp, _host) in HOSTS.items()
    )
    tracking = ", ".join(
        f'{{ host = "{host}", account = "{name}" }}' for name, (_esp, host) in HOSTS.items()
    )
    return f'{accounts}[[brands]]\nname = "Canary"\ntracking = [{tracking}]\n'


class EchoingEsps(SimulatedEsps):
    """The simulated APIs, except that `mg-bad`'s refuses its key and quotes it back."""

    echoed = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer as the simulation does; quote the key in mg-bad's 401."""
        if request.url.host == self.esp("mg-bad").host:
            self.echoed += 1
            sent = request.headers.get("authorization", "")  # Basic base64("api:KEY")
            message = f"Invalid private key {KEYRING['mg-bad']} (you sent {sent})"
            return httpx.Response(401, json={"message": message})
        return super().handler(request)


def simulated_esps() -> EchoingEsps:
    """One simulated account per inventory account; mg-main's host still needs HTTPS."""
    esps = []
    for name, (esp, host) in HOSTS.items():
        state = {"https": False, "certificate": "none"} if name == "mg-main" else {}
        domain = SimDomain(host=host, polls_until_active=1, **state)  # type: ignore[arg-type]  # state: SimDomain field values
        esps.append(SimulatedEsp(esp, name, [domain], region=REGIONS.get(esp, "")))
    return EchoingEsps(esps)


def store(backend: object | None = None) -> CredentialStore:
    """The canaries: keyring, environment and AWS chain."""
    return CredentialStore(
        environ=ENVIRON,
        keyring_backend=MemoryKeyring(KEYRING) if backend is None else backend,
        aws_credentials_loader=lambda _profile: CHAIN,
    )


def demo_store() -> CredentialStore:
    """The demo fleet's store with a canary for every API account (replaces the demo's keys)."""
    environ = {}
    for account in DEMO_ACCOUNTS:
        secret = canary("demo")
        environ[env_var_name(account.name)] = (
            f"AKIADEMOEXAMPLE:{secret}" if account.esp == "ses" else secret
        )
    return CredentialStore(environ=environ, keyring_backend=MemoryKeyring())


@dataclasses.dataclass
class Cli:
    """Runs trackdeck commands in process against the loopback worlds and simulated ESPs."""

    world: DnsWorld
    tls: TlsWorld
    esps: SimulatedEsps
    inventory: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str, **inject: object) -> str:
        args: argparse.Namespace = build_parser().parse_args(list(argv))
        args.environment = Environment(
            dialer=self.tls.dialer, authoritative_port=self.world.authoritative.port
        )
        args.credential_store = store()
        args.client_factory = self.esps.client_factory(sleep=no_sleep)
        args.sleep = no_sleep
        for name, value in inject.items():
            setattr(args, name, value)
        status = args.run(args)
        captured = self.capsys.readouterr()
        assert "Traceback" not in captured.err
        return f"[{' '.join(argv)} → {status}]\n{captured.out}{captured.err}"

    def network(self) -> tuple[str, ...]:
        return (
            "-i", str(self.inventory), "--resolver", f"127.0.0.1:{self.world.resolver.port}",
            "--ca-bundle", str(self.tls.certificates.ca_bundle_path), "--timeout", "0.3",
        )  # fmt: skip


Respond = Callable[[httpx.Request], httpx.Response]


def _echo(status: int, secret: str) -> Respond:
    """An API error that quotes the secret back, in the common ESP error shapes."""
    body = {"message": f"rejected {secret}", "errors": [{"message": f"key {secret}"}]}
    return lambda _request: httpx.Response(status, json=body)


ERROR_CASES: tuple[tuple[str, str, Respond], ...] = (
    ("EspAuthError", "sendgrid", _echo(401, KEYRING["sg-main"])),
    ("SesAuthError", "ses", _echo(403, CHAIN.secret_access_key)),
    ("EspNotFound", "mailgun", _echo(404, KEYRING["mg-main"])),
    ("EspRateLimited", "sparkpost", _echo(429, SP_KEY)),
    ("EspUnavailable", "resend", _echo(503, KEYRING["rs-main"])),
    ("EspBadResponse", "mandrill",
     lambda _r: httpx.Response(200, content=f'{{"key": "{KEYRING["md-main"]}", '.encode())),
    ("EspRejected", "sparkpost", _echo(400, SP_KEY)),
)  # fmt: skip
"""Each ESP error class (named for the reader) and an API answer that makes a real client raise it
while the answer quotes the secret back; EspUnsupported is raised without any request."""
SECRETS_BY_ESP: Mapping[str, EspSecret] = {
    "sendgrid": KEYRING["sg-main"],
    "mailgun": KEYRING["mg-main"],
    "sparkpost": SP_KEY,
    "resend": KEYRING["rs-main"],
    "mandrill": KEYRING["md-main"],
    "ses": CHAIN,
}


def every_subclass(kind: type[BaseException]) -> set[str]:
    """The names of `kind` and of all its subclasses, at any depth."""
    found = {kind.__name__}
    for sub in kind.__subclasses__():
        found |= every_subclass(sub)
    return found


def error_texts(error: BaseException) -> str:
    """Everything an exception can show: str, repr, args, attributes, the formatted traceback."""
    parts = [str(error), repr(error), repr(error.args), "".join(traceback.format_exception(error))]
    parts += [repr(value) for value in vars(error).values()]
    return "\n".join(parts)


def _outcome_unknown(seen: set[str]) -> str:
    """EspOutcomeUnknown: a POST (Mailgun's certificate request) whose answer never comes, the
    timeout quoting the secret."""
    key = KEYRING["mg-main"]

    def lost(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"no answer for {key}", request=request)

    account = Account(name="mailgun-acct", esp="mailgun", region="us").ref()
    with httpx.Client(transport=httpx.MockTransport(lost)) as http:
        client = make_client(account, key, http_client=http, sleep=no_sleep)
        try:
            client.request_certificate(domain("links-mg.brand.example", account.name))
        except EspError as error:
            seen.add(type(error).__name__)
            return error_texts(error)
    return ""


def _tls_untrusted(seen: set[str]) -> str:
    """EspTlsUntrusted: the API's certificate is refused (as behind a TLS-inspecting proxy)."""

    def inspected(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError(1, f"self-signed certificate for {SP_KEY}")
        except ssl.SSLCertVerificationError as error:
            raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]", request=request) from error

    account = Account(name="sparkpost-acct", esp="sparkpost", region="us").ref()
    with httpx.Client(transport=httpx.MockTransport(inspected)) as http:
        client = make_client(account, SP_KEY, http_client=http, sleep=no_sleep)
        try:
            client.list_tracking_domains()
        except EspError as error:
            seen.add(type(error).__name__)
            return error_texts(error)
    return ""


def all_canaries() -> tuple[str, ...]:
    """Every canary secret of the audit (the demo's are made afresh inside `demo_store`)."""
    return (
        *KEYRING.values(), SP_KEY, *SES_ENV, CHAIN.secret_access_key, CHAIN.session_token or "",
        DQS, URL_PASSWORD, UNKNOWN_FORMAT,
    )  # fmt: skip


def leaky_inventory_text() -> str:
    """An inventory with secrets where they do not belong: a password inside api_base, and a key
    of an unknown format as a region and as an account name; plus a plain-http api_base."""
    return (
        '[accounts.leaky-mg]\nesp = "mailgun"\n'
        f'api_base = "https://api:{URL_PASSWORD}@api.mailgun.net"\n\n'
        f'[accounts.odd-sp]\nesp = "sparkpost"\nregion = "{UNKNOWN_FORMAT}"\n\n'
        '[accounts.plain-sg]\nesp = "sendgrid"\napi_base = "http://api.sendgrid.example"\n\n'
        '[[brands]]\nname = "Leaky"\n'
        f'tracking = [{{ host = "links.leaky.example", account = "{UNKNOWN_FORMAT}" }}]\n'
    )


def api_base_password_errors() -> str:
    """What an ESP error shows when the api_base given to a client holds a password."""
    account = Account(
        name="leaky", esp="mailgun", api_base=f"https://api:{URL_PASSWORD}@127.0.0.1:9"
    ).ref()

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refused)) as http:
        client = make_client(account, KEYRING["mg-main"], http_client=http, sleep=no_sleep)
        try:
            client.list_tracking_domains()
        except EspError as error:
            return error_texts(error) + repr(client)
    raise AssertionError("the refused connection must raise")


def every_esp_error() -> str:
    """Each ESP error class, raised by a real client whose API quotes the secret back."""
    texts: list[str] = []
    seen: set[str] = set()
    for _name, esp, respond in ERROR_CASES:
        account = Account(name=f"{esp}-acct", esp=esp, region=REGIONS.get(esp, "")).ref()
        with httpx.Client(transport=httpx.MockTransport(respond)) as http:
            client = make_client(account, SECRETS_BY_ESP[esp], http_client=http, sleep=no_sleep)
            try:
                client.list_tracking_domains()
            except EspError as error:
                seen.add(type(error).__name__)
                texts += [error_texts(error), str(account_problem(account.name, esp, error))]
            texts.append(repr(client))
    texts.append(_outcome_unknown(seen))
    texts.append(_tls_untrusted(seen))
    unsupported = make_client(Account(name="sg", esp="sendgrid").ref(), KEYRING["sg-main"])
    try:
        unsupported.set_https(domain("links-sg.brand.example", "sg"), True)
    except EspUnsupported as error:
        seen.add(type(error).__name__)
        texts.append(error_texts(error))
    finally:
        unsupported.close()
    assert seen == every_subclass(EspError) - {"EspError"}, seen
    return "\n".join(texts)
