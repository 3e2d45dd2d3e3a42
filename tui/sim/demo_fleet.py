"""The demo fleet: fourteen fictional brands at six ESPs, with one host for each way a tracking domain
breaks and the healthy hosts that make up most of a real fleet.

This module is the table (who, where, what TLS and HTTP each host serves, what it should show); the
DNS data lives in `demo_zones/`, and `demo.py` starts the world that serves both. Every name is under
`.example`, every address is TEST-NET or Cloudflare's (mapped to loopback by the TLS world).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.sim.tls_world import NOT_FOUND, HttpBehaviour

EXPIRING_DAYS_LEFT = 10.5
"""Days left on the demo's `expiring` certificate (shown as 10: days are counted whole)."""

TIMEOUT_FAULT = "timeout"
"""`DemoHost.dns_fault` value: the resolver drops every A and CNAME question about the host."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoAccount:
    """One ESP account of the demo inventory (esp and region spelled as the inventory spells them)."""

    name: str
    esp: str
    region: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoHost:
    """One tracking host of one brand at one ESP account, and what the simulated world serves for it.

    `esp` is the ESP variant as `facts_for` accepts it (``mailgun-eu``); `tls` is the certificate kind
    served by SNI at every address the host resolves to (None: nothing is set up for it, so a dead
    address refuses connections); `shows` lists the codes of the findings, other than ``ok`` ones,
    that the host is there to demonstrate.
    """

    brand: str
    host: str
    esp: str
    account: str
    tls: str | None = "valid"
    http: HttpBehaviour = NOT_FOUND
    dns_fault: str | None = None
    shows: tuple[str, ...] = ()
    story: str = ""


def _redirect(site: str) -> HttpBehaviour:
    return HttpBehaviour(status=302, headers=(("Location", f"https://www.{site}/"),))


_CF_HEADERS = (("Server", "cloudflare"), ("CF-Ray", "8f1c2d3e4f5a6b7c-AMS"))
CLOUDFLARE_PASS_THROUGH = HttpBehaviour(status=404, headers=_CF_HEADERS)
"""Cloudflare's edge relaying the ESP's 404: the proxy itself works, only DNS gives it away."""
CLOUDFLARE_1014 = HttpBehaviour(
    status=403,
    headers=(*_CF_HEADERS, ("Content-Type", "text/html; charset=UTF-8")),
    body=b"<!DOCTYPE html><html><head><title>CNAME Cross-User Banned | Cloudflare</title></head>"
    b'<body><h1><span class="cf-error-type">Error</span> <span class="cf-error-code">1014'
    b"</span></h1><h2>CNAME Cross-User Banned</h2><p>Ray ID: 8f1c2d3e4f5a6b7c</p></body></html>",
)
"""Cloudflare's error page when a proxied CNAME points into another Cloudflare account."""

DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(name="acme-mg-eu", esp="mailgun", region="eu"),
    DemoAccount(name="acme-sg", esp="sendgrid", region="global"),
    DemoAccount(name="acme-mandrill", esp="mandrill"),
    DemoAccount(name="globex-sp", esp="sparkpost", region="us"),
    DemoAccount(name="globex-ses", esp="ses", region="us-east-1"),
    DemoAccount(name="bluebell-mg", esp="mailgun", region="us"),
    DemoAccount(name="copperleaf-sg", esp="sendgrid", region="global"),
    DemoAccount(name="copperleaf-mg", esp="mailgun", region="us"),
    DemoAccount(name="driftwood-sp", esp="sparkpost", region="us"),
    DemoAccount(name="evergreen-ac", esp="activecampaign"),
    DemoAccount(name="evergreen-mg-eu", esp="mailgun", region="eu"),
    DemoAccount(name="foxglove-mg-eu", esp="mailgun", region="eu"),
    DemoAccount(name="foxglove-sp-eu", esp="sparkpost", region="eu"),
    DemoAccount(name="granite-mg", esp="mailgun", region="us"),
    DemoAccount(name="harbor-mg-eu", esp="mailgun", region="eu"),
    DemoAccount(name="juniper-sg", esp="sendgrid", region="global"),
    DemoAccount(name="juniper-mg", esp="mailgun", region="us"),
    DemoAccount(name="juniper-sp", esp="sparkpost", region="us"),
    DemoAccount(name="lumen-sg", esp="sendgrid", region="global"),
    DemoAccount(name="lumen-mg", esp="mailgun", region="us"),
    DemoAccount(name="marigold-mg", esp="mailgun", region="us"),
    DemoAccount(name="orchard-mg", esp="mailgun", region="us"),
    DemoAccount(name="quartz-mg", esp="mailgun", region="us"),
    DemoAccount(name="quartz-sg", esp="sendgrid", region="global"),
)

# fmt: off
DEMO_FLEET: tuple[DemoHost, ...] = (
    DemoHost(brand="Acme", host="links.acme.example", esp="mailgun-eu", account="acme-mg-eu",
             http=_redirect("acme.example"), story="healthy Mailgun EU host"),
    DemoHost(brand="Acme", host="click.acme.example", esp="sendgrid", account="acme-sg",
             http=_redirect("acme.example"), story="healthy SendGrid host"),
    DemoHost(brand="Acme", host="t.acme.example", esp="mandrill", account="acme-mandrill",
             tls="wrong_name", shows=("tls.hostname_mismatch",),
             story="Mandrill serves its shared certificate; HTTPS is not expected there (info)"),
    DemoHost(brand="Globex", host="email.globex.example", esp="sparkpost", account="globex-sp",
             story="healthy SparkPost host (v2.spgo.io, managed HTTPS)"),
    DemoHost(brand="Globex", host="track.globex.example", esp="ses", account="globex-ses",
             story="healthy Amazon SES host"),
    DemoHost(brand="Globex", host="links.globex.example", esp="sparkpost", account="globex-sp",
             shows=("dns.cname_mismatch",),
             story="moved to SparkPost, but the CNAME still points at Mailgun"),
    DemoHost(brand="Bluebell Books", host="links.bluebell.example", esp="mailgun",
             account="bluebell-mg", http=CLOUDFLARE_PASS_THROUGH, shows=("dns.proxied",),
             story="Cloudflare proxy (orange cloud) in front of Mailgun, which forbids it"),
    DemoHost(brand="Bluebell Books", host="email.bluebell.example", esp="mailgun",
             account="bluebell-mg", story="healthy Mailgun host"),
    DemoHost(brand="Copperleaf Coffee", host="click.copperleaf.example", esp="sendgrid",
             account="copperleaf-sg", http=CLOUDFLARE_1014, shows=("dns.proxied", "http.error"),
             story="proxied into SendGrid's own Cloudflare account: error 1014 on every click"),
    DemoHost(brand="Copperleaf Coffee", host="links-tx.copperleaf.example", esp="mailgun",
             account="copperleaf-mg", story="healthy Mailgun host"),
    DemoHost(brand="Driftwood Outdoors", host="go.driftwood.example", esp="sparkpost",
             account="driftwood-sp", shows=("caa.blocks_issuer",),
             story="apex CAA admits only digicert.com: Let's Encrypt cannot renew"),
    DemoHost(brand="Evergreen Bank", host="track.evergreen.example", esp="activecampaign",
             account="evergreen-ac", tls=None, shows=("dns.dangling",),
             story="CNAME to a deleted ActiveCampaign account: takeover risk"),
    DemoHost(brand="Evergreen Bank", host="links.evergreen.example", esp="mailgun-eu",
             account="evergreen-mg-eu", story="healthy Mailgun EU host"),
    DemoHost(brand="Foxglove Fashion", host="links.foxglove.example", esp="mailgun-eu",
             account="foxglove-mg-eu", tls=None, shows=("dns.no_record",),
             story="the CNAME was never published (NXDOMAIN)"),
    DemoHost(brand="Foxglove Fashion", host="email.foxglove.example", esp="sparkpost-eu",
             account="foxglove-sp-eu", story="healthy SparkPost EU host"),
    DemoHost(brand="Granite Gym", host="granite.example", esp="mailgun", account="granite-mg",
             shows=("dns.apex",),
             story="the apex itself as tracking host, flattened to Mailgun's address"),
    DemoHost(brand="Granite Gym", host="links.granite.example", esp="mailgun",
             account="granite-mg", tls=None, shows=("dns.not_cname", "tls.unreachable"),
             story="an A record to an old server where nothing listens on 443"),
    DemoHost(brand="Harbor Health", host="links.harbor.example", esp="mailgun-eu",
             account="harbor-mg-eu", shows=("dns.not_propagated",),
             story="fixed at the name servers; resolvers still cache the old CNAME"),
    DemoHost(brand="Harbor Health", host="email.harbor.example", esp="mailgun-eu",
             account="harbor-mg-eu", shows=("dns.conflict",),
             story="an A record next to the CNAME at the name servers"),
    DemoHost(brand="Harbor Health", host="click.harbor.example", esp="mailgun-eu",
             account="harbor-mg-eu", dns_fault=TIMEOUT_FAULT, shows=("dns.lookup_failed",),
             story="the resolver times out: unknown, not broken"),
    DemoHost(brand="Juniper Travel", host="click.juniper.example", esp="sendgrid",
             account="juniper-sg", tls="expired", shows=("tls.expired",),
             story="certificate expired: renewal stopped"),
    DemoHost(brand="Juniper Travel", host="links.juniper.example", esp="mailgun",
             account="juniper-mg", tls="expiring", shows=("tls.expiring",),
             story="certificate expires in 10 days: renewal is failing"),
    DemoHost(brand="Juniper Travel", host="go.juniper.example", esp="sparkpost",
             account="juniper-sp", tls="untrusted", shows=("tls.untrusted",),
             story="certificate from a CA nobody trusts"),
    DemoHost(brand="Juniper Travel", host="email.juniper.example", esp="sendgrid",
             account="juniper-sg", tls="wrong_name", shows=("tls.hostname_mismatch",),
             story="HTTPS not enabled at SendGrid: its shared certificate is served"),
    DemoHost(brand="Lumen Lighting", host="links.lumen.example", esp="sendgrid",
             account="lumen-sg", shows=("blocklist.listed",),
             story="on the Spamhaus DBL as an abused redirector (127.0.1.103)"),
    DemoHost(brand="Lumen Lighting", host="links-tx.lumen.example", esp="mailgun",
             account="lumen-mg", story="healthy Mailgun host (the DBL lists hosts, not brands)"),
    DemoHost(brand="Marigold Meals", host="click.marigold.example", esp="mailgun",
             account="marigold-mg", shows=("blocklist.listed",),
             story="marigold.example is on SURBL (ABUSE)"),
    DemoHost(brand="Orchard Organics", host="links.orchard.example", esp="mailgun",
             account="orchard-mg", shows=("dns.lame_nameserver",),
             story="one of the zone's two name servers does not answer"),
    DemoHost(brand="Quartz Quilts", host="links.quartz.example", esp="mailgun",
             account="quartz-mg", shows=("dns.cname_mismatch",),
             story="also listed under quartz-sg: one host used for two ESPs"),
    DemoHost(brand="Quartz Quilts", host="links.quartz.example", esp="sendgrid",
             account="quartz-sg", story="the same host, correct for SendGrid"),
)
# fmt: on
"""The demo fleet in inventory order; links.quartz.example appears twice, under two accounts, as
an inventory that uses one host for two ESPs does (the inventory check reports it)."""


def demo_account(name: str) -> DemoAccount:
    """The demo account called `name`; KeyError when there is none."""
    for account in DEMO_ACCOUNTS:
        if account.name == name:
            return account
    raise KeyError(name)
