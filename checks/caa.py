"""CAA (RFC 8659): find the relevant RRset for a tracking host and tell whether the ESP's CA may issue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.context import CheckContext
from checks.dns import HostDns
from checks.dnsanswer import DnsStatus
from checks.model import Expectation, Finding, Severity, ok

KNOWN_TAGS = frozenset({"issue", "issuewild", "iodef", "contactemail", "contactphone"})


@dataclass(frozen=True, slots=True, kw_only=True)
class CaaRecord:
    """One parsed CAA record."""

    flags: int
    tag: str
    value: str

    @property
    def critical(self) -> bool:
        """Bit 0 (value 128): a CA must not issue if it does not understand the tag."""
        return bool(self.flags & 128)

    @property
    def issuer(self) -> str:
        """The issuer domain of an issue/issuewild value, lower case ('' forbids every CA)."""
        return self.value.split(";", 1)[0].strip().lower()

    @property
    def parameters(self) -> dict[str, str]:
        """RFC 8657 style parameters after the issuer (accounturi, validationmethods …)."""
        params: dict[str, str] = {}
        for part in self.value.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key:
                params[key.strip().lower()] = value.strip()
        return params

    def text(self) -> str:
        """The record as zone-file rdata."""
        return f'{self.flags} {self.tag} "{self.value}"'


@dataclass(frozen=True, slots=True, kw_only=True)
class RelevantCaa:
    """The RRset a CA consults, and the name that owns it (None when no CAA exists)."""

    owner: str | None
    records: tuple[CaaRecord, ...]
    via_alias: bool
    error: str = ""
    evidence: tuple[str, ...] = ()


def parse_caa(rdata: str) -> CaaRecord | None:
    """Parse ``0 issue "letsencrypt.org"``; None when it does not parse."""
    parts = rdata.split(None, 2)
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    value = parts[2].strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return CaaRecord(flags=int(parts[0]), tag=parts[1].lower(), value=value)


def find_relevant(resolved: HostDns, ctx: CheckContext) -> RelevantCaa:
    """RFC 8659 §3: CAA(host) chasing its aliases, then the host's own parents up to the TLD."""
    evidence: list[str] = []
    first = resolved.final if resolved.has_cname else resolved.host
    names = [first, *_parents(resolved.host)]
    ctx.resolver.prefetch((name, "CAA") for name in names)  # independent: asked at once
    for index, name in enumerate(names):
        answer = ctx.resolver.query(name, "CAA")
        evidence.append(answer.evidence())
        if answer.status is DnsStatus.ERROR:
            return RelevantCaa(
                owner=name,
                records=(),
                via_alias=False,
                error=answer.error,
                evidence=tuple(evidence),
            )
        if answer.status is DnsStatus.ANSWER:
            records = tuple(record for record in map(parse_caa, answer.records) if record)
            return RelevantCaa(
                owner=answer.final_name,
                records=records,
                via_alias=index == 0 and resolved.has_cname,
                evidence=tuple(evidence),
            )
    return RelevantCaa(owner=None, records=(), via_alias=False, evidence=tuple(evidence))


def _parents(host: str) -> list[str]:
    labels = host.split(".")
    return [".".join(labels[index:]) for index in range(1, len(labels))]


def blocking_reason(records: Sequence[CaaRecord], cas: Sequence[str]) -> str | None:
    """Why `records` stop every CA in `cas` from issuing a (non-wildcard) certificate, or None."""
    for record in records:
        if record.critical and record.tag not in KNOWN_TAGS:
            return f"critical unknown property {record.tag!r} forbids every CA"
    issue = [record for record in records if record.tag == "issue"]
    if not issue:
        return None
    allowed = {record.issuer for record in issue if record.issuer}
    if not allowed:
        return 'issue ";" forbids every CA'
    if any(ca in allowed for ca in cas):
        return None
    return f"only {', '.join(sorted(allowed))} may issue"


def check_caa(
    resolved: HostDns, expectation: Expectation, ctx: CheckContext, zone: str | None = None
) -> tuple[tuple[Finding, ...], RelevantCaa]:
    """The CAA finding for the host, and the RRset it rests on."""
    relevant = find_relevant(resolved, ctx)
    if relevant.error:
        return (
            Finding(
                code="caa.lookup_failed",
                severity=Severity.UNKNOWN,
                title="CAA lookup failed: cannot tell",
                detail=f"The CAA query for {relevant.owner} failed: {relevant.error}. CAs also refuse to "
                "issue when their own CAA lookup fails (often DNSSEC trouble).",
                fix=f"Make sure the name servers answer CAA queries for {relevant.owner} with NOERROR.",
                evidence=relevant.evidence,
            ),
        ), relevant
    if relevant.owner is None or not relevant.records:
        return (
            ok("caa.ok", "no CAA records: any CA may issue", evidence=relevant.evidence),
        ), relevant
    rdata = ", ".join(record.text() for record in relevant.records)
    if not expectation.cas:
        return (
            ok(
                "caa.ok",
                f"CAA at {relevant.owner}",
                detail=f"{rdata}; the ESP's CA is not published, so this could not be compared.",
                evidence=relevant.evidence,
            ),
        ), relevant
    reason = blocking_reason(relevant.records, expectation.cas)
    if reason is None:
        return (
            ok(
                "caa.ok",
                f"CAA at {relevant.owner} allows {_allowed_ca(relevant, expectation)}",
                detail=rdata,
                evidence=relevant.evidence,
            ),
        ), relevant
    return (_blocks(resolved, expectation, relevant, reason, zone),), relevant


def _allowed_ca(relevant: RelevantCaa, expectation: Expectation) -> str:
    issuers = {record.issuer for record in relevant.records if record.tag == "issue"}
    matching = [ca for ca in expectation.cas if ca in issuers]
    return matching[0] if matching else "the ESP's CA"


def _blocks(
    resolved: HostDns,
    expectation: Expectation,
    relevant: RelevantCaa,
    reason: str,
    zone: str | None,
) -> Finding:
    owner = relevant.owner or resolved.host
    ca = expectation.cas[0]
    label = expectation.esp_label or "the ESP"
    if relevant.via_alias:
        where = f"The CAA RRset at {owner}, the CNAME target that {label} controls"
        fix = f"Ask {label} to allow {ca} on {owner}; the brand's DNS cannot override it."
    else:
        zone_name = zone if zone and (owner == zone or owner.endswith("." + zone)) else owner
        where = f"The CAA RRset at {owner}" + (f" (zone {zone_name})" if zone_name != owner else "")
        fix = (
            f"In the zone {zone_name}, add (keeping the existing records): "
            f'{owner}. IN CAA 0 issue "{ca}"'
        )
    certain = expectation.cas_certain
    return Finding(
        code="caa.blocks_issuer",
        severity=Severity.FAIL if certain else Severity.WARN,
        title=f"CAA blocks {ca}" if certain else f"CAA may block {label}'s CA",
        detail=f"{where} says {reason}. {label} gets its certificates from "
        f"{' or '.join(expectation.cas)}"
        + ("" if certain else " (not confirmed by the ESP)")
        + f", so HTTPS for {resolved.host} cannot be issued or renewed.",
        fix=fix,
        evidence=relevant.evidence,
    )
