"""Amazon SES v2: configuration sets' custom redirect (tracking) domains and their HTTPS policy.

Requests are signed with AWS Signature Version 4 by `esp_clients.sigv4.SigV4`, an `httpx.Auth`,
so the signature always covers the exact bytes httpx sends, retries included.
"""

from __future__ import annotations

import datetime
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from esp_clients.base import (
    AccountRef,
    AwsCredentials,
    Capability,
    CertificateState,
    EspSecret,
    TrackingDomain,
)
from esp_clients.client import ApiClient, ErrorDialect, require
from esp_clients.errors import EspBadResponse, EspError, EspNotFound
from esp_clients.ses_auth import SesAuthError
from esp_clients.ses_clicks import UNSUPPORTED_CLICKS, SesClicks
from esp_clients.shapes import (
    ShapeError,
    as_list,
    as_mapping,
    normalize_host,
    opt_str,
    quote_segment,
)
from esp_clients.sigv4 import SigV4

PAGE_SIZE = 100

UNSUPPORTED: Mapping[Capability, str] = {
    **UNSUPPORTED_CLICKS,
    Capability.VERIFY: (
        "SES has no verify call for tracking domains: the redirect domain is verified as an SES "
        "identity through its DNS records, so fix DNS and wait for SES to re-check"
    ),
    Capability.CERTIFICATE: (
        "SES does not provision certificates for custom redirect domains: put a CDN with a "
        "certificate for the host in front of the SES tracking endpoint"
    ),
}

CERTIFICATE = CertificateState(
    status="unknown",
    detail="SES does not manage certificates for custom redirect domains; "
    "HTTPS needs a CDN with your own certificate in front of SES",
)


def error_message(body: object) -> str | None:
    """The `message` (or `Message`) of an AWS rest-json error body, with its `__type` or `code`."""
    if not isinstance(body, Mapping):
        return None
    message = body.get("message") or body.get("Message")
    kind = body.get("__type") or body.get("code")
    parts = [_short_type(kind) if isinstance(kind, str) else "", message]
    text = ": ".join(p for p in parts if isinstance(p, str) and p)
    return text or None


def _short_type(value: str) -> str:
    """`NotFoundException` from `com.amazonaws.sesv2#NotFoundException:http://…`."""
    return value.rsplit("#", maxsplit=1)[-1].split(":", 1)[0]


def error_kind(status: int, body: object) -> type[EspError] | None:
    """401/403 from AWS are credential or IAM problems: say which actions are needed."""
    return SesAuthError if status in (401, 403) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectOptions:
    """A configuration set's TrackingOptions."""

    configuration_set: str
    host: str
    https_policy: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityState:
    """What GetEmailIdentity says about the redirect domain (`found=False`: not an identity)."""

    found: bool
    status: str | None = None


NOT_AN_IDENTITY = IdentityState(found=False)


def parse_page(body: object) -> tuple[tuple[str, ...], str | None]:
    """Configuration set names and the NextToken of one ListConfigurationSets page."""
    obj = as_mapping(body, "response")
    names = as_list(obj.get("ConfigurationSets") or [], "ConfigurationSets")
    if not all(isinstance(name, str) for name in names):
        raise ShapeError("ConfigurationSets holds a non-string name")
    return tuple(str(name) for name in names), opt_str(obj, "NextToken") or None


def parse_configuration_set(body: object, name: str) -> RedirectOptions | None:
    """The custom redirect domain of one GetConfigurationSet answer, None when it has none."""
    obj = as_mapping(body, "response")
    tracking = obj.get("TrackingOptions")
    if tracking is None:
        return None
    options = as_mapping(tracking, "TrackingOptions")
    host = opt_str(options, "CustomRedirectDomain")
    if not host:
        return None
    return RedirectOptions(
        configuration_set=opt_str(obj, "ConfigurationSetName") or name,
        host=normalize_host(host),
        https_policy=opt_str(options, "HttpsPolicy"),
    )


def parse_identity(body: object) -> IdentityState:
    """The VerificationStatus of a GetEmailIdentity answer."""
    obj = as_mapping(body, "response")
    status = opt_str(obj, "VerificationStatus")
    if status is None and isinstance(obj.get("VerifiedForSendingStatus"), bool):
        status = "SUCCESS" if obj["VerifiedForSendingStatus"] else "PENDING"
    return IdentityState(found=True, status=status)


def _verified(identity: IdentityState) -> bool | None:
    if not identity.found:
        return False
    return None if identity.status is None else identity.status == "SUCCESS"


def _identity_problems(host: str, identity: IdentityState, region: str) -> tuple[str, ...]:
    if not identity.found:
        return (
            f"{host} is not an SES identity in {region}: SES needs the redirect domain verified "
            "as a domain identity (create it and publish its DNS records)",
        )
    if identity.status not in (None, "SUCCESS"):
        return (
            f"SES identity {host} is {identity.status}: fix its DNS records and wait for SES "
            "to check again",
        )
    return ()


def build_domain(
    options: RedirectOptions, identity: IdentityState, *, account: str, region: str
) -> TrackingDomain:
    """The TrackingDomain for one configuration set's redirect domain."""
    policy = options.https_policy
    details = (
        ("configuration_set", options.configuration_set),
        ("region", region),
        ("HttpsPolicy", policy or "OPTIONAL (not set)"),
        ("identity_status", identity.status or ("not an identity" if not identity.found else "?")),
    )
    return TrackingDomain(
        host=options.host,
        esp="ses",
        account=account,
        esp_id=options.configuration_set,
        verified=_verified(identity),
        cname_valid=None,
        expected_target=None,
        https=policy == "REQUIRE",
        certificate=CERTIFICATE,
        problems=_identity_problems(options.host, identity, region),
        details=details,
    )


class SesClient(SesClicks, ApiClient[AwsCredentials]):
    """One AWS account in one region, seen through SES v2 configuration sets."""

    esp = "ses"
    name = "Amazon SES"
    unsupported = UNSUPPORTED
    dialect = ErrorDialect(message=error_message, kind=error_kind, type_header="x-amzn-ErrorType")
    region_error = "SES needs an AWS region such as 'eu-west-1', not {given!r}"

    def __init__(
        self,
        account: AccountRef,
        secret: EspSecret,
        *,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        now: Callable[[], datetime.datetime] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._now = now
        super().__init__(
            account, secret, http_client=http_client, sleep=sleep, clock=clock, tls=tls
        )

    def label_for(self, region: str) -> str:
        """`Amazon SES eu-west-1`: every AWS region is its own SES."""
        return f"{self.name} {region}".strip()

    def base_url(self, region: str) -> str:
        """SES v2's regional endpoint."""
        return f"https://email.{region}.amazonaws.com"

    def credential(self, secret: EspSecret) -> AwsCredentials:
        """The secret as AWS credentials; an API key is a setup mistake."""
        if isinstance(secret, AwsCredentials):
            return secret
        raise SesAuthError(
            "SES needs AWS credentials (access key id and secret), not an API key",
            esp=self.label,
            account=self.account.name,
        )

    def secrets(self, credential: AwsCredentials) -> tuple[str, ...]:
        """The secret access key and the session token (the key id is not secret)."""
        return (credential.secret_access_key, credential.session_token or "")

    def auth(self, credential: AwsCredentials) -> httpx.Auth:
        """AWS Signature Version 4 over the exact bytes sent."""
        return SigV4(credential, self.region, now=self._now)

    def list_tracking_domains(self) -> tuple[TrackingDomain, ...]:
        """Every configuration set with a custom redirect domain, with its identity's status."""
        identities: dict[str, IdentityState] = {}
        domains: list[TrackingDomain] = []
        for name in self._api.paginate(self._names_page):
            options = self._redirect_options(name)
            if options is None:
                continue
            if options.host not in identities:
                identities[options.host] = self._identity(options.host)
            domains.append(self._build(options, identities[options.host]))
        return tuple(domains)

    def verify(self, domain: TrackingDomain) -> TrackingDomain:
        """Unsupported: SES verifies identities from DNS on its own."""
        require(self, Capability.VERIFY)
        return domain

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: SES does not issue certificates for redirect domains."""
        require(self, Capability.CERTIFICATE)
        return domain.certificate

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: SES does not issue certificates for redirect domains."""
        require(self, Capability.CERTIFICATE)
        return domain.certificate

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Set the configuration set's HttpsPolicy to REQUIRE (on) or OPTIONAL (off)."""
        require(self, Capability.HTTPS_ENABLE if enabled else Capability.HTTPS_DISABLE)
        body = {
            "CustomRedirectDomain": domain.host,
            "HttpsPolicy": "REQUIRE" if enabled else "OPTIONAL",
        }
        path = f"/v2/email/configuration-sets/{quote_segment(domain.esp_id)}/tracking-options"
        self._api.request_json("PUT", path, json=body)
        options = self._redirect_options(domain.esp_id)
        if options is None:
            raise self._api.make_error(
                EspBadResponse, f"configuration set {domain.esp_id} lost its redirect domain"
            )
        return self._build(options, self._identity(options.host))

    def _names_page(self, token: str | None) -> tuple[tuple[str, ...], str | None]:
        request: dict[str, object] = {"PageSize": PAGE_SIZE}
        if token is not None:
            request["NextToken"] = token
        body = self._api.request_json(
            "POST", "/v2/email/list-configuration-sets", json=request, idempotent=True
        )
        return self._api.convert(parse_page, body)

    def _redirect_options(self, name: str) -> RedirectOptions | None:
        path = f"/v2/email/configuration-sets/{quote_segment(name)}"
        try:
            body = self._api.request_json("GET", path)
        except EspNotFound:
            return None
        return self._api.convert(lambda b: parse_configuration_set(b, name), body)

    def _identity(self, host: str) -> IdentityState:
        try:
            body = self._api.request_json("GET", f"/v2/email/identities/{quote_segment(host)}")
        except EspNotFound:
            return NOT_AN_IDENTITY
        return self._api.convert(parse_identity, body)

    def _build(self, options: RedirectOptions, identity: IdentityState) -> TrackingDomain:
        return build_domain(options, identity, account=self.account.name, region=self.region)
