"""URI blocklist checks (Spamhaus DBL, SURBL, URIBL): decode every answer code and trust an NXDOMAIN
only when the list's test point answers as listed through the same resolver in the same scan."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Final, TypeVar

from checks.blocklist_codes import CLEAN, LISTED, NOT_TESTED, REDIRECT_ABUSE, is_loopback
from checks.blocklist_queries import (
    UNCONFIRMED_CANARY_TEST_POINTS,
    ListSpec,
    list_specs,
    query_label,
)
from checks.context import CheckContext
from checks.dnsanswer import DnsResult, DnsStatus
from checks.model import Finding, Severity, ok
from checks.names import normalize
from checks.psl import is_ip_literal

_Item = TypeVar("_Item", Finding, "ListVerdict")

_REDIRECT_ABUSE_DETAIL: Final = (
    "This is the tracking/redirect domain itself being abused: spammers send links through it to "
    "hide their destination (a compromised ESP account or API key, or an open redirect)."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListVerdict:
    """One list's answer for one host: listed, clean (canary passed) or not tested, and why."""

    list_name: str
    queried: str
    status: str
    answers: tuple[str, ...] = ()
    meaning: str = ""
    reason: str = ""


def check_blocklists(
    host: str, ctx: CheckContext
) -> tuple[tuple[Finding, ...], tuple[ListVerdict, ...]]:
    """Ask each URI blocklist about `host` and explain the answers as findings."""
    settings = ctx.blocklists
    if not settings.enabled:
        return (), ()
    name = normalize(host)
    outcomes: list[_Outcome] = []
    for spec in list_specs(settings):
        label = query_label(spec, name)
        if label is not None:
            outcomes.append(_ask(spec, label, _subject(spec, name, label), ctx))
        elif spec.key != "dbl":
            outcomes.append(_unregistrable(spec, name))
    verdicts = tuple(outcome.verdict for outcome in outcomes)
    return _redact(_findings(outcomes), verdicts, settings.dqs_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    """A verdict with what its finding needs: what was judged, the evidence and the fix."""

    spec: ListSpec
    subject: str
    verdict: ListVerdict
    evidence: tuple[str, ...] = ()
    fix: str = ""


def _subject(spec: ListSpec, host: str, label: str) -> str:
    """What the list judges, in words: the host, its registered domain, or an address."""
    if is_ip_literal(host):
        return f"the address {host}"
    return host if spec.key == "dbl" else f"the registered domain {label}"


def _ask(spec: ListSpec, label: str, subject: str, ctx: CheckContext) -> _Outcome:
    """Query the list and its canary (the scan's answer cache makes repeated canaries free)."""
    result = ctx.blocklist_resolver.query(f"{label}.{spec.zone}", "A")
    canary_point = UNCONFIRMED_CANARY_TEST_POINTS[spec.key]
    canary = ctx.blocklist_resolver.query(f"{canary_point}.{spec.zone}", "A")
    return _judge(spec, f"{label}.{spec.shown_zone}", subject, result, canary)


def _judge(
    spec: ListSpec, queried: str, subject: str, result: DnsResult, canary: DnsResult
) -> _Outcome:
    """Turn the list's answer and its canary's answer into an outcome."""
    status, meaning, reason = _classify(spec, queried, result, canary)
    evidence = [f"{spec.name} (zone {spec.shown_zone})", result.evidence()]
    if result.status is DnsStatus.ANSWER:
        evidence.append(f"decoded: {meaning}")
    evidence.append(_test_point_evidence(canary))
    verdict = ListVerdict(
        list_name=spec.name,
        queried=queried,
        status=status,
        answers=result.records,
        meaning=meaning,
        reason=reason,
    )
    fix = ""  # a clean list needs no fix (and wording one costs more than judging the answer)
    if status != CLEAN:
        fix = _listed_fix(spec) if status == LISTED else _resolver_fix(spec, result, canary)
    return _Outcome(spec=spec, subject=subject, verdict=verdict, evidence=tuple(evidence), fix=fix)


def _classify(
    spec: ListSpec, queried: str, result: DnsResult, canary: DnsResult
) -> tuple[str, str, str]:
    """(status, meaning, reason): a listing code wins; an NXDOMAIN counts only with a canary."""
    if result.status is DnsStatus.ANSWER:
        decoded = [spec.decode(address) for address in result.records]
        listed = [text for verdict, text in decoded if verdict == LISTED]
        meaning = "; ".join(listed or dict.fromkeys(text for _, text in decoded))
        reason = f"{queried} answered {', '.join(result.records)}: {meaning}"
        return (LISTED if listed else NOT_TESTED), meaning, reason
    if result.status is DnsStatus.NODATA:
        reason = f"{queried} answered NOERROR without an A record, which no list answers"
        return NOT_TESTED, "NOERROR without an A record", reason
    if result.status is DnsStatus.ERROR:
        meaning = "resolver down" if "dns.resolver_down" in result.error else "lookup failed"
        return NOT_TESTED, meaning, f"the lookup of {queried} failed: {result.error}"
    problem = _canary_problem(spec, canary)
    if problem:
        reason = f"{queried} answered NXDOMAIN, but {problem}, so that NXDOMAIN proves nothing"
        return NOT_TESTED, "test point failed", reason
    reason = f"{queried} answered NXDOMAIN and the list's test point answered as listed"
    return CLEAN, "not listed", reason


@functools.lru_cache(maxsize=64)
def _test_point_evidence(canary: DnsResult) -> str:
    """Every host of a scan shares its list's test-point answer: worded once."""
    return f"test point: {canary.evidence()}"


@functools.lru_cache(maxsize=64)
def _canary_problem(spec: ListSpec, canary: DnsResult) -> str:
    """Why the list's test point did not answer as listed, or "" when it did (judged once per
    answer: every host of a scan shares its list's test point)."""
    point = UNCONFIRMED_CANARY_TEST_POINTS[spec.key]
    if canary.status is DnsStatus.ANSWER:
        decoded = [spec.decode(address) for address in canary.records]
        if any(verdict == LISTED for verdict, _ in decoded):
            return ""
        meanings = "; ".join(dict.fromkeys(text for _, text in decoded))
        return f"the test point {point} answered {', '.join(canary.records)} ({meanings})"
    if canary.status is DnsStatus.NXDOMAIN:
        return (
            f"the test point {point} answered NXDOMAIN: the resolver is silently blocked "
            "(Google Public DNS gets NXDOMAIN from Spamhaus) or the list is unreachable"
        )
    if canary.status is DnsStatus.NODATA:
        return f"the test point {point} answered NOERROR without an A record"
    return f"the test point {point} lookup failed: {canary.error}"


def _listed_fix(spec: ListSpec) -> str:
    return (
        "Find and stop the abuse first (a compromised ESP account or API key, an open redirect, "
        f"a sender misusing the domain), then request delisting: {spec.removal}."
    )


_SPAMHAUS_FIXES: Final = {
    "127.255.255.254": "The resolver {server} is a public/open resolver that Spamhaus refuses "
    "(https://www.spamhaus.org/returnc/pub/): {then}.",
    "127.255.255.255": "Spamhaus refuses {server} for excessive query volume "
    "(https://www.spamhaus.org/returnc/vol/): {then}.",
    "127.255.255.250": "Spamhaus rejected the DQS key: check it in your Spamhaus account.",
    "127.255.255.251": "Spamhaus rejected the DQS key: check it in your Spamhaus account.",
    "127.255.255.252": "The DBL zone {zone} is misspelled: use dbl.spamhaus.org or a DQS key.",
}


def _resolver_fix(spec: ListSpec, result: DnsResult, canary: DnsResult) -> str:
    """The fix for an untested list, most specific first (refusal codes, rewriting, failures)."""
    seen = set(result.records) | set(canary.records)
    errored = DnsStatus.ERROR in (result.status, canary.status)
    server = result.server or canary.server or "the blocklist resolver"
    then = spec.resolver_fix
    if any("dns.resolver_down" in answer.error for answer in (result, canary)):
        return "Give a blocklist resolver that answers (the fix of dns.resolver_down), then retry."
    return _fix_template(spec, seen, errored).format(
        server=server,
        then=then,
        zone=spec.shown_zone,
        name=spec.name,
        Then=then[0].upper() + then[1:],
    )


def _fix_template(spec: ListSpec, seen: set[str], errored: bool) -> str:
    if spec.key == "dbl":
        for address, template in _SPAMHAUS_FIXES.items():
            if address in seen:
                return template
    if not all(is_loopback(address) for address in seen):
        return "The resolver {server} rewrites answers outside 127.0.0.0/8: {then}."
    if spec.key != "dbl" and "127.0.0.1" in seen:
        return "{name} refused queries from {server}: {then}."
    if errored and spec.shown_zone.startswith("<key>"):
        return (
            "Check that {server} answers and that the DQS key's service is on (when it is off, "
            "Spamhaus refuses and resolvers answer SERVFAIL), then retry."
        )
    if errored:
        return "Check that {server} answers (SERVFAIL or timeout), then retry; otherwise {then}."
    return "{Then}."


def _unregistrable(spec: ListSpec, host: str) -> _Outcome:
    """A list that was not asked because `host` has no registered domain it could list."""
    verdict = ListVerdict(
        list_name=spec.name,
        queried="",
        status=NOT_TESTED,
        meaning="not a registrable domain",
        reason=f"{host} is not a registrable domain; {spec.name} lists registered domains only",
    )
    fix = f"Check the registered domain your links use instead: {spec.name} cannot list {host}."
    return _Outcome(spec=spec, subject=host, verdict=verdict, fix=fix)


def _problem_finding(outcome: _Outcome) -> Finding:
    """The FAIL finding of a listing, or the UNKNOWN finding of an untested list."""
    spec, verdict = outcome.spec, outcome.verdict
    if verdict.status != LISTED:
        return Finding(
            code="blocklist.not_tested",
            severity=Severity.UNKNOWN,
            title=f"{spec.name} not tested: {verdict.meaning}",
            detail=f"{spec.name}: {verdict.reason}. An untested list is not a clean list.",
            fix=outcome.fix,
            evidence=outcome.evidence,
        )
    detail = (
        f"{spec.name} lists {outcome.subject} ({verdict.meaning}); every link on it is affected."
    )
    if any(text in verdict.meaning for text in REDIRECT_ABUSE):
        detail += " " + _REDIRECT_ABUSE_DETAIL
    return Finding(
        code="blocklist.listed",
        severity=Severity.FAIL,
        title=f"Listed on {spec.name}: {verdict.meaning}",
        detail=detail,
        fix=outcome.fix,
        evidence=outcome.evidence,
    )


def _findings(outcomes: list[_Outcome]) -> tuple[Finding, ...]:
    """One finding per listed or untested list, and one OK finding naming the lists really clean."""
    findings = [_problem_finding(item) for item in outcomes if item.verdict.status != CLEAN]
    clean = [item for item in outcomes if item.verdict.status == CLEAN]
    if clean:
        names = ", ".join(item.spec.name for item in clean)
        detail = (
            "Each list answered NXDOMAIN and its test point answered as listed through the "
            "same resolver, so the answers can be trusted."
        )
        evidence = tuple(line for item in clean for line in item.evidence)
        findings.append(ok("blocklist.clean", f"Not listed on {names}", detail, evidence))
    return tuple(findings)


def _redact(
    findings: tuple[Finding, ...], verdicts: tuple[ListVerdict, ...], secret: str | None
) -> tuple[tuple[Finding, ...], tuple[ListVerdict, ...]]:
    """Replace the DQS key with ``<key>`` in every text that leaves this module."""
    if not secret:
        return findings, verdicts
    pattern = re.compile(re.escape(secret), re.IGNORECASE)
    return (
        tuple(_scrubbed(finding, pattern) for finding in findings),
        tuple(_scrubbed(verdict, pattern) for verdict in verdicts),
    )


def _scrubbed(item: _Item, pattern: re.Pattern[str]) -> _Item:
    """A copy of `item` with `pattern` masked in every text field and text tuple."""
    changes: dict[str, Any] = {}
    for field in fields(item):
        value = getattr(item, field.name)
        if isinstance(value, str):
            changes[field.name] = pattern.sub("<key>", value)
        elif isinstance(value, tuple):
            changes[field.name] = tuple(pattern.sub("<key>", str(text)) for text in value)
    return replace(item, **changes)
