"""The three URI blocklists and what is asked of them: each list's zone for this scan, its test point,
and the name a host is looked up under.

Kept apart from the check because the scan's prefetch asks these same names before any host is
checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Final

from checks.blocklist_codes import decode_dbl, decode_surbl, decode_uribl
from checks.context import BlocklistSettings
from checks.names import normalize
from checks.psl import is_ip_literal, registered_domain

# Test points used as canaries. Many tools and test suites use them, but none is confirmed on
# the operators' own pages (dns-checks.md §1.8): a failing canary says "not tested", never "clean".
UNCONFIRMED_CANARY_TEST_POINTS: Final = {
    "dbl": "dbltest.com",
    "surbl": "test.surbl.org",
    "uribl": "test.uribl.com",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ListSpec:
    """How to ask one list: its zone, how to read its codes, how to delist, how to reach it."""

    key: str
    name: str
    decode: Callable[[str], tuple[str, str]]
    removal: str
    resolver_fix: str
    zone: str = ""
    shown_zone: str = ""


_LOCAL: Final = (
    "use a local recursive resolver (e.g. unbound on 127.0.0.1) with --blocklist-resolver"
)
_DBL: Final = ListSpec(
    key="dbl",
    name="Spamhaus DBL",
    decode=decode_dbl,
    removal="Spamhaus DBL removal: look the domain up at https://check.spamhaus.org/ and follow "
    "its removal request",
    resolver_fix=f"{_LOCAL}, or a Spamhaus DQS key (free for low volume)",
)
_SURBL: Final = ListSpec(
    key="surbl",
    name="SURBL",
    decode=decode_surbl,
    removal="SURBL lookup/removal at https://www.surbl.org/surbl-analysis",
    resolver_fix=f"{_LOCAL}; SURBL refuses public and high-volume resolvers",
)
_URIBL: Final = ListSpec(
    key="uribl",
    name="URIBL",
    decode=decode_uribl,
    removal="URIBL removal: look the domain up at https://admin.uribl.com/ and request removal",
    resolver_fix=f"{_LOCAL}; URIBL refuses public resolvers (https://uribl.com/refused.shtml)",
)


def list_specs(settings: BlocklistSettings) -> tuple[ListSpec, ...]:
    """The three lists with this scan's zones; a DQS key is shown only as ``<key>``."""
    dbl_zone, surbl_zone, uribl_zone = (
        normalize(zone)
        for zone in (settings.effective_dbl_zone, settings.surbl_zone, settings.uribl_zone)
    )
    shown_dbl = "<key>.dbl.dq.spamhaus.net" if settings.dqs_key else dbl_zone
    return (
        replace(_DBL, zone=dbl_zone, shown_zone=shown_dbl),
        replace(_SURBL, zone=surbl_zone, shown_zone=surbl_zone),
        replace(_URIBL, zone=uribl_zone, shown_zone=uribl_zone),
    )


def canary_names(settings: BlocklistSettings) -> dict[str, str]:
    """List name → full canary query name (it may contain the DQS key: never display it)."""
    return {
        spec.name: f"{UNCONFIRMED_CANARY_TEST_POINTS[spec.key]}.{spec.zone}"
        for spec in list_specs(settings)
    }


def query_label(spec: ListSpec, host: str) -> str | None:
    """The name to put before the zone: DBL the full host, SURBL/URIBL the registered domain."""
    if is_ip_literal(host):
        address = ipaddress.ip_address(host.strip("[]"))
        if spec.key == "surbl" and address.version == 4:
            return ".".join(reversed(str(address).split(".")))
        return None
    domain = registered_domain(host)
    if domain is None:
        return None
    return host if spec.key == "dbl" else domain


def list_queries(hosts: Iterable[str], settings: BlocklistSettings) -> tuple[str, ...]:
    """Every name `check_blocklists` asks for `hosts`, test points first and without repeats: they
    depend on no answer, so a scan can ask them all at once ahead of the hosts' other checks."""
    if not settings.enabled:
        return ()
    specs = list_specs(settings)
    names = dict.fromkeys(f"{UNCONFIRMED_CANARY_TEST_POINTS[s.key]}.{s.zone}" for s in specs)
    for host in hosts:
        name = normalize(host)
        for spec in specs:
            label = query_label(spec, name)
            if label is not None:
                names[f"{label}.{spec.zone}"] = None
    return tuple(names)
