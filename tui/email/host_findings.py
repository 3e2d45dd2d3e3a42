"""The email findings about the hosts a message names: plain-HTTP URLs, shorteners, IP addresses,
too many outside domains, and domains not aligned with the sender's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from checks.model import Finding, Severity
from tui.email.html import url_parts
from tui.email.model import ROLE_WORDS, SHARED, TRACKING, DomainRow, EmailAudit, Link
from tui.email.words import count, describe, esp_label, evidence, verb


def http_findings(links: Sequence[Link]) -> list[Finding]:
    """email.http_link: one per host that the message reaches over plain http://."""
    by_host: dict[str, list[Link]] = {}
    for link in links:
        if link.found.scheme == "http":
            by_host.setdefault(link.found.host or "", []).append(link)
    return [_http(host, found) for host, found in by_host.items()]


def _http(host: str, links: list[Link]) -> Finding:
    role, label = links[0].role, esp_label(links[0].esp)
    detail = "Plain http:// is a spam and phishing signal, shows mixed-content warnings and can be altered in transit."
    fix = f"Use https://{host}/… in the template, and make sure {host} serves HTTPS."
    if role == TRACKING:
        detail = f"{label} sends this custom tracking domain's links over plain HTTP. {detail}"
        fix = f"Turn HTTPS on for {host} at {label} (`trackdeck https enable {host}` checks DNS and CAA first); {label} then rewrites links as https://."
    elif role == SHARED:
        fix = f"Turn on HTTPS (SSL) click and open tracking in the {label} account, or better, move to a custom tracking domain served over HTTPS."
    return Finding(
        code="email.http_link",
        severity=Severity.WARN,
        title=f"{describe(links)} on {host} {verb(links, 'uses', 'use')} plain http://",
        detail=detail,
        fix=fix,
        evidence=evidence(links),
    )


Explain = Callable[[str, Sequence[Link], bool], Finding]


def behind_findings(
    links: Sequence[Link], rows: Sequence[DomainRow], role: str, explain: Explain
) -> list[Finding]:
    """One finding per host of `role`, counting the URLs on it and the tracking URLs leading to it."""
    findings = []
    for row in rows:
        if row.role.role != role:
            continue
        direct = [link for link in links if link.found.host == row.host]
        behind = [link for link in links if _destination_host(link) == row.host]
        findings.append(explain(row.host, direct + behind, bool(behind)))
    return findings


def _destination_host(link: Link) -> str | None:
    return url_parts(link.destination)[1] if link.destination else None


def shortener_finding(host: str, links: Sequence[Link], behind: bool) -> Finding:
    where = " (behind the tracking redirect)" if behind else ""
    return Finding(
        code="email.shortener",
        severity=Severity.WARN,
        title=f"{describe(links)} {verb(links, 'goes', 'go')} through the URL shortener {host}{where}",
        detail=(
            "A shortener hides the destination and is shared with every sender who uses it, "
            "spammers included: filters and URI blocklists treat shortened links with suspicion, "
            "and the shortener's reputation becomes this message's."
        ),
        fix="Link to the destination directly; the tracking domain already records the click.",
        evidence=evidence(links),
    )


def ip_link_finding(host: str, links: Sequence[Link], behind: bool) -> Finding:
    where = " (behind the tracking redirect)" if behind else ""
    return Finding(
        code="email.ip_link",
        severity=Severity.FAIL,
        title=f"{describe(links)} {verb(links, 'goes', 'go')} to the IP address {host}{where}",
        detail=(
            "Links to a bare IP address are a classic phishing signal: filters score them "
            "heavily, and recipients cannot tell whose site it is."
        ),
        fix=f"Link to a host name under your own domain instead of {host}.",
        evidence=evidence(links),
    )


def outside_domains(audit: EmailAudit) -> tuple[str, ...]:
    """The distinct registered domains (or addresses) of the message outside the sender's own."""
    names = (row.registered_domain or row.host for row in audit.domains)
    return tuple(dict.fromkeys(name for name in names if name not in audit.org_domains))


def many_domains_findings(audit: EmailAudit) -> list[Finding]:
    """email.many_domains when the message names more outside domains than the setting allows."""
    outside = outside_domains(audit)
    if len(outside) <= audit.max_domains:
        return []
    return [
        Finding(
            code="email.many_domains",
            severity=Severity.WARN,
            title=f"{len(outside)} distinct outside domains (more than {audit.max_domains})",
            detail=(
                "Receivers judge a message by every domain in it: each one is another "
                "reputation that can get it filtered, and many unrelated domains look like spam."
            ),
            fix=(
                "Host images on your own domain, drop links that are not needed and send every "
                "link through one tracking domain. The threshold is email_max_domains in the "
                "inventory's [settings], or --max-domains."
            ),
            evidence=outside,
        )
    ]


def unaligned_findings(audit: EmailAudit) -> list[Finding]:
    """email.unaligned (info): registered domains other than From / DKIM d= / Return-Path's."""
    if not audit.org_domains:
        return []
    roles: dict[str, list[str]] = {}
    for row in audit.domains:
        if row.aligned is False:
            name = row.registered_domain or row.host
            roles.setdefault(name, []).append(ROLE_WORDS[row.role.role])
    if not roles:
        return []
    orgs = ", ".join(audit.org_domains)
    evidence = tuple(f"{name}: {', '.join(dict.fromkeys(kinds))}" for name, kinds in roles.items())
    return [
        Finding(
            code="email.unaligned",
            severity=Severity.INFO,
            title=f"{count(len(roles), 'domain')} not aligned with the sender's {orgs}",
            detail=(
                "Their organisational domain is neither the From, the DKIM d= nor the "
                "Return-Path domain. Normal for partners and social networks; tracking and image "
                "hosts under the sender's own domain build the sender's reputation instead."
            ),
            fix=f"Nothing to fix for domains you trust; keep tracking and image hosts under {audit.org_domains[0]}.",
            evidence=evidence,
        )
    ]
