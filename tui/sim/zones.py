"""Zones in memory, and answering a question from them as a resolver or as their name server would
(CNAME chains across zones, NXDOMAIN/NODATA with the SOA, wildcards): the loopback DNS server's data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import dns.name
import dns.node
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rrset
import dns.transaction
import dns.zone

from checks.names import normalize

MAX_CNAME_HOPS = 16
_ORIGIN_DIRECTIVE = re.compile(r"^\$ORIGIN\s", re.MULTILINE | re.IGNORECASE)
Zones = Mapping[dns.name.Name, dns.zone.Zone]


class _LenientNode(dns.node.Node):
    """A node that keeps a CNAME next to other data instead of evicting one of them."""

    def _append_rdataset(self, rdataset: dns.rdataset.Rdataset) -> None:
        self.rdatasets.append(rdataset)


class _LenientTransaction(dns.zone.Transaction):
    """A zone-loading transaction without the CNAME-and-other-data check."""

    def check_put_rdataset(self, check: dns.transaction.CheckPutRdatasetType) -> None:
        """Ignore load-time checks: misconfigured zones must be servable to be diagnosed."""


class LenientZone(dns.zone.Zone):
    """A zone that can hold a CNAME and other data at one name, as broken real zones do."""

    node_factory = _LenientNode

    def writer(self, replacement: bool = False) -> dns.zone.Transaction:
        """A writer that accepts CNAME-and-other-data conflicts."""
        transaction = _LenientTransaction(self, replacement)
        transaction._setup_version()  # type: ignore[no-untyped-call]  # dnspython leaves it unannotated
        return transaction


def load_zones(directory: Path) -> dict[str, dns.zone.Zone]:
    """Every `*.zone` master file in `directory`; the origin is `$ORIGIN` or else the file name."""
    zones: dict[str, dns.zone.Zone] = {}
    for path in sorted(directory.glob("*.zone")):
        text = path.read_text(encoding="utf-8")
        origin = None if _ORIGIN_DIRECTIVE.search(text) else path.name.removesuffix(".zone")
        zone = _parse_zone(text, origin, str(path))
        zones[_origin_key(zone)] = zone
    return zones


def zones_from_text(texts: Mapping[str, str]) -> dict[str, dns.zone.Zone]:
    """Zones parsed from master-file texts keyed by origin."""
    zones = (_parse_zone(text, origin, origin) for origin, text in texts.items())
    return {_origin_key(zone): zone for zone in zones}


def _parse_zone(text: str, origin: str | None, filename: str) -> dns.zone.Zone:
    origin_name = None if origin is None else dns.name.from_text(origin)
    return dns.zone.from_text(
        text,
        origin=origin_name,
        relativize=False,
        filename=filename,
        check_origin=False,
        zone_factory=LenientZone,
    )


def _origin_key(zone: dns.zone.Zone) -> str:
    return normalize(cast(dns.name.Name, zone.origin).to_text())


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    """What one zone holds for one name and type."""

    rrsets: tuple[dns.rrset.RRset, ...] = ()
    cname: dns.rrset.RRset | None = None
    exists: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The sections and rcode of a resolved question, before it becomes a message."""

    rcode: dns.rcode.Rcode
    answer: tuple[dns.rrset.RRset, ...] = ()
    authority: tuple[dns.rrset.RRset, ...] = ()
    authoritative: bool = False


def resolve(
    zones: Zones, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, *, authoritative: bool
) -> Answer:
    """Answer a question from `zones`, chasing CNAMEs across zones unless `authoritative`."""
    zone = _zone_for(zones, qname)
    if zone is None:
        return Answer(rcode=dns.rcode.REFUSED) if authoritative else _outside(zones, qname, [])
    chain: list[dns.rrset.RRset] = []
    seen, name = {qname}, qname
    while True:
        found = _lookup(zone, name, rdtype)
        if found.cname is None:
            return _final(zone, found, chain, authoritative)
        chain.append(found.cname)
        name = cast(dns.rdtypes.ANY.CNAME.CNAME, found.cname[0]).target
        if name in seen or len(chain) > MAX_CNAME_HOPS:
            return Answer(rcode=dns.rcode.SERVFAIL)
        seen.add(name)
        next_zone = _zone_for(zones, name)
        if authoritative and next_zone is not zone:
            return Answer(rcode=dns.rcode.NOERROR, answer=tuple(chain), authoritative=True)
        if next_zone is None:
            return _outside(zones, name, chain)
        zone = next_zone


def _outside(zones: Zones, name: dns.name.Name, chain: list[dns.rrset.RRset]) -> Answer:
    """A name in no held zone: no data for ancestors of held zones, else it does not exist."""
    ancestor = any(origin.is_subdomain(name) for origin in zones)
    rcode = dns.rcode.NOERROR if ancestor else dns.rcode.NXDOMAIN
    return Answer(rcode=rcode, answer=tuple(chain))


def _final(
    zone: dns.zone.Zone, found: _Found, chain: list[dns.rrset.RRset], authoritative: bool
) -> Answer:
    if found.rrsets:
        answer = (*chain, *found.rrsets)
        return Answer(rcode=dns.rcode.NOERROR, answer=answer, authoritative=authoritative)
    rcode = dns.rcode.NOERROR if found.exists else dns.rcode.NXDOMAIN
    return Answer(
        rcode=rcode, answer=tuple(chain), authority=_soa(zone), authoritative=authoritative
    )


def _zone_for(zones: Zones, name: dns.name.Name) -> dns.zone.Zone | None:
    """The zone with the longest origin that is `name` or one of its ancestors."""
    holders = [origin for origin in zones if name.is_subdomain(origin)]
    return zones[max(holders, key=len)] if holders else None


def _lookup(zone: dns.zone.Zone, name: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Found:
    node, exists = _find_node(zone, name)
    if node is None:
        return _Found(exists=exists)
    if rdtype == dns.rdatatype.ANY:
        return _Found(rrsets=tuple(_rrset(name, rdataset) for rdataset in node.rdatasets))
    rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
    if rdataset is not None:
        return _Found(rrsets=(_rrset(name, rdataset),))
    cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
    return _Found(cname=None if cname is None else _rrset(name, cname))


def _find_node(zone: dns.zone.Zone, name: dns.name.Name) -> tuple[dns.node.Node | None, bool]:
    """The node answering for `name` (its own or a matching wildcard) and whether `name` exists."""
    node = zone.get_node(name)
    if node is not None and len(node) > 0:
        return node, True
    if _has_descendants(zone, name):
        return None, True
    if name == zone.origin:
        return None, False
    encloser = name.parent()
    while encloser != zone.origin and not _exists(zone, encloser):
        encloser = encloser.parent()
    wildcard = zone.get_node(dns.name.Name((b"*", *encloser.labels)))
    return (wildcard, True) if wildcard is not None and len(wildcard) > 0 else (None, False)


def _exists(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    node = zone.get_node(name)
    return (node is not None and len(node) > 0) or _has_descendants(zone, name)


def _has_descendants(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    return any(owner != name and owner.is_subdomain(name) for owner in zone.nodes)


def _soa(zone: dns.zone.Zone) -> tuple[dns.rrset.RRset, ...]:
    origin = cast(dns.name.Name, zone.origin)
    rdataset = zone.get_rdataset(origin, dns.rdatatype.SOA)
    return () if rdataset is None else (_rrset(origin, rdataset),)


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
    rrset.update_ttl(rdataset.ttl)
    for rdata in rdataset:
        rrset.add(rdata)
    return rrset


def by_origin(zones: Mapping[str, dns.zone.Zone]) -> dict[dns.name.Name, dns.zone.Zone]:
    """Zones keyed by absolute origin; relativized zones are refused (their names cannot chain)."""
    if any(zone.relativize for zone in zones.values()):
        raise ValueError("zones must be loaded with relativize=False (use load_zones)")
    return {zone.origin or dns.name.from_text(key): zone for key, zone in zones.items()}
