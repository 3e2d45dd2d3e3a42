"""The immutable values every check produces and consumes: severities, findings, expectations."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from checks.printable import printable, printable_all, printable_lines


class Severity(enum.Enum):
    """How bad a finding is; `rank` orders them worst first (fail, unknown, warn, info, ok)."""

    FAIL = "fail"
    UNKNOWN = "unknown"
    WARN = "warn"
    INFO = "info"
    OK = "ok"

    @property
    def rank(self) -> int:
        """0 for the worst severity, 4 for `ok`."""
        return _RANK[self]

    @classmethod
    def worst(cls, severities: Iterable[Severity]) -> Severity:
        """The worst of `severities`, or `ok` when there are none."""
        return min(severities, key=lambda severity: severity.rank, default=cls.OK)


_RANK = {
    Severity.FAIL: 0,
    Severity.UNKNOWN: 1,
    Severity.WARN: 2,
    Severity.INFO: 3,
    Severity.OK: 4,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One thing a check found out, with the exact fix and the raw answers it rests on."""

    code: str
    severity: Severity
    title: str
    detail: str = ""
    fix: str = ""
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Escape control characters: titles, details, fixes and evidence quote DNS answers,
        certificates, pages and messages, and must never drive a terminal."""
        object.__setattr__(self, "title", printable(self.title))
        object.__setattr__(self, "detail", printable_lines(self.detail))
        object.__setattr__(self, "fix", printable_lines(self.fix))
        object.__setattr__(self, "evidence", printable_all(self.evidence))

    def as_json(self) -> dict[str, object]:
        """The finding in the versioned JSON shape of `trackdeck check --json`."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "evidence": list(self.evidence),
        }


class ProxyPolicy(enum.Enum):
    """Whether the ESP's HTTPS tolerates a proxy/CDN (Cloudflare) in front of the tracking CNAME."""

    FORBIDDEN = "forbidden"
    ALLOWED = "allowed"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectation:
    """What a tracking host should look like, built from the ESP's facts and, where known, its API.

    `targets` are exact names the CNAME chain must reach; `target_suffixes` are accepted endings
    (``.awstrack.me``) for ESPs whose target varies per account or region.
    """

    esp: str | None = None
    esp_label: str = ""
    targets: tuple[str, ...] = ()
    target_suffixes: tuple[str, ...] = ()
    cas: tuple[str, ...] = ()
    cas_certain: bool = True
    proxy_policy: ProxyPolicy = ProxyPolicy.ALLOWED
    https_expected: bool = True
    https_note: str = ""
    target_source: str = ""

    @property
    def knows_target(self) -> bool:
        """Whether there is anything to compare the CNAME chain with."""
        return bool(self.targets or self.target_suffixes)

    def accepts_target(self, name: str) -> bool:
        """Whether `name` (lower case, no trailing dot) is a target this expectation accepts."""
        name = name.rstrip(".").lower()
        if name in self.targets:
            return True
        return any(
            name == suffix.lstrip(".") or name.endswith(suffix) for suffix in self.target_suffixes
        )

    def describe_targets(self) -> str:
        """The accepted targets in words, for fixes and details."""
        names = list(self.targets) + [f"*{suffix}" for suffix in self.target_suffixes]
        return " or ".join(names) if names else "the target your ESP gives you"


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Plain observations behind the findings, shown in detail views (not part of the verdict)."""

    cname_chain: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    caa_owner: str | None = None
    caa_records: tuple[str, ...] = ()
    tls_issuer: str | None = None
    tls_sans: tuple[str, ...] = ()
    tls_not_after: str | None = None
    tls_days_left: int | None = None
    tls_serial: str | None = None
    http_status: int | None = None
    blocklist_answers: tuple[str, ...] = ()
    blocklist_verdicts: tuple[tuple[str, str], ...] = ()
    """(list name, `listed` / `clean` / `not_tested`) for each URI blocklist asked."""

    def __post_init__(self) -> None:
        """Escape control characters in every observation (they come from DNS, TLS and HTTP)."""
        for name in ("cname_chain", "addresses", "caa_records", "tls_sans", "blocklist_answers"):
            object.__setattr__(self, name, printable_all(getattr(self, name)))
        for name in ("caa_owner", "tls_issuer", "tls_not_after"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, printable(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class HostReport:
    """Everything one host's checks found: the findings and the facts they rest on."""

    host: str
    expectation: Expectation
    findings: tuple[Finding, ...]
    facts: Facts
    key: str = ""

    @property
    def health(self) -> Severity:
        """A host is as healthy as its worst finding."""
        return Severity.worst(finding.severity for finding in self.findings)

    def codes(self) -> tuple[str, ...]:
        """The finding codes, for filters and tests."""
        return tuple(finding.code for finding in self.findings)


def ok(code: str, title: str, detail: str = "", evidence: tuple[str, ...] = ()) -> Finding:
    """A passing check, kept so reports show what was verified and not only what failed."""
    return Finding(code=code, severity=Severity.OK, title=title, detail=detail, evidence=evidence)
