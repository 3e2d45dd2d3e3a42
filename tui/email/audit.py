"""Audit one email message: what every host in it is (custom or shared tracking, image, shortener, IP,
destination), how each stands on the URI blocklists, the full outside check of every custom tracking
host, and whether the branded tracking domain is used for every link.

Parsing is `tui.email.parse`; this module classifies, runs the checks on a bounded thread pool with
one shared answer cache, and hands the findings (`tui.email.findings`) and the report to the callers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from checks.blocklists import check_blocklists
from checks.context import CheckContext
from checks.engine import Target, check_host, crashed_report
from checks.psl import is_ip_literal, registered_domain
from esp_clients.facts import shared_tracking_esp, variants
from tui.email.findings import message_findings
from tui.email.html import IMAGE_SOURCES, LIST_UNSUBSCRIBE, FoundUrl, url_parts
from tui.email.links import IMAGE_CDNS, SHORTENERS, Decoded, decode_destination, match_shape
from tui.email.model import (
    DEFAULT_MAX_DOMAINS,
    DESTINATION,
    IMAGE,
    IP_LITERAL,
    ROLES,
    SHARED,
    SHORTENER,
    TRACKED_ROLES,
    TRACKING,
    DomainRow,
    EmailAudit,
    HostRole,
    Link,
    TrackingUse,
)
from tui.email.parse import MAX_BYTES, EmailParseError, ParsedMessage, parse_input
from tui.fleet.expectations import expectation_from_facts, guess_for_target
from tui.fleet.guess import account_facts
from tui.fleet.rows import row_key
from tui.inventory.model import Inventory


def inventory_roles(inventory: Inventory | None) -> dict[str, HostRole]:
    """Each inventory host as a custom tracking host (the first account that lists it)."""
    roles: dict[str, HostRole] = {}
    if inventory is None:
        return roles
    for entry in inventory.entries:
        if entry.host in roles:
            continue
        facts = account_facts(inventory.account(entry.account))
        roles[entry.host] = HostRole(
            host=entry.host,
            role=TRACKING,
            esp=facts.esp,
            esp_label=facts.label,
            brand=entry.brand,
            account=entry.account,
            fleet_key=row_key(entry.account, entry.host),
            expectation=expectation_from_facts(facts, entry.expect_target),
        )
    return roles


def classify_host(host: str, urls: Sequence[FoundUrl], known: Mapping[str, HostRole]) -> HostRole:
    """The role of `host`: IP, inventory tracking host, ESP shared domain, a host serving an ESP's
    tracking URLs, shortener, image/CDN host (or one that only serves images), else a destination."""
    if is_ip_literal(host):
        return HostRole(host=host, role=IP_LITERAL)
    if host in known:
        return known[host]
    return _tracking_role(host, urls) or _plain_role(host, urls)


def _tracking_role(host: str, urls: Sequence[FoundUrl]) -> HostRole | None:
    """An ESP's shared tracking host, or a host whose URLs have an ESP's tracking shape."""
    shared = shared_tracking_esp(host)
    if shared is not None:
        return HostRole(host=host, role=SHARED, esp=shared.esp, esp_label=shared.label)
    shape = next((s for s in (match_shape(u.url) for u in urls) if s is not None), None)
    if shape is None:
        return None
    label = variants(shape.esp)[0].label
    return HostRole(host=host, role=TRACKING, esp=shape.esp, esp_label=label)


def _plain_role(host: str, urls: Sequence[FoundUrl]) -> HostRole:
    """A shortener, an image/CDN host, or a destination."""
    domain = registered_domain(host) or host
    if domain in SHORTENERS:
        return HostRole(host=host, role=SHORTENER)
    if domain in IMAGE_CDNS or (urls and all(u.source in IMAGE_SOURCES for u in urls)):
        return HostRole(host=host, role=IMAGE)
    return HostRole(host=host, role=DESTINATION)


def classify(
    urls: Sequence[FoundUrl], known: Mapping[str, HostRole]
) -> tuple[tuple[Link, ...], dict[str, HostRole]]:
    """Every URL as a Link, and every host's role (destinations decoded from tracking URLs too)."""
    by_host: dict[str, list[FoundUrl]] = {}
    for found in urls:
        by_host.setdefault(found.host or "", []).append(found)
    roles = {host: classify_host(host, found, known) for host, found in by_host.items() if host}
    links = tuple(_link(found, roles[found.host or ""]) for found in urls if found.host)
    for link in links:
        host = url_parts(link.destination)[1] if link.destination else None
        if host and host not in roles:
            roles[host] = classify_host(host, (), known)
    return links, roles


def _link(found: FoundUrl, role: HostRole) -> Link:
    """`found` with its host's role; tracking URLs get their shape and decoded destination."""
    if role.role not in TRACKED_ROLES or found.scheme not in ("http", "https", ""):
        return Link(found=found, role=role.role, esp=role.esp)
    shape = match_shape(found.url)
    if found.pixel or (shape is not None and shape.kind == "open"):
        decoded = Decoded(destination=None, how="an open-tracking pixel has no destination")
    elif found.source == LIST_UNSUBSCRIBE:
        decoded = Decoded(destination=None, how="an unsubscribe address, not a redirect")
    else:
        decoded = decode_destination(found.url, shape)
    return Link(
        found=found,
        role=role.role,
        esp=role.esp,
        kind=shape.kind if shape else "",
        destination=decoded.destination,
        decoding=decoded.how,
    )


def tracking_use(links: Sequence[Link]) -> TrackingUse:
    """How the message's tracking splits between branded and shared hosts."""
    branded = tuple(dict.fromkeys(link.found.host or "" for link in links if link.role == TRACKING))
    shared = tuple(dict.fromkeys(link.found.host or "" for link in links if link.role == SHARED))
    verdict = {
        (True, True): "mixed",
        (True, False): "branded",
        (False, True): "shared",
        (False, False): "none",
    }[(bool(branded), bool(shared))]
    clicks = [link for link in links if link.is_click]
    tracked_clicks = [link for link in clicks if link.role in TRACKED_ROLES]
    return TrackingUse(
        verdict=verdict,
        branded=branded,
        shared=shared,
        tracked=sum(1 for link in links if link.role in TRACKED_ROLES),
        clicks=len(clicks),
        untracked=len(clicks) - len(tracked_clicks) if tracked_clicks else 0,
    )


def org_domains(message: ParsedMessage) -> tuple[str, ...]:
    """The organisational domains of From, DKIM ``d=`` and Return-Path, in that order."""
    names = (message.from_domain, *message.dkim_domains, message.return_path_domain)
    domains = (registered_domain(name) if name else None for name in names)
    return tuple(dict.fromkeys(domain for domain in domains if domain))


def domain_rows(
    links: Sequence[Link], roles: Mapping[str, HostRole], orgs: Sequence[str]
) -> tuple[DomainRow, ...]:
    """One row per host: counts, sources and alignment (findings come later), ordered by role."""
    rows = []
    for host, role in roles.items():
        on_host = [link for link in links if link.found.host == host]
        behind = [
            link for link in links if link.destination and url_parts(link.destination)[1] == host
        ]
        domain = registered_domain(host)
        rows.append(
            DomainRow(
                host=host,
                registered_domain=domain,
                role=role,
                urls=len(on_host),
                behind=len(behind),
                sources=_sources(on_host, behind),
                aligned=(domain in orgs) if orgs else None,
            )
        )
    return tuple(sorted(rows, key=lambda row: (ROLES.index(row.role.role), -row.urls, row.host)))


def _sources(on_host: Iterable[Link], behind: Iterable[Link]) -> tuple[str, ...]:
    names = ["pixel" if link.is_pixel else link.found.source for link in on_host]
    names += ["decoded" for _ in behind]
    return tuple(dict.fromkeys(names))


def check_domains(
    rows: Sequence[DomainRow], ctx: CheckContext, concurrency: int
) -> tuple[DomainRow, ...]:
    """The blocklist verdicts of every host and the full outside check of every custom tracking
    host, at most `concurrency` at once, sharing one fresh answer cache (one question asked once);
    setting `ctx.cancelled` stops the checks in flight at their next step."""
    if not rows:
        return ()
    scan_ctx = dataclasses.replace(ctx.for_new_scan(), cancelled=ctx.cancelled)
    with ThreadPoolExecutor(
        max_workers=max(1, min(concurrency, len(rows))), thread_name_prefix="trackdeck-email"
    ) as pool:
        futures = [(row, pool.submit(_check_row, row, scan_ctx)) for row in rows]
        return tuple(_checked(row, future) for row, future in futures)


def _check_row(row: DomainRow, ctx: CheckContext) -> DomainRow:
    """The full check for a custom tracking host, the URI blocklists for every other host."""
    if row.role.role == TRACKING:
        target = Target(host=row.host, expectation=row.role.expectation, key=row.host)
        report = check_host(target, ctx, guess_for_target)
        return dataclasses.replace(row, findings=report.findings, report=report)
    findings, _verdicts = check_blocklists(row.host, ctx)
    return dataclasses.replace(row, findings=findings)


def _checked(row: DomainRow, future: Future[DomainRow]) -> DomainRow:
    """The checked row; a bug in one host's checks becomes an unknown finding, like the engine's."""
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - one host's bug must not end the audit
        report = crashed_report(Target(host=row.host), error)
        return dataclasses.replace(row, findings=report.findings, report=report)


def plan_audit(
    message: ParsedMessage,
    *,
    source: str,
    inventory: Inventory | None = None,
    max_domains: int = DEFAULT_MAX_DOMAINS,
) -> EmailAudit:
    """Classify and judge one parsed message without any network question (no verdicts yet)."""
    links, roles = classify(message.urls, inventory_roles(inventory))
    orgs = org_domains(message)
    audit = EmailAudit(
        source=source,
        message=message,
        org_domains=orgs,
        links=links,
        domains=domain_rows(links, roles, orgs),
        tracking=tracking_use(links),
        findings=(),
        max_domains=max_domains,
    )
    return dataclasses.replace(audit, findings=message_findings(audit))


def audit_message(
    message: ParsedMessage,
    ctx: CheckContext,
    *,
    source: str,
    inventory: Inventory | None = None,
    max_domains: int = DEFAULT_MAX_DOMAINS,
    concurrency: int = 32,
) -> EmailAudit:
    """The planned audit with every host's blocklist verdicts and every custom tracking host's
    full outside check (network)."""
    planned = plan_audit(message, source=source, inventory=inventory, max_domains=max_domains)
    return dataclasses.replace(planned, domains=check_domains(planned.domains, ctx, concurrency))


def read_input(name: str, stdin: BinaryIO | None = None) -> bytes:
    """The bytes of FILE (or of `stdin` for ``-``); EmailParseError says why they cannot be read."""
    if name == "-":
        if stdin is None:
            raise EmailParseError("no standard input to read")
        return stdin.read(MAX_BYTES + 1)
    try:
        with Path(name).expanduser().open("rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise EmailParseError("no such file") from None
    except IsADirectoryError:
        raise EmailParseError("is a directory, not a message file") from None
    except OSError as error:
        raise EmailParseError(f"cannot be read: {error.strerror or type(error).__name__}") from None


def read_message(name: str) -> ParsedMessage:
    """Read and parse a message file (the dashboard's entry point)."""
    return parse_input(read_input(name))
