"""What each ESP publishes about custom tracking domains: CNAME targets, shared hosts, CAs, proxy policy.

Sources are in ../shared/reference/esp-apis.md (§14, §15) and dns-checks.md (§2.5). Facts the reference
marks unconfirmed are kept apart (`guess_suffixes`, `ca_confirmed=False`) so that they can help guess an
ESP from a CNAME chain but never make a finding look certain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from esp_clients.registry import API_ESPS

FORBIDDEN = "forbidden"
ALLOWED = "allowed"
REQUIRED = "required"

LETS_ENCRYPT = ("letsencrypt.org",)
AMAZON_CAS = ("amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com")
CLOUDFLARE_CAS = ("letsencrypt.org", "pki.goog", "ssl.com", "sectigo.com")


@dataclass(frozen=True, slots=True, kw_only=True)
class EspFacts:
    """One ESP (or one region/variant of it) as published by the ESP itself."""

    esp: str
    variant: str
    label: str
    targets: tuple[str, ...] = ()
    target_suffixes: tuple[str, ...] = ()
    guess_suffixes: tuple[str, ...] = ()
    shared_hosts: tuple[str, ...] = ()
    cas: tuple[str, ...] = ()
    ca_confirmed: bool = False
    proxy: str = ALLOWED
    https_expected: bool = True
    https_note: str = ""
    certificate_by_esp: bool = False
    """Whether the ESP obtains and renews the tracking host's certificate itself (so one close to
    expiry is a failing renewal, not a date to wait for)."""

    @property
    def has_api(self) -> bool:
        """Whether trackdeck has an API client for this ESP (the registry says)."""
        return self.esp in API_ESPS

    @property
    def eu(self) -> bool:
        """Whether this variant is the ESP's EU region (accounts never change region by DNS)."""
        return "eu" in self.variant.split("-")

    @property
    def name(self) -> str:
        """The `--esp` name of this variant, e.g. ``mailgun-eu``."""
        return self.esp if self.variant == "" else f"{self.esp}-{self.variant}"

    def matches(self, name: str) -> int:
        """How specifically `name` (a CNAME chain member) points at this ESP: 0 = not at all."""
        name = name.rstrip(".").lower()
        if name in self.targets:
            return 1000 + len(name)
        for suffix in self.target_suffixes + self.guess_suffixes:
            if name == suffix.lstrip(".") or name.endswith(suffix):
                return len(suffix)
        return 0


_FACTS: tuple[EspFacts, ...] = (
    EspFacts(
        esp="sendgrid",
        variant="",
        certificate_by_esp=True,
        label="SendGrid",
        targets=("sendgrid.net", "click.sendgrid.net"),
        shared_hosts=("sendgrid.net", "ct.sendgrid.net"),
        cas=CLOUDFLARE_CAS,
        ca_confirmed=False,
        proxy=ALLOWED,
        https_note="SendGrid serves HTTPS on a branded link only with Auto-SSL link branding or with "
        "SSL click tracking enabled by SendGrid support behind your own CDN.",
    ),
    EspFacts(
        esp="sendgrid",
        variant="eu",
        certificate_by_esp=True,
        label="SendGrid EU",
        targets=("sendgrid.net", "eu.sendgrid.net", "click.sendgrid.net"),
        shared_hosts=("eu.sendgrid.net",),
        cas=CLOUDFLARE_CAS,
        ca_confirmed=False,
        proxy=ALLOWED,
        https_note="SendGrid serves HTTPS on a branded link only with Auto-SSL link branding or with "
        "SSL click tracking enabled by SendGrid support behind your own CDN.",
    ),
    EspFacts(
        esp="mailgun",
        variant="",
        certificate_by_esp=True,
        label="Mailgun",
        targets=("mailgun.org",),
        shared_hosts=("mailgun.org",),
        cas=LETS_ENCRYPT,
        ca_confirmed=True,
        proxy=FORBIDDEN,
        https_note="Mailgun issues a Let's Encrypt certificate over HTTP-01 through the tracking CNAME.",
    ),
    EspFacts(
        esp="mailgun",
        variant="eu",
        certificate_by_esp=True,
        label="Mailgun EU",
        targets=("eu.mailgun.org",),
        shared_hosts=("eu.mailgun.org",),
        cas=LETS_ENCRYPT,
        ca_confirmed=True,
        proxy=FORBIDDEN,
        https_note="Mailgun issues a Let's Encrypt certificate over HTTP-01 through the tracking CNAME.",
    ),
    EspFacts(
        esp="sparkpost",
        variant="",
        certificate_by_esp=True,
        label="SparkPost",
        targets=("v2.spgo.io",),
        shared_hosts=("spgo.io",),
        cas=LETS_ENCRYPT,
        ca_confirmed=True,
        proxy=FORBIDDEN,
        https_note="SparkPost's managed HTTPS issues Let's Encrypt certificates for CNAMEs to v2.spgo.io.",
    ),
    EspFacts(
        esp="sparkpost",
        variant="eu",
        certificate_by_esp=True,
        label="SparkPost EU",
        targets=("eu.v2.spgo.io",),
        shared_hosts=("eu.spgo.io",),
        cas=LETS_ENCRYPT,
        ca_confirmed=True,
        proxy=FORBIDDEN,
        https_note="SparkPost's managed HTTPS issues Let's Encrypt certificates for CNAMEs to "
        "eu.v2.spgo.io.",
    ),
    EspFacts(
        esp="sparkpost",
        variant="legacy",
        label="SparkPost (legacy endpoint)",
        targets=("spgo.io",),
        shared_hosts=("spgo.io",),
        proxy=REQUIRED,
        https_note="The legacy spgo.io endpoint has no managed HTTPS: HTTPS needs your own CDN, or move "
        "the CNAME to v2.spgo.io.",
    ),
    EspFacts(
        esp="sparkpost",
        variant="eu-legacy",
        label="SparkPost EU (legacy endpoint)",
        targets=("eu.spgo.io",),
        shared_hosts=("eu.spgo.io",),
        proxy=REQUIRED,
        https_note="The legacy eu.spgo.io endpoint has no managed HTTPS: HTTPS needs your own CDN, or "
        "move the CNAME to eu.v2.spgo.io.",
    ),
    EspFacts(
        esp="sparkpost",
        variant="enterprise",
        label="SparkPost Enterprise",
        target_suffixes=(".et.e.sparkpost.com",),
        proxy=REQUIRED,
        https_note="SparkPost Enterprise tracking endpoints need your own CDN for HTTPS.",
    ),
    EspFacts(
        esp="mandrill",
        variant="",
        label="Mandrill",
        targets=("mandrillapp.com",),
        shared_hosts=("mandrillapp.com",),
        proxy=ALLOWED,
        https_expected=False,
        https_note="Mandrill does not document HTTPS for custom tracking domains.",
    ),
    EspFacts(
        esp="ses",
        variant="",
        label="Amazon SES",
        target_suffixes=(".awstrack.me",),
        guess_suffixes=(".cloudfront.net",),
        shared_hosts=("awstrack.me",),
        cas=AMAZON_CAS,
        ca_confirmed=False,
        proxy=REQUIRED,
        https_note="SES does not issue certificates for custom redirect domains: HTTPS needs a CDN "
        "(e.g. CloudFront with an ACM certificate) in front of r.<region>.awstrack.me.",
    ),
    EspFacts(
        esp="resend",
        variant="",
        certificate_by_esp=True,
        label="Resend",
        guess_suffixes=(".resend.com",),
        cas=("amazon.com",),
        ca_confirmed=False,
        proxy=ALLOWED,
        https_note="Resend issues the tracking certificate itself once the tracking CNAME verifies.",
    ),
    EspFacts(
        esp="postmark",
        variant="",
        label="Postmark",
        guess_suffixes=(".pstmrk.it",),
        shared_hosts=("pstmrk.it", "click.pstmrk.it"),
        https_note="Postmark does not document HTTPS or a CA for custom link-tracking domains.",
    ),
    EspFacts(
        esp="mailjet",
        variant="",
        label="Mailjet",
        targets=("t.mailjet.com",),
        guess_suffixes=(".mjt.lu",),
        shared_hosts=("mjt.lu",),
        cas=LETS_ENCRYPT,
        ca_confirmed=True,
        proxy=FORBIDDEN,
        https_note="Mailjet issues a Let's Encrypt certificate over HTTP-01 through the tracking CNAME.",
    ),
    EspFacts(
        esp="brevo",
        variant="",
        label="Brevo",
        guess_suffixes=(".sendibt2.com", ".sendibt3.com", ".sendibm1.com"),
        shared_hosts=("sendibt2.com", "sendibt3.com", "sendibm1.com"),
        https_note="Brevo does not document its tracking CNAME target or CA.",
    ),
    EspFacts(
        esp="klaviyo",
        variant="",
        label="Klaviyo",
        guess_suffixes=(".klclick.com",),
        shared_hosts=("klclick.com", "trk.klclick.com"),
        https_note="Klaviyo shows the tracking CNAME target in its UI; it is not published.",
    ),
    EspFacts(
        esp="hubspot",
        variant="",
        label="HubSpot",
        guess_suffixes=(".hubspotlinks.com",),
        shared_hosts=("hubspotlinks.com",),
        https_note="HubSpot does not document its tracking-domain CA.",
    ),
    EspFacts(
        esp="activecampaign",
        variant="",
        label="ActiveCampaign",
        target_suffixes=(".activehosted.com",),
        https_note="ActiveCampaign does not document its tracking-domain CA.",
    ),
    EspFacts(
        esp="mailchimp",
        variant="",
        label="Mailchimp",
        guess_suffixes=(".list-manage.com",),
        shared_hosts=("list-manage.com",),
        https_note="Mailchimp Marketing has no custom tracking-domain API or documented target.",
    ),
)


def all_facts() -> tuple[EspFacts, ...]:
    """Every ESP variant."""
    return _FACTS


def variants(esp: str) -> tuple[EspFacts, ...]:
    """The variants of one ESP family, default first."""
    return tuple(facts for facts in _FACTS if facts.esp == esp)


def facts_for(name: str, region: str = "") -> EspFacts | None:
    """The facts for `name` (``mailgun``, ``mailgun-eu``) and an inventory region (``eu``)."""
    name = name.strip().lower()
    for facts in _FACTS:
        if facts.name == name:
            if region.lower() == "eu" and facts.variant == "":
                return facts_for(f"{facts.esp}-eu") or facts
            return facts
    return None


def guess_from_chain(chain: Sequence[str], esp: str | None = None) -> EspFacts | None:
    """The ESP variant whose target the CNAME chain points at most specifically (limited to `esp`)."""
    best: tuple[int, EspFacts] | None = None
    for name in chain:
        for facts in _FACTS:
            if esp is not None and facts.esp != esp:
                continue
            score = facts.matches(name)
            if score and (best is None or score > best[0]):
                best = (score, facts)
    return best[1] if best else None


def shared_tracking_esp(host: str) -> EspFacts | None:
    """The ESP whose shared (default) tracking domain `host` is, if any."""
    host = host.rstrip(".").lower()
    for facts in _FACTS:
        for shared in facts.shared_hosts:
            if host == shared or host.endswith("." + shared):
                return facts
    return None
