"""AWS Signature Version 4 for httpx requests, signed by botocore's public steps without its
logging (which would leak the session token)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Generator

import httpx
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from esp_clients.base import AwsCredentials

SIGNING_NAME = "ses"
"""The service name requests are signed for unless told otherwise (SES v2's)."""


class SigV4(httpx.Auth):
    """Signs each httpx request with AWS SigV4 (botocore), over the exact bytes httpx will send."""

    requires_request_body = True

    def __init__(
        self,
        credentials: AwsCredentials,
        region: str,
        *,
        service: str = SIGNING_NAME,
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        aws_credentials = Credentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
        self._signer = SigV4Auth(aws_credentials, service, region)
        self._region = region
        self._service = service
        self._now = now or _utcnow

    def __repr__(self) -> str:
        return f"SigV4(region={self._region!r}, service={self._service!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add Authorization, X-Amz-Date (and X-Amz-Security-Token) to `request`."""
        request.headers.update(self.signed_headers(request))
        yield request

    def signed_headers(self, request: httpx.Request) -> dict[str, str]:
        """The SigV4 headers for `request` (method, URL, Host and body bytes are signed)."""
        aws_request = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={"Host": request.headers["host"]},
        )
        sign(aws_request, self._signer, self._now().strftime(SIGV4_TIMESTAMP))
        wanted = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
        return {name: aws_request.headers[name] for name in wanted if name in aws_request.headers}


def sign(request: AWSRequest, signer: SigV4Auth, timestamp: str) -> None:
    """What `SigV4Auth.add_auth` does, through its public steps, at `timestamp` (not the clock).

    Unlike `add_auth`, this logs nothing: botocore logs the canonical request, which holds the
    session token, at DEBUG.
    """
    request.context["timestamp"] = timestamp
    request.headers["X-Amz-Date"] = timestamp
    token = signer.credentials.token
    if token:
        request.headers["X-Amz-Security-Token"] = token
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    signed = signer.signed_headers(signer.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
