"""Ask the zone's own name servers: records that conflict with the CNAME, and answers the resolver
has not caught up with yet."""

from __future__ import annotations

from dataclasses import dataclass

from checks.context import CheckContext
from checks.dns import HostDns, zone_candidates
from checks.dnsanswer import DnsResult, DnsStatus, unanswered
from checks.model import Finding, Severity
from checks.names import normalize


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthView:
    """What one authoritative server holds at the host."""

    server: str
    cname: str | None
    other: tuple[str, ...]
    exists: bool
    error: str = ""
    evidence: str = ""

    def summary(self) -> str:
        """A short description used to compare servers and the resolver."""
        if self.error:
            return f"error ({self.error})"
        if self.cname:
            return f"CNAME {self.cname}"
        if self.other:
            return "no CNAME (" + ", ".join(self.other[:3]) + ")"
        return "no CNAME (name exists, no data)" if self.exists else "NXDOMAIN"


def find_zone(resolved: HostDns, ctx: CheckContext) -> str | None:
    """The apex of the zone holding the host: the nearest name that owns an SOA. The host itself is
    asked only when it is no alias and the resolver answered for it: its parents' SOA are asked
    ahead of the host, its own would be one more silent question (in a zone whose servers are
    dead, a whole extra timeout)."""
    for name in zone_candidates(resolved.host):
        if name == resolved.host and (resolved.has_cname or resolved.no_answer):
            continue
        answer = ctx.resolver.query(name, "SOA")
        if answer.status is DnsStatus.ANSWER and not answer.cnames:
            return name
    return None


def nameservers(zone: str, ctx: CheckContext) -> tuple[tuple[tuple[str, str], ...], str]:
    """(name server, address) pairs for the zone, resolved through the resolver; with none, why
    (the zone has no NS records, or the questions for them or their addresses failed)."""
    answer = ctx.resolver.query(zone, "NS")
    if answer.status is DnsStatus.ERROR:
        return (), f"its NS question failed: {answer.error}"
    pairs: list[tuple[str, str]] = []
    failed: list[str] = []
    ns_names = sorted(normalize(record) for record in answer.records)
    ctx.resolver.prefetch((name, rdtype) for name in ns_names for rdtype in ("A", "AAAA"))
    for ns_name in ns_names:
        for rdtype in ("A", "AAAA"):
            addresses = ctx.resolver.query(ns_name, rdtype)
            pairs.extend((ns_name, address) for address in addresses.records)
            if addresses.status is DnsStatus.ERROR:
                failed.append(f"{ns_name} {rdtype}: {addresses.error}")
    if pairs or not failed:
        return tuple(pairs), "the zone has no resolvable NS records"
    return (), "the addresses of its name servers could not be looked up: " + "; ".join(
        dict.fromkeys(failed)
    )


def ask_server(host: str, ns_name: str, address: str, ctx: CheckContext) -> AuthView:
    """Ask one name server (no recursion) what it holds at `host`: ANY first, CNAME and A if
    the server answers ANY minimally (RFC 8482)."""
    client = ctx.authoritative_client(address)
    label = f"{ns_name} ({address})"
    answer = client.query(host, "ANY", recursive=False)
    if unanswered(answer):
        return AuthView(
            server=label,
            cname=None,
            other=(),
            exists=False,
            error=answer.error,
            evidence=answer.evidence(),
        )
    if answer.status is DnsStatus.ERROR or _minimal_any(answer):
        cname = client.query(host, "CNAME", recursive=False)
        address_answer = client.query(host, "A", recursive=False)
        if cname.status is DnsStatus.ERROR:
            return AuthView(
                server=label,
                cname=None,
                other=(),
                exists=False,
                error=cname.error,
                evidence=cname.evidence(),
            )
        return _view_from_pair(label, cname, address_answer)
    records = answer.records
    cnames = [record.split(" ", 1)[1] for record in records if record.startswith("CNAME ")]
    other = tuple(
        record for record in records if not record.startswith(("CNAME ", "RRSIG ", "NSEC"))
    )
    return AuthView(
        server=label,
        cname=normalize(cnames[0]) if cnames else None,
        other=other,
        exists=answer.status is not DnsStatus.NXDOMAIN,
        evidence=answer.evidence(),
    )


def _minimal_any(answer: DnsResult) -> bool:
    return answer.status is DnsStatus.ANSWER and all(r.startswith("HINFO") for r in answer.records)


def _view_from_pair(label: str, cname: DnsResult, address_answer: DnsResult) -> AuthView:
    target = normalize(cname.records[0]) if cname.status is DnsStatus.ANSWER else None
    own_addresses: tuple[str, ...] = ()
    if address_answer.status is DnsStatus.ANSWER and not address_answer.cnames:
        own_addresses = tuple(f"A {record}" for record in address_answer.records)
    return AuthView(
        server=label,
        cname=target,
        other=own_addresses,
        exists=cname.status is not DnsStatus.NXDOMAIN,
        evidence=f"{cname.evidence()} | {address_answer.evidence()}",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthCheck:
    """The authoritative findings, the zone holding the host, and the CNAME its servers agree on."""

    findings: tuple[Finding, ...] = ()
    zone: str | None = None
    cname: str | None = None


def check_authoritative(resolved: HostDns, ctx: CheckContext) -> AuthCheck:
    """Conflicting records at the authoritative servers, lame servers, and stale resolver answers."""
    zone = find_zone(resolved, ctx)
    if zone is None:
        return AuthCheck()
    servers, reason = nameservers(zone, ctx)
    if not servers:
        return AuthCheck(findings=(_unreachable(resolved.host, zone, reason, ()),), zone=zone)
    views = tuple(ask_server(resolved.host, ns, address, ctx) for ns, address in servers)
    answering = tuple(view for view in views if not view.error)
    if not answering:
        reasons = "; ".join(f"{view.server}: {view.error}" for view in views)
        return AuthCheck(findings=(_unreachable(resolved.host, zone, reasons, views),), zone=zone)
    findings: list[Finding] = []
    lame = tuple(view for view in views if view.error)
    if lame:
        findings.append(_lame(zone, lame))
    conflicts = _conflicts(resolved.host, answering)
    findings.extend(conflicts)
    if not conflicts:
        findings.extend(_propagation(resolved, answering))
    agreed = {view.cname for view in answering}
    cname = agreed.pop() if len(agreed) == 1 else None
    return AuthCheck(findings=tuple(findings), zone=zone, cname=cname)


def _unreachable(host: str, zone: str, reason: str, views: tuple[AuthView, ...]) -> Finding:
    return Finding(
        code="dns.authoritative_failed",
        severity=Severity.UNKNOWN,
        title="authoritative servers did not answer",
        detail=f"Could not ask the name servers of {zone} about {host}: {reason}. Conflicts and "
        "propagation were not checked.",
        fix=f"Check that the NS records of {zone} name servers that answer for it "
        f"(dig +norecurse {host} @<ns>).",
        evidence=tuple(view.evidence for view in views),
    )


def _lame(zone: str, lame: tuple[AuthView, ...]) -> Finding:
    names = ", ".join(view.server for view in lame)
    return Finding(
        code="dns.lame_nameserver",
        severity=Severity.WARN,
        title=f"{len(lame)} of the name servers of {zone} "
        + ("does not answer" if len(lame) == 1 else "do not answer"),
        detail=f"{names} did not answer authoritatively: "
        + "; ".join(view.error for view in lame)
        + ". Resolvers that pick them time out, so some clicks fail or are slow.",
        fix=f"Fix or remove the lame servers from the NS records of {zone} (at the registrar too).",
        evidence=tuple(view.evidence for view in lame),
    )


def _conflicts(host: str, views: tuple[AuthView, ...]) -> tuple[Finding, ...]:
    clashing = tuple(view for view in views if view.cname and view.other)
    if not clashing:
        return ()
    view = clashing[0]
    return (
        Finding(
            code="dns.conflict",
            severity=Severity.FAIL,
            title="CNAME coexists with other records",
            detail=f"{view.server} holds CNAME {view.cname} and also {', '.join(view.other)} at {host}. "
            "A CNAME must be alone at its name: resolvers answer unpredictably.",
            fix=f"Delete {', '.join(view.other)} at {host}; keep only the CNAME to {view.cname}.",
            evidence=tuple(item.evidence for item in clashing),
        ),
    )


def _propagation(resolved: HostDns, views: tuple[AuthView, ...]) -> tuple[Finding, ...]:
    summaries = {view.summary() for view in views}
    if len(summaries) > 1:
        said = "; ".join(f"{view.server} says {view.summary()}" for view in views)
        return (
            Finding(
                code="dns.not_propagated",
                severity=Severity.WARN,
                title="authoritative servers disagree",
                detail=f"The name servers give different answers for {resolved.host}: {said}.",
                fix="Wait for the zone to reach every name server (compare SOA serials), or fix the "
                "provider that serves the stale copy.",
                evidence=tuple(view.evidence for view in views),
            ),
        )
    if resolved.status is DnsStatus.ERROR:
        return ()
    auth_cname = views[0].cname
    resolver_cname = resolved.chain[1] if resolved.has_cname else None
    if auth_cname == resolver_cname:
        return ()
    said = f"CNAME {resolver_cname}" if resolver_cname else "no CNAME"
    return (
        Finding(
            code="dns.not_propagated",
            severity=Severity.WARN,
            title="resolver still has the old answer",
            detail=f"The authoritative servers say {views[0].summary()} for {resolved.host}, the "
            f"resolver still says {said}; its cached answer expires in {resolved.ttl} s.",
            fix=f"Wait {resolved.ttl} s (the TTL left) and check again; nothing to change in DNS.",
            evidence=(*resolved.evidence, *(view.evidence for view in views)),
        ),
    )
