"""The six ESP clients as the parametrised tests drive them: each one's list call, an empty list,
its error format and regions, behind an httpx MockTransport that checks every request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from esp_clients.base import AccountRef, AwsCredentials, EspClient, EspSecret
from esp_clients.mailgun import MailgunClient
from esp_clients.mandrill import MandrillClient
from esp_clients.resend import ResendClient
from esp_clients.sendgrid import SendGridClient
from esp_clients.ses import SesClient
from esp_clients.sparkpost import SparkPostClient

CANARY = "sk-CANARY-7f3a9e"
AWS = AwsCredentials(
    access_key_id="AKIDCANARY", secret_access_key=f"aws-{CANARY}", session_token=f"tok-{CANARY}"
)
NOW = 1_700_000_000.0
BACKOFF = [0.5, 1.0, 2.0]
Answer = httpx.Response | Exception


def _errors_list(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"field": None, "message": message}]})


def _message(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"message": message})


def _mandrill(status: int, message: str) -> httpx.Response:
    body = {"status": "error", "code": -1, "name": "GeneralError", "message": message}
    return httpx.Response(status, json=body)


def _resend(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"statusCode": status, "name": "error", "message": message})


def _aws(status: int, message: str) -> httpx.Response:
    kind = "SomeException:http://internal.amazon.com/coral/com.amazonaws.sesv2/"
    return httpx.Response(status, headers={"x-amzn-ErrorType": kind}, json={"message": message})


@dataclass(frozen=True, slots=True, kw_only=True)
class Esp:
    """One client as these tests drive it: its list call, an empty list, its error format."""

    name: str
    client: Callable[..., EspClient]
    label: str
    base: str
    list_call: tuple[str, str]
    empty: object
    error: Callable[[int, str], httpx.Response]
    region: str = ""
    secret: EspSecret = CANARY
    wrong_secret: EspSecret = AWS
    bad_regions: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.name

    def account(self, **fields: Any) -> AccountRef:
        return AccountRef(name="acme", esp=self.name, **({"region": self.region} | fields))


ESPS = (
    Esp(
        name="sendgrid",
        client=SendGridClient,
        label="SendGrid",
        base="https://api.sendgrid.com",
        list_call=("GET", "/v3/whitelabel/links"),
        empty=[],
        error=_errors_list,
        bad_regions=(("mars", "SendGrid region must be one of ['eu', 'global'], not 'mars'"),),
    ),
    Esp(
        name="mailgun",
        client=MailgunClient,
        label="Mailgun",
        base="https://api.mailgun.net",
        list_call=("GET", "/v4/domains"),
        empty={"total_count": 0, "items": []},
        error=_message,
        bad_regions=(("ap", "Mailgun region must be one of ['eu', 'us'], not 'ap'"),),
    ),
    Esp(
        name="sparkpost",
        client=SparkPostClient,
        label="SparkPost",
        base="https://api.sparkpost.com/api/v1",
        list_call=("GET", "/tracking-domains"),
        empty={"results": []},
        error=_errors_list,
        bad_regions=(("APAC", "SparkPost region must be 'us' or 'eu', not 'APAC'"),),
    ),
    Esp(
        name="mandrill",
        client=MandrillClient,
        label="Mandrill",
        base="https://mandrillapp.com/api/1.4",
        list_call=("POST", "/urls/tracking-domains"),
        empty=[],
        error=_mandrill,
    ),
    Esp(
        name="ses",
        client=SesClient,
        label="Amazon SES eu-west-1",
        base="https://email.eu-west-1.amazonaws.com",
        list_call=("POST", "/v2/email/list-configuration-sets"),
        empty={"ConfigurationSets": []},
        error=_aws,
        region="eu-west-1",
        secret=AWS,
        wrong_secret=CANARY,
        bad_regions=tuple(
            (region, f"SES needs an AWS region such as 'eu-west-1', not {region!r}")
            for region in ("", "eu", "evil.example.com/x", "EU-WEST-1")
        ),
    ),
    Esp(
        name="resend",
        client=ResendClient,
        label="Resend",
        base="https://api.resend.com",
        list_call=("GET", "/domains"),
        empty={"object": "list", "has_more": False, "data": []},
        error=_resend,
    ),
)


class Wire:
    """A MockTransport handler that checks each request is the list call and answers in turn."""

    def __init__(self, esp: Esp, base: str | None = None) -> None:
        method, path = esp.list_call
        self.expected = (method, (esp.base if base is None else base) + path)
        self.answers: list[Answer] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert (request.method, str(request.url.copy_with(query=None))) == self.expected
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass(frozen=True, slots=True)
class Setup:
    """A client of one ESP over its wire, and the waits it asked for."""

    esp: Esp
    wire: Wire
    client: EspClient
    sleeps: list[float]

    def answer(self, *answers: Answer) -> None:
        self.wire.answers = list(answers)

    def listed(self) -> tuple[object, ...]:
        return self.client.list_tracking_domains()

    def ok(self) -> httpx.Response:
        """A successful answer: the ESP's empty list."""
        return httpx.Response(200, json=self.esp.empty)


@contextmanager
def wired(esp: Esp, **fields: Any) -> Iterator[Setup]:
    """A client of `esp` for account `acme` (with `fields`) over a fresh wire; closed after."""
    wire = Wire(esp, fields.get("api_base"))
    sleeps: list[float] = []
    with httpx.Client(transport=httpx.MockTransport(wire)) as http:
        client = esp.client(
            esp.account(**fields),
            esp.secret,
            http_client=http,
            sleep=sleeps.append,
            clock=lambda: NOW,
        )
        yield Setup(esp, wire, client, sleeps)
        client.close()
        assert not http.is_closed, "closing the client leaves an injected httpx.Client open"
