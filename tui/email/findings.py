"""The findings of an email audit, each with a stable code and its fix: shared and mixed tracking and
untracked links here, the findings about individual hosts in `tui.email.host_findings`."""

from __future__ import annotations

from collections.abc import Sequence

from checks.model import Finding, Severity, ok
from tui.email.host_findings import (
    behind_findings,
    http_findings,
    ip_link_finding,
    many_domains_findings,
    shortener_finding,
    unaligned_findings,
)
from tui.email.model import IP_LITERAL, SHARED, SHORTENER, TRACKED_ROLES, TRACKING, EmailAudit, Link
from tui.email.words import describe, esp_label, esp_target, evidence, verb


def message_findings(audit: EmailAudit) -> tuple[Finding, ...]:
    """Every email.* finding of the audit, worst first (codes in a stable order within a severity)."""
    findings = [
        *shared_findings(audit),
        *mixed_findings(audit),
        *http_findings(audit.links),
        *behind_findings(audit.links, audit.domains, SHORTENER, shortener_finding),
        *behind_findings(audit.links, audit.domains, IP_LITERAL, ip_link_finding),
        *untracked_findings(audit.links),
        *many_domains_findings(audit),
        *unaligned_findings(audit),
    ]
    return tuple(sorted(findings, key=lambda finding: finding.severity.rank))


def shared_findings(audit: EmailAudit) -> list[Finding]:
    """email.shared_tracking_domain: one per ESP whose shared domain the message uses."""
    by_esp: dict[str | None, list[Link]] = {}
    for link in audit.links:
        if link.role == SHARED:
            by_esp.setdefault(link.esp, []).append(link)
    return [_shared(audit, esp, links) for esp, links in by_esp.items()]


def _shared(audit: EmailAudit, esp: str | None, links: list[Link]) -> Finding:
    label = esp_label(esp)
    hosts = ", ".join(dict.fromkeys(link.found.host or "" for link in links))
    branded = [link.found.host for link in audit.links if link.role == TRACKING and link.esp == esp]
    org = audit.org_domains[0] if audit.org_domains else "your-domain.example"
    if branded:
        fix = (
            f"Link branding is set up ({branded[0]}) but these did not use it: make sure the "
            "sub-user, configuration set or template that sent this message uses it, send a new "
            "test and audit it again."
        )
    else:
        fix = (
            f"Set up a custom tracking domain at {label}: links.{org} CNAME {esp_target(esp)}, "
            f"verify it at {label}, check it with `trackdeck check links.{org}`, then send a "
            "new test and audit it again."
        )
    return Finding(
        code="email.shared_tracking_domain",
        severity=Severity.WARN,
        title=f"{describe(links)} {verb(links, 'goes', 'go')} through {label}'s shared "
        f"tracking domain {hosts}",
        detail=(
            f"A shared tracking domain carries the reputation of every {label} customer: a "
            "listing caused by another sender lands on this message, and corporate gateways "
            "(Proofpoint, Mimecast, Defender) rewrite or hold links through shared trackers."
        ),
        fix=fix,
        evidence=evidence(links),
    )


def mixed_findings(audit: EmailAudit) -> list[Finding]:
    """email.mixed_tracking when branded and shared tracking meet in one message; an OK finding
    when every tracked URL uses a branded host."""
    use = audit.tracking
    if use.verdict == "branded":
        tracked = [link for link in audit.links if link.role in TRACKED_ROLES]
        title = f"Every tracked URL ({describe(tracked)}) uses {', '.join(use.branded)}"
        return [ok("email.branded_tracking", title)]
    if use.verdict != "mixed":
        return []
    branded = [link for link in audit.links if link.role == TRACKING]
    shared = [link for link in audit.links if link.role == SHARED]
    return [
        Finding(
            code="email.mixed_tracking",
            severity=Severity.WARN,
            title=f"Mixed tracking: {describe(branded)} through {', '.join(use.branded)}, "
            f"{describe(shared)} through the shared {', '.join(use.shared)}",
            detail=(
                "The branded tracking domain is in use, but part of this message still goes "
                "through the ESP's shared domain, so the message carries both reputations."
            ),
            fix=(
                "Find the parts in the evidence (often the open pixel, the unsubscribe link, a "
                "second ESP account or sub-user without link branding, or links added after the "
                f"ESP rewrote the message) and make them use {use.branded[0]}; then audit a new test."
            ),
            evidence=evidence(shared),
        )
    ]


def untracked_findings(links: Sequence[Link]) -> list[Finding]:
    """email.untracked_link: links that go straight to their destination where others are tracked."""
    clicks = [link for link in links if link.is_click]
    tracked = [link for link in clicks if link.role in TRACKED_ROLES]
    direct = [link for link in clicks if link.role not in TRACKED_ROLES]
    if not tracked or not direct:
        return []
    plain_only = all(link.found.part == "text/plain" for link in direct)
    where = (
        "the plain-text part (plain-text click tracking is probably off at the ESP)"
        if plain_only
        else "these links"
    )
    return [
        Finding(
            code="email.untracked_link",
            severity=Severity.WARN,
            title=f"{len(direct)} of {len(clicks)} links skipped click tracking",
            detail=(
                "Other links in this message go through click tracking; these go straight to "
                "their destination, so their clicks are not counted and the message mixes "
                "tracked and direct links."
            ),
            fix=(
                "If that is deliberate (links marked not to be tracked), nothing to do. Otherwise "
                f"turn click tracking on for {where}, and check that each href is a quoted "
                "http(s) URL the ESP can rewrite and that nothing adds links after the ESP."
            ),
            evidence=evidence(direct),
        )
    ]
