"""Simulated Amazon SES v2: configuration sets with a custom redirect domain, identities, HttpsPolicy.

Each SimDomain is one configuration set (`esp_id`, by default the host with dashes) whose
`TrackingOptions.CustomRedirectDomain` is the host; its identity status follows `verified` and
`cname_valid`. Any SigV4 Authorization header scoped to service `ses` (and the account's region) is
accepted, since the client signs with whatever credentials it was given.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tui.sim.esp_apis import click_routes
from tui.sim.esp_apis.core import EspShape, SimDomain, SimState, json_body, reply, route

_TYPES = {
    400: "BadRequestException",
    401: "UnrecognizedClientException",
    403: "AccessDeniedException",
    404: "NotFoundException",
    429: "TooManyRequestsException",
    503: "ServiceUnavailable",
}
POLICIES = ("REQUIRE", "REQUIRE_OPEN_ONLY", "OPTIONAL")


def error(status: int, message: str) -> httpx.Response:
    """An AWS rest-json error: the type in `x-amzn-ErrorType`, `{"message"}` in the body."""
    kind = _TYPES.get(status, "InternalFailure" if status >= 500 else "BadRequestException")
    headers = {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazonaws.sesv2/"}
    return reply({"message": message}, status, headers)


def _signed(request: httpx.Request, state: SimState) -> bool:
    """A SigV4 header for service `ses` in the account's region, with its X-Amz-Date."""
    header = request.headers.get("authorization", "")
    scope = f"/{state.region}/ses/aws4_request"
    return (
        header.startswith("AWS4-HMAC-SHA256 Credential=")
        and scope in header
        and "Signature=" in header
        and bool(request.headers.get("x-amz-date"))
    )


def _unsigned(state: SimState) -> httpx.Response:
    response = error(403, "Missing Authentication Token")
    response.headers["x-amzn-ErrorType"] = "MissingAuthenticationTokenException"
    return response


def configuration_set(domain: SimDomain) -> dict[str, object]:
    """The answer of GetConfigurationSet."""
    policy = "REQUIRE" if domain.https else "OPTIONAL"
    return {
        "ConfigurationSetName": domain.key,
        "TrackingOptions": {"CustomRedirectDomain": domain.host, "HttpsPolicy": policy},
        "DeliveryOptions": {"TlsPolicy": "OPTIONAL"},
        "SendingOptions": {"SendingEnabled": True},
    }


def identity(domain: SimDomain) -> dict[str, object]:
    """The answer of GetEmailIdentity for the redirect domain."""
    if domain.verified and domain.cname_valid:
        status = "SUCCESS"
    else:
        status = "FAILED" if not domain.cname_valid else "PENDING"
    return {
        "IdentityType": "DOMAIN",
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": status == "SUCCESS",
        "VerificationStatus": status,
        "DkimAttributes": {"SigningEnabled": True, "Status": status},
    }


def _page(state: SimState, size: int, token: str | None) -> httpx.Response:
    start = int(token) if token and token.isdigit() else 0
    names = [domain.key for domain in state.domains[start : start + size]]
    body: dict[str, object] = {"ConfigurationSets": names}
    if start + size < len(state.domains):
        body["NextToken"] = str(start + size)
    return reply(body)


def _list_post(
    state: SimState, request: httpx.Request, params: Mapping[str, str]
) -> httpx.Response:
    body = json_body(request)
    size, token = body.get("PageSize", 100), body.get("NextToken")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return error(400, "PageSize must be a positive number")
    return _page(state, size, token if isinstance(token, str) else None)


def _list_get(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    query = request.url.params
    size = query.get("PageSize", "100")
    return _page(
        state, int(size) if size.isdigit() and size != "0" else 100, query.get("NextToken")
    )


def _missing_set(name: str) -> httpx.Response:
    return error(404, f"Configuration set <{name}> does not exist.")


def _get(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["name"])
    return _missing_set(params["name"]) if domain is None else reply(configuration_set(domain))


def _identity(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.by_host(params["identity"])
    if domain is None:
        return error(404, f"Email identity <{params['identity']}> does not exist.")
    return reply(identity(domain))


def _tracking(state: SimState, request: httpx.Request, params: Mapping[str, str]) -> httpx.Response:
    domain = state.find(params["name"])
    if domain is None:
        return _missing_set(params["name"])
    body = json_body(request)
    host, policy = body.get("CustomRedirectDomain"), body.get("HttpsPolicy", "OPTIONAL")
    if not isinstance(host, str) or not host or policy not in POLICIES:
        return error(400, "CustomRedirectDomain and a valid HttpsPolicy are required")
    domain.host = host.strip().rstrip(".").lower()
    domain.https = policy == "REQUIRE"
    return reply({})


SHAPE = EspShape(
    esp="ses",
    prefix="",
    default_region="us-east-1",
    routes=(
        route("POST", "/v2/email/list-configuration-sets", _list_post),
        route("GET", "/v2/email/configuration-sets", _list_get),
        route("GET", "/v2/email/configuration-sets/{name}", _get),
        route("PUT", "/v2/email/configuration-sets/{name}/tracking-options", _tracking),
        route("GET", "/v2/email/identities/{identity}", _identity),
        *click_routes.SES,
    ),
    authorized=_signed,
    unauthorized=_unsigned,
    error=error,
    default_target=lambda region: f"r.{region}.awstrack.me",
    default_id=lambda domain, index, account, taken: domain.host.replace(".", "-"),
)
