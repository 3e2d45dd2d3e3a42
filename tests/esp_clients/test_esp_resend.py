"""Resend domains with a tracking subdomain: parsing, paging, verify, errors and HTTPS limits."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from esp_clients.base import AccountRef, Capability, TrackingDomain
from esp_clients.errors import (
    EspBadResponse,
    EspUnsupported,
)
from esp_clients.resend import ResendClient, parse_domain

CANARY = "re_CANARY-7f3a9e"
BASE = "https://api.resend.com"
NOW = 1_700_000_000.0
ACCOUNT = AccountRef(name="acme", esp="resend")
DOMAIN_ID = "d91cd9bd-1176-453e-8fc1-35364d380206"


def record(kind: str, name: str, rtype: str, value: str, status: str) -> dict[str, object]:
    """One entry of a domain's `records`, shaped like the spec's DomainRecord."""
    return {
        "record": kind,
        "name": name,
        "type": rtype,
        "value": value,
        "ttl": "Auto",
        "status": status,
    }


def domain(
    domain_id: str = DOMAIN_ID,
    *,
    subdomain: str | None = "track",
    tracking_status: str = "verified",
    caa: bool = False,
) -> dict[str, object]:
    """A `GET /domains/{id}` answer shaped like the spec's Domain schema and the SDK fixture."""
    records = [
        record("SPF", "send", "MX", "feedback-smtp.us-east-1.amazonses.com", "verified"),
        record("Tracking", "track.example.com", "CNAME", "tracking.resend.com", tracking_status),
    ]
    if caa:
        records.append(record("TrackingCAA", "", "CAA", '0 issue "amazon.com"', "pending"))
    body: dict[str, object] = {
        "object": "domain",
        "id": domain_id,
        "name": "example.com",
        "status": "verified",
        "created_at": "2023-04-26 20:21:26.347412+00",
        "region": "us-east-1",
        "open_tracking": True,
        "click_tracking": True,
        "records": records,
    }
    if subdomain is not None:
        body["tracking_subdomain"] = subdomain
    return body


def listed(*ids: str, has_more: bool = False) -> dict[str, object]:
    """One `GET /domains` page (ListDomainsItem has no tracking_subdomain in the spec)."""
    data = [
        {"id": i, "name": "example.com", "status": "verified", "region": "us-east-1"} for i in ids
    ]
    return {"object": "list", "has_more": has_more, "data": data}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[ResendClient]:
    resend = ResendClient(ACCOUNT, CANARY, sleep=sleeps.append, clock=lambda: NOW)
    yield resend
    resend.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_list_fetches_each_domain_for_its_records(
    client: ResendClient, api: respx.MockRouter
) -> None:
    api.get("/domains").respond(200, json=listed(DOMAIN_ID))
    single = api.get(f"/domains/{DOMAIN_ID}").respond(200, json=domain())
    (tracked,) = client.list_tracking_domains()
    assert tracked.host == "track.example.com" and tracked.esp_id == DOMAIN_ID
    assert tracked.esp == "resend" and tracked.account == "acme"
    assert tracked.expected_target == "tracking.resend.com"
    assert tracked.verified is True and tracked.cname_valid is True
    assert tracked.https is True and tracked.certificate.status == "unknown"
    assert "inferred" in tracked.certificate.detail
    assert tracked.problems == ()
    assert ("region", "us-east-1") in tracked.details
    assert single.calls.last.request.headers["authorization"] == f"Bearer {CANARY}"


def test_tracking_caa_record_becomes_a_problem_and_a_detail() -> None:
    tracked = parse_domain(domain(caa=True, tracking_status="failed"), account="acme")
    assert isinstance(tracked, TrackingDomain)
    assert tracked.verified is False and tracked.cname_valid is False
    assert tracked.problems == (
        "Resend reports the tracking CNAME track.example.com → tracking.resend.com as failed",
        'Resend asks for CAA 0 issue "amazon.com" on example.com so it can issue the tracking '
        "certificate",
    )
    assert ("TrackingCAA", 'example.com CAA 0 issue "amazon.com" (pending)') in tracked.details


def test_missing_tracking_record_leaves_the_status_unknown() -> None:
    body = domain()
    body["records"] = []
    tracked = parse_domain(body, account="acme")
    assert tracked is not None
    assert tracked.verified is None and tracked.expected_target is None
    assert tracked.problems == ("Resend lists no Tracking record for track.example.com",)


def test_domains_without_tracking_subdomain_are_left_out(
    client: ResendClient, api: respx.MockRouter
) -> None:
    page = listed("a", "b")
    page["data"][1]["tracking_subdomain"] = None  # type: ignore[index]
    api.get("/domains").respond(200, json=page)
    api.get("/domains/a").respond(200, json=domain("a", subdomain=None))
    skipped = api.get("/domains/b").respond(200, json=domain("b"))
    assert client.list_tracking_domains() == ()
    assert not skipped.called


def test_cursor_pagination_follows_has_more(client: ResendClient, api: respx.MockRouter) -> None:
    pages = api.get("/domains").mock(
        side_effect=[
            httpx.Response(200, json=listed("a", has_more=True)),
            httpx.Response(200, json=listed("b")),
        ]
    )
    api.get("/domains/a").respond(200, json=domain("a"))
    api.get("/domains/b").respond(200, json=domain("b", subdomain="links"))
    hosts = [d.host for d in client.list_tracking_domains()]
    assert hosts == ["track.example.com", "links.example.com"]
    first, second = (call.request.url.params for call in pages.calls)
    assert first["limit"] == "100" and "after" not in first
    assert second["after"] == "a"


def test_endless_pagination_is_cut_off(client: ResendClient, api: respx.MockRouter) -> None:
    counter = iter(range(10_000))
    api.get("/domains").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"object": "list", "has_more": True, "data": [{"id": f"x{next(counter)}"}]}
        )
    )
    api.get(url__regex=r"/domains/x\d+").respond(200, json=domain(subdomain=None))
    with pytest.raises(EspBadResponse, match="pagination did not end after 200 pages"):
        client.list_tracking_domains()


def test_verify_triggers_then_reads_back(client: ResendClient, api: respx.MockRouter) -> None:
    before = parse_domain(domain(tracking_status="pending"), account="acme")
    assert before is not None and before.verified is False
    trigger = api.post(f"/domains/{DOMAIN_ID}/verify").respond(
        200, json={"object": "domain", "id": DOMAIN_ID}
    )
    api.get(f"/domains/{DOMAIN_ID}").respond(200, json=domain())
    after = client.verify(before)
    assert trigger.called and after.verified is True


@pytest.mark.parametrize(
    "capability", [Capability.CERTIFICATE, Capability.HTTPS_ENABLE, Capability.HTTPS_DISABLE]
)
def test_https_and_certificates_are_unsupported(
    client: ResendClient, api: respx.MockRouter, capability: Capability
) -> None:
    tracked = parse_domain(domain(), account="acme")
    assert tracked is not None
    explained = client.explain(capability)
    assert explained is not None and "Resend" in explained.reason
    with pytest.raises(EspUnsupported) as caught:
        if capability is Capability.CERTIFICATE:
            client.request_certificate(tracked)
        else:
            client.set_https(tracked, capability is Capability.HTTPS_ENABLE)
    assert caught.value.hint == explained.reason
    assert not api.calls
    assert client.explain(Capability.VERIFY) is None and client.explain(Capability.LIST) is None


def test_unsupported_certificate_status_names_the_caa_fix(client: ResendClient) -> None:
    tracked = parse_domain(domain(), account="acme")
    assert tracked is not None
    with pytest.raises(EspUnsupported, match="TrackingCAA"):
        client.certificate_status(tracked)


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (httpx.Response(200, json=[1, 2]), "unexpected response shape"),
        (httpx.Response(200, json={"object": "list", "data": "nope"}), "data is not a JSON array"),
    ],
)
def test_wrong_list_shapes_are_bad_responses(
    client: ResendClient, api: respx.MockRouter, reply: httpx.Response, words: str
) -> None:
    api.get("/domains").mock(return_value=reply)
    with pytest.raises(EspBadResponse, match=words):
        client.list_tracking_domains()


def test_wrong_shape_of_a_single_domain(client: ResendClient, api: respx.MockRouter) -> None:
    api.get("/domains").respond(200, json=listed("a"))
    api.get("/domains/a").respond(200, json={"tracking_subdomain": "t", "records": "x"})
    with pytest.raises(EspBadResponse):
        client.list_tracking_domains()
