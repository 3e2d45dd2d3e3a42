"""The benchmark fleet as data: N hosts across 50 brands and six ESPs, mostly healthy, with some of
every failure the demo shows, and the zone texts and inventory that describe it (all generated in
memory, so the repository holds no large files)."""

from __future__ import annotations

from dataclasses import dataclass

BRANDS = 50
CLOUDFLARE_ADDRESS = "104.16.132.229"
DEAD_ADDRESS = "198.51.100.20"
NS_ADDRESS = "127.0.0.2"
LAME_ADDRESS = "127.0.0.4"
REFUSING_URIBL = "127.0.0.1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Esp:
    """One ESP variant: how the inventory names it and where its tracking target points."""

    key: str
    esp: str
    region: str
    target: str
    address: str


ESPS: tuple[Esp, ...] = (
    Esp(key="mg", esp="mailgun", region="us", target="mailgun.org", address="192.0.2.2"),
    Esp(key="mgeu", esp="mailgun", region="eu", target="eu.mailgun.org", address="192.0.2.3"),
    Esp(key="sg", esp="sendgrid", region="global", target="sendgrid.net", address="192.0.2.4"),
    Esp(key="sp", esp="sparkpost", region="us", target="v2.spgo.io", address="192.0.2.5"),
    Esp(key="md", esp="mandrill", region="", target="mandrillapp.com", address="192.0.2.6"),
    Esp(
        key="ses",
        esp="ses",
        region="us-east-1",
        target="r.us-east-1.awstrack.me",
        address="192.0.2.7",
    ),
)
ESP_ZONES = ("mailgun.org", "sendgrid.net", "spgo.io", "mandrillapp.com", "awstrack.me")

KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cname_mismatch", ("dns.cname_mismatch",)),
    ("proxied", ("dns.proxied",)),
    ("dangling", ("dns.dangling",)),
    ("no_record", ("dns.no_record",)),
    ("not_cname", ("dns.not_cname", "tls.unreachable")),
    ("expired", ("tls.expired",)),
    ("expiring", ("tls.expiring",)),
    ("untrusted", ("tls.untrusted",)),
    ("wrong_name", ("tls.hostname_mismatch",)),
    ("dbl_listed", ("blocklist.listed",)),
    ("not_propagated", ("dns.not_propagated",)),
    ("conflict", ("dns.conflict",)),
)
"""Each failure kind and the finding codes a host of that kind must show; one host in every 100
is of each kind (12 %), the other 88 % are healthy."""
EXPECTED: dict[str, tuple[str, ...]] = dict(KINDS)
CAA_BRAND, LAME_BRAND, SURBL_BRAND, URIBL_BRAND = 7, 13, 21, 33
"""Brand-wide failures: CAA admits only DigiCert, a lame second name server, listings."""
_PREFIXES = ("links", "click", "email", "track", "go", "t", "m", "r")


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    """One tracking host of the fleet."""

    host: str
    brand: int
    esp: Esp
    kind: str

    @property
    def label(self) -> str:
        """The host's label inside its brand's zone."""
        return self.host.split(".", 1)[0]

    @property
    def account(self) -> str:
        """The inventory account of the host's brand at its ESP."""
        return f"{brand_name(self.brand)}-{self.esp.key}"


def brand_name(index: int) -> str:
    """The brand's label: `b07`."""
    return f"b{index:02d}"


def brand_domain(index: int) -> str:
    """The brand's registered domain: `b07.bench.example` is not registrable, so `b07-bench.example`."""
    return f"{brand_name(index)}-bench.example"


def kind_of(index: int) -> str:
    """The failure kind of the host at `index` (healthy for 88 of every 100)."""
    slot = index % 100
    return KINDS[slot - 40][0] if 40 <= slot < 40 + len(KINDS) else "healthy"


def make_fleet(size: int) -> tuple[Host, ...]:
    """`size` hosts spread evenly over the brands, each brand using two ESPs."""
    hosts = []
    for index in range(size):
        brand = index % BRANDS
        serial = index // BRANDS
        esp = ESPS[(brand + serial % 2) % len(ESPS)]
        prefix = _PREFIXES[serial % len(_PREFIXES)]
        name = f"{prefix}{serial // len(_PREFIXES)}.{brand_domain(brand)}"
        hosts.append(Host(host=name, brand=brand, esp=esp, kind=kind_of(index)))
    return tuple(hosts)


def expected_codes(host: Host) -> tuple[str, ...]:
    """The finding codes the host must show (brand-wide ones included)."""
    codes = list(EXPECTED.get(host.kind, ()))
    if host.brand == LAME_BRAND and host.kind not in ("no_record",):
        codes.append("dns.lame_nameserver")
    if host.brand in (SURBL_BRAND, URIBL_BRAND):
        codes.append("blocklist.listed")
    return tuple(codes)


def _other_target(host: Host) -> str:
    return ESPS[(ESPS.index(host.esp) + 2) % len(ESPS)].target


def resolver_record(host: Host) -> str:
    """The host's record as resolvers see it (empty for a host that was never published)."""
    label = host.label
    records = {
        "cname_mismatch": f"{label} IN CNAME {_other_target(host)}.",
        "not_propagated": f"{label} IN CNAME {_other_target(host)}.",
        "proxied": f"{label} IN A {CLOUDFLARE_ADDRESS}",
        "dangling": f"{label} IN CNAME {brand_name(host.brand)}-gone.activehosted.com.",
        "no_record": "",
        "not_cname": f"{label} IN A {DEAD_ADDRESS}",
    }
    return records.get(host.kind, f"{label} IN CNAME {host.esp.target}.")


def authoritative_record(host: Host) -> str:
    """The host's record as its zone's name servers hold it."""
    if host.kind == "not_propagated":
        return f"{host.label} IN CNAME {host.esp.target}."
    if host.kind == "conflict":
        return f"{resolver_record(host)}\n{host.label} IN A 192.0.2.99"
    return resolver_record(host)


def _soa(origin: str) -> str:
    return (
        f"$ORIGIN {origin}.\n$TTL 300\n"
        f"@ IN SOA ns1.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
        f"@ IN NS ns1.{origin}.\nns1 IN A {NS_ADDRESS}\n"
    )


def brand_zone(brand: int, hosts: tuple[Host, ...], *, authoritative: bool) -> str:
    """One brand's zone, as resolvers or as its name servers see it."""
    lines = [_soa(brand_domain(brand)), "@ IN A 198.51.100.80"]
    if brand == CAA_BRAND:
        lines.append('@ IN CAA 0 issue "digicert.com"')
    if brand == LAME_BRAND:
        lines += ["@ IN NS ns2", f"ns2 IN A {LAME_ADDRESS}"]
    record = authoritative_record if authoritative else resolver_record
    lines += [record(host) for host in hosts if host.brand == brand]
    return "\n".join(line for line in lines if line) + "\n"


def esp_zones() -> dict[str, str]:
    """The ESPs' zones: each tracking target's address (TEST-NET, mapped to loopback by the dialer)."""
    texts = {origin: _soa(origin) for origin in (*ESP_ZONES, "activehosted.com")}
    for esp in ESPS:
        origin = next(zone for zone in ESP_ZONES if esp.target.endswith(zone))
        label = "@" if esp.target == origin else esp.target.removesuffix("." + origin)
        texts[origin] += f"{label} IN A {esp.address}\n"
    return texts


PEER_DOMAINS = 1000
"""Registered domains for the blocklist comparison with pydnsbl; one in 100 is on the DBL, another
one in 100 on SURBL."""


def peer_domains(count: int = PEER_DOMAINS) -> tuple[str, ...]:
    """The comparison's registered domains: `d0000-lists.example` …"""
    return tuple(f"d{index:04d}-lists.example" for index in range(count))


def peer_listed() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(on the DBL, on SURBL) among the comparison's domains."""
    domains = peer_domains()
    return domains[7::100], domains[53::100]


def blocklist_zones(
    listed_hosts: tuple[str, ...], *, refusing_uribl: bool = False
) -> dict[str, str]:
    """DBL, SURBL and URIBL with their test points, the listed hosts, brands and comparison domains;
    a refusing URIBL answers 127.0.0.1 to everything, as URIBL does for public resolvers."""
    on_dbl, on_surbl = peer_listed()
    dbl = _soa("dbl.spamhaus.org") + "dbltest.com IN A 127.0.1.2\n"
    dbl += "".join(f"{host} IN A 127.0.1.103\n" for host in listed_hosts)
    dbl += "".join(f"{domain} IN A 127.0.1.2\n" for domain in on_dbl)
    surbl = _soa("multi.surbl.org") + "test.surbl.org IN A 127.0.0.254\n"
    surbl += f"{brand_domain(SURBL_BRAND)} IN A 127.0.0.64\n"
    surbl += "".join(f"{domain} IN A 127.0.0.64\n" for domain in on_surbl)
    uribl = _soa("multi.uribl.com")
    if refusing_uribl:
        uribl += f"* IN A {REFUSING_URIBL}\n"
    else:
        uribl += "test.uribl.com IN A 127.0.0.2\n" + f"{brand_domain(URIBL_BRAND)} IN A 127.0.0.2\n"
    return {"dbl.spamhaus.org": dbl, "multi.surbl.org": surbl, "multi.uribl.com": uribl}


def zone_texts(hosts: tuple[Host, ...], *, authoritative: bool) -> dict[str, str]:
    """Every zone of the world keyed by origin; the resolver's view also holds the blocklists."""
    texts = {
        brand_domain(brand): brand_zone(brand, hosts, authoritative=authoritative)
        for brand in range(BRANDS)
    }
    texts.update(esp_zones())
    if not authoritative:
        listed = tuple(host.host for host in hosts if host.kind == "dbl_listed")
        texts.update(blocklist_zones(listed))
    return texts


def inventory_text(hosts: tuple[Host, ...], settings: dict[str, object]) -> str:
    """The fleet as an inventory TOML: one account per brand and ESP, one table per brand."""
    lines = ["[settings]"] + [f"{key} = {_toml(value)}" for key, value in settings.items()]
    accounts = dict.fromkeys((host.account, host.esp) for host in hosts)
    for name, esp in accounts:
        lines += ["", f"[accounts.{name}]", f'esp = "{esp.esp}"']
        lines += [f'region = "{esp.region}"'] if esp.region else []
    for brand in range(BRANDS):
        own = [host for host in hosts if host.brand == brand]
        if own:
            lines += ["", "[[brands]]", f'name = "Brand {brand:02d}"', "tracking = ["]
            lines += [f'  {{ host = "{h.host}", account = "{h.account}" }},' for h in own]
            lines.append("]")
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return str(value)
