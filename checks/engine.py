"""Run every check for many hosts on a bounded pool of threads, streaming one report per host."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from checks.authoritative import AuthCheck, check_authoritative
from checks.blocklist_queries import list_queries
from checks.blocklists import check_blocklists
from checks.caa import check_caa
from checks.context import CheckContext
from checks.dns import HostDns, evaluate_dns, questions_ahead, resolve_host
from checks.dnsanswer import DnsStatus
from checks.http import check_http
from checks.model import Expectation, Facts, Finding, HostReport, Severity
from checks.psl import registered_domain
from checks.resolver_down import resolver_down_findings
from checks.tls import check_tls

LOG = logging.getLogger("trackdeck.checks")

Guesser = Callable[["Target", tuple[str, ...]], Expectation]
"""Builds a target's expectation from its CNAME chain when the caller has none (ESP guess)."""

PREFETCH_WINDOW = 256
"""Independent questions in flight at once while a scan runs (pydnsbl, a DNSBL checker, keeps 200)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A host to check, with what it should look like when the caller knows (inventory, --esp)."""

    host: str
    expectation: Expectation | None = None
    key: str = ""

    @property
    def report_key(self) -> str:
        """The key its report carries: `key` when given (one host under two accounts), else the host."""
        return self.key or self.host


def _no_guess(_target: Target, _chain: tuple[str, ...]) -> Expectation:
    return Expectation()


def check_host(target: Target, ctx: CheckContext, guess: Guesser = _no_guess) -> HostReport:
    """Every check for one host; never raises for network conditions. It waits at most
    HOST_DNS_TIMEOUTS timeouts in all for DNS answers that never come (`CheckContext.for_host`);
    questions that need no answer before them are asked at once."""
    laps = Laps()
    ctx = ctx.for_host()
    ahead = questions_ahead(target.host, zones=ctx.check_authoritative)
    ctx.resolver.prefetch(ahead, window=len(ahead), stop=ctx.cancelled.is_set)
    resolved = resolve_host(target.host, ctx)
    laps.lap("dns")
    expectation = target.expectation or guess(target, resolved.chain)
    findings: list[Finding] = list(evaluate_dns(resolved, expectation))
    facts = Facts(cname_chain=resolved.chain, addresses=resolved.addresses)
    zone = None
    if ctx.check_authoritative and not ctx.cancelled.is_set():
        auth = check_authoritative(resolved, ctx)
        zone = auth.zone
        findings = reconcile(findings, auth, expectation)
        laps.lap("authoritative")
    if resolved.status is not DnsStatus.ERROR and not ctx.cancelled.is_set():
        caa_findings, relevant = check_caa(resolved, expectation, ctx, zone)
        findings.extend(caa_findings)
        facts = dataclasses.replace(
            facts,
            caa_owner=relevant.owner,
            caa_records=tuple(record.text() for record in relevant.records),
        )
        laps.lap("caa")
    if not ctx.cancelled.is_set():
        web_findings, facts = _web_checks(resolved, expectation, ctx, facts)
        findings.extend(web_findings)
        laps.lap("tls+http")
    if not ctx.cancelled.is_set():
        list_findings, verdicts = check_blocklists(target.host, ctx)
        findings.extend(list_findings)
        facts = dataclasses.replace(
            facts,
            blocklist_answers=tuple(
                f"{verdict.list_name}: {verdict.status} {verdict.meaning}".strip()
                for verdict in verdicts
            ),
            blocklist_verdicts=tuple((verdict.list_name, verdict.status) for verdict in verdicts),
        )
        laps.lap("blocklists")
    failed = resolved.status is DnsStatus.ERROR and ctx.resolver.deadline is not None
    until = ctx.resolver.deadline.ends() if failed and ctx.resolver.deadline is not None else None
    said = resolver_down_findings(ctx, settle_until=until)  # the cause first: its fix is copied
    report = HostReport(
        host=target.host,
        key=target.report_key,
        expectation=expectation,
        findings=(*said, *findings),
        facts=facts,
    )
    if LOG.isEnabledFor(logging.DEBUG):
        LOG.debug("%s: %s in %s", target.host, report.health.value, laps)
    return report


class Laps:
    """How long each stage of one host's checks took, for `--debug`."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.times: list[tuple[str, float]] = []

    def lap(self, stage: str) -> None:
        """The stage that just ended."""
        now = time.perf_counter()
        self.times.append((stage, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{stage} {seconds * 1000:.0f} ms" for stage, seconds in self.times)


def reconcile(findings: list[Finding], auth: AuthCheck, expectation: Expectation) -> list[Finding]:
    """Add the authoritative findings; a wrong CNAME that the name servers already hold correctly is
    not a mistake to fix but a change on its way (the not-propagated finding says how long)."""
    fixed_upstream = auth.cname is not None and expectation.accepts_target(auth.cname)
    kept = [
        finding
        for finding in findings
        if not (fixed_upstream and finding.code == "dns.cname_mismatch")
    ]
    return kept + list(auth.findings)


def _web_checks(
    resolved: HostDns, expectation: Expectation, ctx: CheckContext, facts: Facts
) -> tuple[list[Finding], Facts]:
    """TLS on every address, then one HTTPS request on the first address that speaks TLS."""
    if not resolved.addresses:
        return [], facts
    tls_findings, probes = check_tls(resolved.host, resolved.addresses, ctx)
    findings = list(tls_findings)
    with_cert = [probe for probe in probes if probe.certificate is not None]
    if with_cert:
        cert = with_cert[0].certificate
        assert cert is not None
        days = (cert.not_after - ctx.clock()).days
        facts = dataclasses.replace(
            facts,
            tls_issuer=cert.issuer,
            tls_sans=cert.sans,
            tls_not_after=cert.not_after.isoformat(),
            tls_days_left=days,
            tls_serial=cert.serial,
        )
        http_findings, probe = check_http(resolved.host, with_cert[0].address, ctx)
        findings.extend(http_findings)
        facts = dataclasses.replace(facts, http_status=probe.status)
    if not expectation.https_expected:
        findings = [_soften(finding, expectation) for finding in findings]
    return findings, facts


def _soften(finding: Finding, expectation: Expectation) -> Finding:
    """HTTPS problems are informational for ESPs that do not offer HTTPS on custom domains."""
    if finding.severity not in (Severity.FAIL, Severity.WARN):
        return finding
    note = expectation.https_note or "HTTPS is not expected for this ESP."
    return dataclasses.replace(
        finding,
        severity=Severity.INFO,
        detail=f"{finding.detail} ({note})",
        fix="Nothing to do unless the ESP starts offering HTTPS for custom tracking domains.",
    )


class Scan:
    """A cancellable fleet scan: `run()` yields reports as hosts finish, at most `concurrency` at once."""

    def __init__(
        self,
        targets: Sequence[Target],
        ctx: CheckContext,
        *,
        concurrency: int = 32,
        guess: Guesser = _no_guess,
    ) -> None:
        self.targets = tuple(targets)
        self.ctx = ctx.for_new_scan()
        self.concurrency = max(1, concurrency)
        self.guess = guess
        self._targets: dict[Future[HostReport], Target] = {}

    def cancel(self) -> None:
        """Stop starting new hosts; hosts in flight stop at their next step."""
        self.ctx.cancelled.set()

    @property
    def cancelled(self) -> bool:
        """Whether `cancel()` was called."""
        return self.ctx.cancelled.is_set()

    def run(self) -> Iterator[HostReport]:
        """Yield one report per host in completion order, keeping at most `concurrency` in flight;
        the blocklist questions of every host are asked meanwhile, `PREFETCH_WINDOW` at a time."""
        order = interleaved(self.targets)
        pending_targets = iter(order)
        finished = threading.Event()
        prefetch = threading.Thread(
            target=self._prefetch, args=(order, finished), name="trackdeck-prefetch", daemon=True
        )
        prefetch.start()
        try:
            with ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="trackdeck-scan"
            ) as pool:
                running: set[Future[HostReport]] = set()
                self._fill(pool, running, pending_targets)
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    if not self.cancelled:
                        self._fill(pool, running, pending_targets)
                    reports = [self._report(future) for future in done]
                    if not running and not self.cancelled:
                        reports[-1] = self._with_last_verdicts(reports[-1])
                    yield from reports
        finally:
            finished.set()
            prefetch.join()

    def _with_last_verdicts(self, report: HostReport) -> HostReport:
        """The scan's last report, with any resolver verdict still being decided (a canary out)
        waited for and said: a scan that fell back to another resolver says why, once."""
        until = time.monotonic() + self.ctx.resolver.timeout
        extra = resolver_down_findings(self.ctx, settle_until=until)
        return dataclasses.replace(report, findings=extra + report.findings) if extra else report

    def _prefetch(self, order: Sequence[Target], finished: threading.Event) -> None:
        """Ask the questions that depend on no answer ahead of the hosts, many at once: each
        host's A (its CNAME chain) in scan order, then every list question."""

        def stop() -> bool:
            return finished.is_set() or self.cancelled

        hosts = tuple(dict.fromkeys(target.host for target in order))
        resolver = self.ctx.resolver
        resolver.prefetch(((host, "A") for host in hosts), window=PREFETCH_WINDOW, stop=stop)
        names = list_queries(hosts, self.ctx.blocklists)
        self.ctx.blocklist_resolver.prefetch(
            ((name, "A") for name in names), window=PREFETCH_WINDOW, stop=stop
        )

    def _report(self, future: Future[HostReport]) -> HostReport:
        """The host's report; a bug in one host's checks must not end the fleet scan, so it becomes
        an `unknown` finding naming the error (the one place the engine catches everything)."""
        target = self._targets.pop(future)
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 - see docstring
            return crashed_report(target, error)

    def _fill(
        self, pool: ThreadPoolExecutor, running: set[Future[HostReport]], pending: Iterator[Target]
    ) -> None:
        while len(running) < self.concurrency * 2:
            target = next(pending, None)
            if target is None:
                return
            future = pool.submit(check_host, target, self.ctx, self.guess)
            self._targets[future] = target
            running.add(future)


def interleaved(targets: Sequence[Target]) -> tuple[Target, ...]:
    """The targets taken round-robin across registered domains, each domain's in their order.

    Hosts of one zone wait on the same shared questions (SOA, NS, CAA, list lookups of the domain),
    so a fleet listed brand by brand would otherwise be scanned about one zone at a time."""
    groups: dict[str, list[Target]] = {}
    for target in targets:
        groups.setdefault(registered_domain(target.host) or target.host, []).append(target)
    rounds = itertools.zip_longest(*groups.values())
    return tuple(target for row in rounds for target in row if target is not None)


def crashed_report(target: Target, error: BaseException) -> HostReport:
    """The report of a host whose checks raised: unknown, naming the error."""
    finding = Finding(
        code="check.crashed",
        severity=Severity.UNKNOWN,
        title="internal error while checking this host",
        detail=f"{type(error).__name__}: {error}",
        fix="Report this as a trackdeck bug with the output of `trackdeck check HOST --json`.",
    )
    return HostReport(
        host=target.host,
        key=target.report_key,
        expectation=target.expectation or Expectation(),
        facts=Facts(),
        findings=(finding,),
    )


def scan(
    targets: Iterable[Target],
    ctx: CheckContext,
    *,
    concurrency: int = 32,
    guess: Guesser = _no_guess,
) -> list[HostReport]:
    """Scan every target and return the reports in the targets' order."""
    target_list = list(targets)
    order = {target.report_key: index for index, target in enumerate(target_list)}
    reports = list(Scan(target_list, ctx, concurrency=concurrency, guess=guess).run())
    return sorted(reports, key=lambda report: order.get(report.key, 0))
