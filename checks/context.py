"""Everything a check needs from the outside world, injected so tests and the demo run offline."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checks.dnsclient import DnsClient
    from checks.dnshealth import ResolverHealth

HOST_DNS_TIMEOUTS = 3
"""A host's DNS questions all end within this many timeouts of its start, however many time out."""

Dialer = Callable[[str, int, float], socket.socket]
"""Opens a TCP connection to (address, port) within a timeout; the test seam for TLS and HTTP."""

WallClock = Callable[[], dt.datetime]


def direct_dialer(address: str, port: int, timeout: float) -> socket.socket:
    """Connect to the real address (the production dialer)."""
    return socket.create_connection((address, port), timeout=timeout)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware (the production clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class BlocklistSettings:
    """Which URI blocklists to ask and how; zones are overridable for DQS and for tests."""

    enabled: bool = True
    dqs_key: str | None = None
    dbl_zone: str = "dbl.spamhaus.org"
    surbl_zone: str = "multi.surbl.org"
    uribl_zone: str = "multi.uribl.com"

    @property
    def effective_dbl_zone(self) -> str:
        """The DBL zone to query: the DQS zone when a key is set, else the public mirror."""
        if self.dqs_key:
            return f"{self.dqs_key}.dbl.dq.spamhaus.net"
        return self.dbl_zone

    def __repr__(self) -> str:
        key = "set" if self.dqs_key else "none"
        return f"BlocklistSettings(enabled={self.enabled}, dqs_key={key})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckContext:
    """The injected I/O and settings shared by all checks of one scan."""

    resolver: DnsClient
    blocklist_resolver: DnsClient
    authoritative_port: int = 53
    authoritative_timeout: float = 2.0
    dialer: Dialer = direct_dialer
    ca_bundle: str | None = None
    connect_timeout: float = 5.0
    expiry_warning_days: int = 21
    clock: WallClock = utc_now
    blocklists: BlocklistSettings = field(default_factory=BlocklistSettings)
    cancelled: threading.Event = field(default_factory=threading.Event)
    check_authoritative: bool = True
    name_servers: ResolverHealth | None = None
    """The zones' name servers as this scan found them: their round trips, and which stopped
    answering (each is then asked nothing more: a silent lame server costs one host its wait, not
    every host of the zone)."""

    def for_new_scan(self) -> CheckContext:
        """A copy whose DNS clients share one fresh answer cache, so re-checks see new data, and
        one record of which resolvers still answer."""
        from checks.dnscanary import canary  # noqa: PLC0415 - dnspython loads on first scan
        from checks.dnsclient import AnswerCache  # noqa: PLC0415 - dnspython loads on first scan
        from checks.dnshealth import ResolverHealth  # noqa: PLC0415 - loads with the DNS client

        cache, health = AnswerCache(), ResolverHealth(canary)
        return replace(
            self,
            resolver=self.resolver.with_cache(cache, health),
            blocklist_resolver=self.blocklist_resolver.with_cache(cache, health),
            cancelled=threading.Event(),
            name_servers=ResolverHealth(canary),
        )

    def for_host(self) -> CheckContext:
        """A copy for one host: its DNS questions (resolver, lists, name servers) share
        HOST_DNS_TIMEOUTS timeouts for waiting on answers that never come (`Deadline`), so no host
        waits out timeout after timeout, and none gives up on a slow answer that does come."""
        from checks.dnsclient import Deadline  # noqa: PLC0415 - dnspython loads on first scan

        deadline = Deadline(HOST_DNS_TIMEOUTS * self.resolver.timeout)
        return replace(
            self,
            resolver=self.resolver.with_deadline(deadline),
            blocklist_resolver=self.blocklist_resolver.with_deadline(deadline),
        )

    def authoritative_client(self, address: str) -> DnsClient:
        """A client asking one authoritative server, sharing this scan's cache, its record of the
        name servers and the host's deadline. Its
        questions get two timeouts, like the resolver's, so that on a lossy network a lost answer
        or three do not make a live server look lame; a dead one costs no more than the host's
        deadline allows."""
        from checks.dnsclient import DnsClient  # noqa: PLC0415 - dnspython loads on first scan

        return DnsClient(
            [(address, self.authoritative_port)],
            timeout=self.authoritative_timeout,
            attempts=2,
            cache=self.resolver.cache,
            health=self.name_servers,
            deadline=self.resolver.deadline,
            role="name server",
        )
