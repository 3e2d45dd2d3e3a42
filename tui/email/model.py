"""The values of an email audit: each host's role, each URL as a classified link, one row per host
with its checks, how the message uses tracking, and the audit as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from checks.model import Expectation, Finding, HostReport, Severity
from checks.printable import printable
from tui.email.html import FoundUrl
from tui.email.parse import ParsedMessage

TRACKING: Final = "tracking"
SHARED: Final = "shared_tracking"
SHORTENER: Final = "shortener"
IP_LITERAL: Final = "ip_literal"
IMAGE: Final = "image"
DESTINATION: Final = "destination"
ROLES: Final = (TRACKING, SHARED, SHORTENER, IP_LITERAL, IMAGE, DESTINATION)
"""Every role a host can have, in the order the domain table lists them."""
TRACKED_ROLES: Final = frozenset({TRACKING, SHARED})
ROLE_WORDS: Final = {
    TRACKING: "branded tracking",
    SHARED: "shared tracking",
    SHORTENER: "URL shortener",
    IP_LITERAL: "IP address",
    IMAGE: "image/CDN",
    DESTINATION: "destination",
}
"""Each role in words, for tables and evidence."""
DEFAULT_MAX_DOMAINS: Final = 10
LIST_VERDICTS: Final = (
    ("blocklist.listed", "listed"),
    ("blocklist.not_tested", "not_tested"),
    ("blocklist.clean", "clean"),
)
"""A host's blocklist verdict: the first of these codes among its findings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRole:
    """What one host of the message is, and (for a custom tracking host) whose it is."""

    host: str
    role: str
    esp: str | None = None
    esp_label: str = ""
    brand: str = ""
    account: str = ""
    fleet_key: str = ""
    expectation: Expectation | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One URL of the message with its host's role and, for a tracking URL, its destination."""

    found: FoundUrl
    role: str
    esp: str | None = None
    kind: str = ""
    destination: str | None = None
    decoding: str = ""

    def __post_init__(self) -> None:
        """Escape control characters: a decoded destination may hold any byte (``%1b``)."""
        if self.destination is not None:
            object.__setattr__(self, "destination", printable(self.destination))
        object.__setattr__(self, "decoding", printable(self.decoding))

    @property
    def is_click(self) -> bool:
        """A link the reader clicks (an HTML href or a URL in the text part), not an image."""
        return self.found.source in ("href", "text") and self.found.scheme != "mailto"

    @property
    def is_pixel(self) -> bool:
        """The open-tracking pixel: a hidden or 1×1 image, or an ESP's open-tracking URL."""
        return self.found.pixel or self.kind == "open"


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainRow:
    """One host of the message: its role, how often it appears, and what the checks found."""

    host: str
    registered_domain: str | None
    role: HostRole
    urls: int
    behind: int
    sources: tuple[str, ...]
    aligned: bool | None
    findings: tuple[Finding, ...] = ()
    report: HostReport | None = None

    @property
    def health(self) -> Severity:
        """As healthy as its worst finding (ok when the lists were not asked)."""
        return Severity.worst(finding.severity for finding in self.findings)

    @property
    def lists(self) -> str:
        """``listed``, ``not_tested``, ``clean`` or ``not_checked`` (lists off, or a crash)."""
        found = {finding.code for finding in self.findings}
        for code, verdict in LIST_VERDICTS:
            if code in found:
                return verdict
        return "not_checked"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingUse:
    """Which tracking hosts the message uses: ``branded``, ``shared``, ``mixed`` or ``none``."""

    verdict: str
    branded: tuple[str, ...]
    shared: tuple[str, ...]
    tracked: int
    clicks: int
    untracked: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailAudit:
    """Everything one message's audit found."""

    source: str
    message: ParsedMessage
    org_domains: tuple[str, ...]
    links: tuple[Link, ...]
    domains: tuple[DomainRow, ...]
    tracking: TrackingUse
    findings: tuple[Finding, ...]
    max_domains: int = DEFAULT_MAX_DOMAINS

    def __post_init__(self) -> None:
        """Escape control characters in the name of the file (it may come from an attachment)."""
        object.__setattr__(self, "source", printable(self.source))

    @property
    def health(self) -> Severity:
        """The worst finding of the message and of every domain in it."""
        every = [f.severity for f in self.findings]
        every += [f.severity for row in self.domains for f in row.findings]
        return Severity.worst(every)
