"""The resolver's view of a tracking host: its CNAME chain, addresses, and what is wrong with them."""

from __future__ import annotations

from dataclasses import dataclass

from checks.cloudflare import all_cloudflare
from checks.context import CheckContext
from checks.dnsanswer import UNANSWERED, DnsStatus, unanswered
from checks.model import Expectation, Finding, ProxyPolicy, Severity, ok
from checks.psl import is_apex, registered_domain

RESOLVER_DOWN = "dns.resolver_down"
"""The code a question not asked of a dead resolver cites (checks/resolver_down.py)."""
MAX_CHAIN = 8
"""More CNAME hops than this is a misconfiguration (and slow for every click)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HostDns:
    """What the resolver says about a host: the chain of names and the final addresses."""

    host: str
    chain: tuple[str, ...]
    status: DnsStatus
    addresses: tuple[str, ...] = ()
    ttl: int = 0
    error: str = ""
    loop: bool = False
    evidence: tuple[str, ...] = ()

    @property
    def final(self) -> str:
        """The last name of the chain, whose records answer for the host."""
        return self.chain[-1]

    @property
    def has_cname(self) -> bool:
        """Whether the host itself is an alias."""
        return len(self.chain) > 1

    @property
    def no_answer(self) -> bool:
        """Whether the resolver gave no answer at all (silence, a dead resolver, no time left)."""
        return self.status is DnsStatus.ERROR and any(word in self.error for word in UNANSWERED)


def resolve_host(host: str, ctx: CheckContext) -> HostDns:
    """Resolve A (then AAAA at the chain's end, shared across hosts) through the resolver."""
    answer = ctx.resolver.query(host, "A")
    if (  # a loop or a chain too long shows as an error answer (SERVFAIL), never as silence
        answer.status is DnsStatus.ERROR
        and not answer.error.startswith("CNAME loop")
        and not unanswered(answer)
    ):
        walked = _walk_chain(host, ctx)
        if walked is not None:
            return walked
    chain = (host, *(target for _owner, target in answer.cnames))
    evidence = [answer.evidence()]
    if answer.status is DnsStatus.ERROR:
        loop = answer.error.startswith("CNAME loop")
        return HostDns(
            host=host,
            chain=chain,
            status=answer.status,
            error=answer.error,
            loop=loop,
            evidence=tuple(evidence),
        )
    addresses = list(answer.records)
    ttl = answer.ttl
    if answer.status is not DnsStatus.NXDOMAIN:
        aaaa = ctx.resolver.query(chain[-1], "AAAA")
        evidence.append(aaaa.evidence())
        addresses += aaaa.records
    status = DnsStatus.ANSWER if addresses else answer.status
    return HostDns(
        host=host,
        chain=chain,
        status=status,
        addresses=tuple(addresses),
        ttl=ttl,
        evidence=tuple(evidence),
    )


def _walk_chain(host: str, ctx: CheckContext) -> HostDns | None:
    """Follow CNAMEs one question at a time to tell a loop or an over-long chain from an outage."""
    chain = [host]
    evidence: list[str] = []
    for _hop in range(MAX_CHAIN * 2):
        answer = ctx.resolver.query(chain[-1], "CNAME")
        if answer.status is not DnsStatus.ANSWER:
            return None
        target = answer.records[0].rstrip(".").lower()
        evidence.append(answer.evidence())
        if target in chain:
            chain.append(target)
            return HostDns(
                host=host,
                chain=tuple(chain),
                status=DnsStatus.ERROR,
                loop=True,
                error=f"CNAME loop at {target}",
                evidence=tuple(evidence),
            )
        chain.append(target)
    return HostDns(
        host=host,
        chain=tuple(chain),
        status=DnsStatus.ERROR,
        error=f"CNAME chain longer than {MAX_CHAIN * 2} names",
        evidence=tuple(evidence),
    )


def evaluate_dns(resolved: HostDns, expectation: Expectation) -> tuple[Finding, ...]:
    """The DNS findings for a resolved host against what its ESP expects."""
    findings: list[Finding] = []
    if is_apex(resolved.host):
        findings.append(_apex(resolved))
        if resolved.status is not DnsStatus.ERROR:
            return tuple(findings)
    if resolved.status is DnsStatus.ERROR:
        findings.append(_lookup_error(resolved))
    elif resolved.status is DnsStatus.NXDOMAIN and resolved.has_cname:
        findings.append(_dangling(resolved))
    elif not resolved.addresses and not resolved.has_cname:
        findings.append(_no_record(resolved, expectation))
    elif not resolved.has_cname:
        findings.append(_no_cname(resolved, expectation))
    else:
        findings.extend(_chain_findings(resolved, expectation))
    return tuple(findings)


def cname_record(host: str, expectation: Expectation) -> str:
    """The exact record to publish, in zone-file syntax."""
    target = expectation.targets[0] if expectation.targets else "<the target your ESP shows>"
    return f"{host}. 3600 IN CNAME {target}."


def _apex(resolved: HostDns) -> Finding:
    return Finding(
        code="dns.apex",
        severity=Severity.FAIL,
        title="tracking host is a domain apex",
        detail=f"{resolved.host} is a registrable domain; an apex cannot carry a CNAME, and ESPs "
        "require a subdomain for link tracking.",
        fix=f"Use a subdomain such as links.{resolved.host} (one per ESP) and point it at the ESP.",
        evidence=resolved.evidence,
    )


def _lookup_error(resolved: HostDns) -> Finding:
    if resolved.loop:
        return Finding(
            code="dns.cname_loop",
            severity=Severity.FAIL,
            title="CNAME loop: the host never resolves",
            detail=f"The chain {' → '.join(resolved.chain)} comes back to a name it already visited.",
            fix=f"Point {resolved.host} directly at the ESP's target and remove the looping CNAME.",
            evidence=resolved.evidence,
        )
    if resolved.error.startswith("CNAME chain longer"):
        return Finding(
            code="dns.chain_too_long",
            severity=Severity.FAIL,
            title=f"CNAME chain longer than {MAX_CHAIN * 2} names",
            detail=f"{' → '.join(resolved.chain[:6])} → … Resolvers give up on chains this long.",
            fix=f"Point {resolved.host} directly at the ESP's target.",
            evidence=resolved.evidence,
        )
    fix = (
        "Retry; if it persists, try another resolver with --resolver IP, or ask the zone's "
        f"name servers directly (dig +norecurse {resolved.host} @<ns>)."
    )
    if RESOLVER_DOWN in resolved.error:
        fix = (
            f"Give a resolver that answers (the fix of {RESOLVER_DOWN}, said once), then re-check."
        )
    return Finding(
        code="dns.lookup_failed",
        severity=Severity.UNKNOWN,
        title="DNS lookup failed: cannot tell",
        detail=f"The resolver did not answer for {resolved.host}: {resolved.error}. This says "
        "nothing about the host itself.",
        fix=fix,
        evidence=resolved.evidence,
    )


def _dangling(resolved: HostDns) -> Finding:
    target = resolved.final
    return Finding(
        code="dns.dangling",
        severity=Severity.FAIL,
        title=f"dangling CNAME: {target} does not exist",
        detail=f"{' → '.join(resolved.chain)} ends in NXDOMAIN. Every tracked link is dead, and "
        f"whoever registers or claims {target} can serve content under {resolved.host}.",
        fix=f"Remove the CNAME at {resolved.host}, or re-create the tracking domain at the ESP "
        "so the target exists again.",
        evidence=resolved.evidence,
    )


def _no_record(resolved: HostDns, expectation: Expectation) -> Finding:
    what = (
        "does not exist (NXDOMAIN)"
        if resolved.status is DnsStatus.NXDOMAIN
        else ("has no CNAME and no address (NODATA)")
    )
    return Finding(
        code="dns.no_record",
        severity=Severity.FAIL,
        title="no CNAME and no address",
        detail=f"{resolved.host} {what}: links through it cannot open.",
        fix=f"Publish: {cname_record(resolved.host, expectation)}",
        evidence=resolved.evidence,
    )


def _no_cname(resolved: HostDns, expectation: Expectation) -> Finding:
    if all_cloudflare(resolved.addresses):
        return _proxied(resolved, expectation)
    severity = Severity.FAIL if expectation.knows_target else Severity.WARN
    return Finding(
        code="dns.not_cname",
        severity=severity,
        title="A/AAAA records where a CNAME is needed",
        detail=f"{resolved.host} answers {', '.join(resolved.addresses)} with no CNAME, so the ESP "
        "cannot verify it or issue its certificate (or a DNS provider flattens the CNAME).",
        fix=f"Delete the A/AAAA records and publish: {cname_record(resolved.host, expectation)} "
        "(turn CNAME flattening off for this name).",
        evidence=resolved.evidence,
    )


def _proxied(resolved: HostDns, expectation: Expectation) -> Finding:
    label = expectation.esp_label or "the ESP"
    policy = expectation.proxy_policy
    severity = {
        ProxyPolicy.FORBIDDEN: Severity.FAIL,
        ProxyPolicy.ALLOWED: Severity.WARN,
        ProxyPolicy.REQUIRED: Severity.INFO,
    }[policy]
    why = {
        ProxyPolicy.FORBIDDEN: f"{label}'s managed HTTPS needs to see the CNAME: it cannot verify the "
        "domain or issue its certificate through a proxy.",
        ProxyPolicy.ALLOWED: "The CNAME is hidden, so its target cannot be verified from outside; "
        "a proxy pointing elsewhere breaks every link (Cloudflare errors 1014/1016).",
        ProxyPolicy.REQUIRED: f"{label} serves HTTPS through a CDN, so a proxy is expected; make "
        "sure it forwards to the ESP's target.",
    }[policy]
    fix = (
        f"Set the record to DNS only (grey cloud) in Cloudflare, so that resolvers see "
        f"{cname_record(resolved.host, expectation)}"
    )
    if policy is ProxyPolicy.REQUIRED:
        fix = f"Nothing to change if the proxy forwards to {expectation.describe_targets()}."
    return Finding(
        code="dns.proxied",
        severity=severity,
        title="proxied by Cloudflare (orange cloud)",
        detail=f"{resolved.host} answers with Cloudflare anycast addresses "
        f"({', '.join(resolved.addresses)}) instead of a CNAME. {why}",
        fix=fix,
        evidence=resolved.evidence,
    )


def _chain_findings(resolved: HostDns, expectation: Expectation) -> tuple[Finding, ...]:
    chain_text = " → ".join(resolved.chain)
    if expectation.knows_target and not any(
        expectation.accepts_target(name) for name in resolved.chain[1:]
    ):
        return (
            Finding(
                code="dns.cname_mismatch",
                severity=Severity.FAIL,
                title=f"CNAME points at {resolved.chain[1]}, not {expectation.describe_targets()}",
                detail=f"{chain_text} never reaches {expectation.describe_targets()}"
                + (f" ({expectation.target_source})" if expectation.target_source else "")
                + f", so {expectation.esp_label or 'the ESP'} cannot verify it.",
                fix=f"Replace the CNAME with: {cname_record(resolved.host, expectation)}",
                evidence=resolved.evidence,
            ),
        )
    findings = [
        ok("dns.ok", f"CNAME → {resolved.chain[1]}", detail=chain_text, evidence=resolved.evidence)
    ]
    if not expectation.knows_target:
        findings.append(
            Finding(
                code="dns.target_unknown",
                severity=Severity.INFO,
                title="expected target unknown: chain not compared",
                detail=f"{expectation.esp_label or 'The ESP'} does not publish its CNAME target; "
                f"{resolved.host} points at {resolved.chain[1]}.",
                fix="Set expect_target for this host in the inventory (the value the ESP shows).",
            )
        )
    if len(resolved.chain) - 1 > MAX_CHAIN:
        findings.append(
            Finding(
                code="dns.chain_too_long",
                severity=Severity.WARN,
                title=f"{len(resolved.chain) - 1} CNAME hops",
                detail=f"{chain_text}: every hop is a lookup before the click redirects.",
                fix=f"Point {resolved.host} directly at {resolved.final}.",
                evidence=resolved.evidence,
            )
        )
    return tuple(findings)


def questions_ahead(host: str, *, zones: bool) -> tuple[tuple[str, str], ...]:
    """A host's first questions that need no answer before them: its A, and (for the zone walk)
    the SOA of each of its parents, asked at once."""
    parents = zone_candidates(host)[1:] if zones else ()
    return ((host, "A"), *((name, "SOA") for name in parents))


def zone_candidates(host: str) -> tuple[str, ...]:
    """The host and its parents down to the registered domain, for the zone-cut walk."""
    labels = host.split(".")
    floor = registered_domain(host) or host
    names = [".".join(labels[index:]) for index in range(len(labels))]
    return tuple(name for name in names if name == floor or name.endswith("." + floor))
