"""`dns.resolver_down`: a resolver of this scan stopped answering. Said once, on the first host
whose report is made after the resolver was found down; every other host that needed it says in
its own findings that its questions were not asked because of it (`dns.resolver_down` in the
reason), so the one fact that matters is stated once and the rest of the fleet points at it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checks.model import Finding, Severity
from checks.servers import Server, server_text

if TYPE_CHECKING:
    from checks.context import CheckContext
    from checks.dnsclient import DnsClient
    from checks.dnshealth import ResolverHealth


def resolver_down_findings(
    ctx: CheckContext, *, settle_until: float | None = None
) -> tuple[Finding, ...]:
    """A finding for each resolver (or blocklist resolver) found down and not reported yet. With
    `settle_until` (a `time.monotonic()` value) a verdict still being decided is waited for until
    then: by a host whose lookups failed, and by the last host of a scan, so that a one-host check
    says why it failed and a scan that fell back says why."""
    clients = (("resolver", ctx.resolver), ("blocklist resolver", ctx.blocklist_resolver))
    findings = []
    for role, client in clients:
        health = client.health
        if health is None:
            continue
        if settle_until is not None:
            health.settle(client.servers, until=settle_until)
        for server in client.servers:
            reason = health.down(server)
            if reason and health.claim(server):
                findings.append(_down(role, server, reason, client, health))
    return tuple(findings)


def _down(
    role: str, server: Server, reason: str, client: DnsClient, health: ResolverHealth
) -> Finding:
    where = server_text(*server)
    others = [server_text(*other) for other in client.servers if not health.down(other)]
    option = "--blocklist-resolver" if role == "blocklist resolver" else "--resolver"
    setting = "blocklist_resolvers" if role == "blocklist resolver" else "resolvers"
    if others:
        outcome = (
            f"trackdeck stopped asking it and asks {', '.join(others)} instead: the verdicts of "
            "this scan come from there."
        )
    else:
        outcome = (
            f"trackdeck stopped asking it; with no other {role} configured, every host checked "
            "from now on is unknown at once (its findings cite dns.resolver_down), not after "
            "timeout after timeout. Said once, here."
        )
    return Finding(
        code="dns.resolver_down",
        severity=Severity.INFO if others else Severity.UNKNOWN,
        title=f"the {role} {where} is not answering",
        detail=f"The {role} {where} sent {reason}: the {role}, or the way to it, is down — not "
        f"the hosts. {outcome}",
        fix=f"Use a {role} that answers: {option} IP[:PORT] (repeatable: the next one is asked when "
        f"one stops answering) or `{setting} = [...]` in the inventory's [settings]; check "
        f"/etc/resolv.conf and that UDP and TCP port 53 to {where} are open "
        f"(dig . NS @{server[0]} -p {server[1]}).",
        evidence=(f"{where}: {reason}",),
    )
