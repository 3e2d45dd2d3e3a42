"""Classifying a message's hosts, decoding ESP redirects, the email.* findings, and the audit's checks
against the loopback DNS world (blocklist zones included)."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import zlib

import pytest
from rich.console import Console

from checks.context import BlocklistSettings, CheckContext
from checks.model import Finding, Severity
from tests.support.data import EMAILS
from tests.support.worlds import DnsWorld
from tui.email.audit import audit_message, plan_audit
from tui.email.document import audit_json
from tui.email.links import decode_destination, match_shape
from tui.email.model import (
    DESTINATION,
    IMAGE,
    IP_LITERAL,
    SHARED,
    SHORTENER,
    TRACKING,
    DomainRow,
    EmailAudit,
)
from tui.email.output import write_report
from tui.email.parse import parse_input
from tui.inventory.load import load_inventory, parse_inventory
from tui.inventory.model import Inventory, InventoryError


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(EMAILS / "inventory.toml")


def planned(name: str, inventory: Inventory | None = None, max_domains: int = 10) -> EmailAudit:
    message = parse_input((EMAILS / name).read_bytes())
    return plan_audit(message, source=name, inventory=inventory, max_domains=max_domains)


def row(audit: EmailAudit, host: str) -> DomainRow:
    return next(item for item in audit.domains if item.host == host)


def finding(audit: EmailAudit, code: str) -> Finding:
    return next(item for item in audit.findings if item.code == code)


def codes(audit: EmailAudit) -> set[str]:
    return {item.code for item in audit.findings}


# --- ESP link shapes and decoding ----------------------------------------------------------------


def test_ses_destination_is_read_from_the_percent_encoded_path() -> None:
    url = (
        "https://k3x9q2ab.r.us-east-1.awstrack.me/L0/https:%2F%2Fwww.brand.example%2Fa%3Fb=1/1/"
        "0100018f-aa/Zx1=401"
    )
    shape = match_shape(url)
    assert shape is not None and (shape.esp, shape.kind) == ("ses", "click")
    decoded = decode_destination(url, shape)
    assert decoded.destination == "https://www.brand.example/a?b=1"
    assert decoded.how == "percent-encoded in the path"


def test_mandrill_destination_is_read_from_json_inside_base64_json() -> None:
    inner = json.dumps({"u": 1, "url": "https://shop.brand.example/x"}).replace("/", "\\/")
    token = base64.urlsafe_b64encode(json.dumps({"s": "sig", "p": inner}).encode()).decode()
    url = f"https://mandrillapp.com/track/click/30918273/shop.brand.example?p={token.rstrip('=')}"
    decoded = decode_destination(url, match_shape(url))
    assert decoded.destination == "https://shop.brand.example/x"
    assert decoded.how == "base64 in the p= parameter"


def test_postmark_destination_has_no_scheme_in_the_path() -> None:
    url = "https://click.pstmrk.it/2s/www.brand.example%2Fwinter/Rk2Lp8Qw/Xc4v/Nb7Mq1Wz3E"
    assert (
        decode_destination(url, match_shape(url)).destination == "https://www.brand.example/winter"
    )


def test_generic_redirect_parameter_and_zlib_base64_token_are_decoded() -> None:
    param = "https://go.example/redirect?url=https%3A%2F%2Fshop.example%2Fx"
    assert decode_destination(param, None).destination == "https://shop.example/x"
    packed = zlib.compress(json.dumps({"l": "https://www.brand.example/z"}).encode())
    token = base64.urlsafe_b64encode(packed).decode().rstrip("=")
    decoded = decode_destination(f"https://t.example/c/{token}", None)
    assert decoded.destination == "https://www.brand.example/z"
    assert decoded.how == "base64 in the path"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://url1234.brand.example/ls/click?upn=u001.Aa1Bb2-3D-3Dx1_Yz", "SendGrid's upn token is opaque"),
        ("https://b.us1.list-manage.com/track/click?u=7f3e2d1c0b9a8f7e6d5c4b3a2&id=9a8b7c6d5e", "Mailchimp's link ids are opaque"),
        ("https://email.brand.example/c/" + "eJwczEEKwjAQheG7zLozpLbJbLzKmKZmAaaSqQpe3u" * 2, "Mailgun's token is opaque"),
        ("https://t.example/r/Zq3Xw8Yt2Lk6Mn0P", "an opaque token, or not a redirect"),
    ],
)  # fmt: skip
def test_undecodable_redirects_say_so(url: str, reason: str) -> None:
    decoded = decode_destination(url, match_shape(url))
    assert decoded.destination is None
    assert decoded.how.startswith("not in the URL") and reason in decoded.how


@pytest.mark.parametrize(
    ("url", "esp", "kind"),
    [
        ("https://u1.ct.sendgrid.net/ls/click?upn=u001.x", "sendgrid", "click"),
        ("https://url9.brand.example/wf/open?upn=u001.x", "sendgrid", "open"),
        ("https://a.r.us-east-1.awstrack.me/I0/0100-x/y=1", "ses", "open"),
        ("https://track.brand.example/CL0/https:%2F%2Fx.example/1/y", "ses", "click"),
        ("https://b.us1.list-manage.com/track/open.php?u=1&id=2&e=3", "mailchimp", "open"),
        ("https://mandrillapp.com/track/open.php?u=30918273&id=5c4b", "mandrill", "open"),
        ("https://email.brand.example/o/" + "A" * 40, "mailgun", "open"),
        ("https://go.brand.example/q/Zq3Xw8Yt2Lk6Mn0Pb4Vc~~", "sparkpost", "open"),
        ("https://d1.na1.hubspotlinks.com/Ctc/L1+113/d1/x", "hubspot", "click"),
        ("https://x.mjt.lu/lnk/AUsAAA/1/abc", "mailjet", "click"),
    ],
)
def test_each_esps_url_shape(url: str, esp: str, kind: str) -> None:
    shape = match_shape(url)
    assert shape is not None and (shape.esp, shape.kind) == (esp, kind)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/c/HarbourCoffee",
        "https://stackoverflow.com/q/12345",
        "https://www.brand.example/track/clicks",
        "https://www.brand.example/ls/click",
    ],
)
def test_ordinary_urls_are_not_taken_for_tracking_urls(url: str) -> None:
    assert match_shape(url) is None


# --- classification and findings (no network) -----------------------------------------------------


def test_branded_only_message_with_the_inventory(inventory: Inventory) -> None:
    audit = planned("branded_sendgrid.eml", inventory)
    assert audit.tracking.verdict == "branded"
    assert audit.tracking.branded == ("links-sg.brand.example",)
    tracking = row(audit, "links-sg.brand.example")
    assert tracking.role.role == TRACKING
    assert (tracking.role.brand, tracking.role.esp) == ("Harbour Coffee", "sendgrid")
    assert tracking.role.fleet_key == "hc-sendgrid/links-sg.brand.example"
    assert row(audit, "img.brand.example").role.role == IMAGE
    ok = finding(audit, "email.branded_tracking")
    assert ok.severity is Severity.OK and "links-sg.brand.example" in ok.title
    assert codes(audit) == {"email.branded_tracking"}


IDN_MESSAGE = """\
From: Harbour Coffee <news@brand.example>
Subject: Herbstsorten
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<p><a href="https://links.straße.de/ls/click?upn=u001.Pq7Rk2LmX9vT4wZ8nB1cD5eF">Kaufen</a></p>
<p><img src="https://img.brand.example/logo.png" alt="" width="180" height="60"></p>
""".encode()


def test_an_internationalised_host_is_shown_beside_its_a_label() -> None:
    """`links.straße.de` in the message and the inventory is one host, the A-label DNS is asked
    about; the table and the JSON show its Unicode form beside it (ASCII hosts get none)."""
    inventory = parse_inventory(
        '[accounts.hc-sendgrid]\nesp = "sendgrid"\n\n[[brands]]\nname = "Harbour Coffee"\n'
        'tracking = [{ host = "links.straße.de", account = "hc-sendgrid" }]\n'
    )
    audit = plan_audit(parse_input(IDN_MESSAGE), source="m", inventory=inventory)
    tracking = row(audit, "links.xn--strae-oqa.de")
    assert (tracking.role.role, tracking.role.fleet_key) == (
        TRACKING,
        "hc-sendgrid/links.xn--strae-oqa.de",
    )
    out = io.StringIO()
    write_report(audit, Console(file=out, width=160, color_system=None))
    text = out.getvalue()
    assert "links.xn--strae-oqa.de (links.straße.de)   branded · SendGrid" in text
    assert "uses links.xn--strae-oqa.de (links.straße.de)" in text
    assert "img.brand.example (" not in text
    document = json.loads(json.dumps(audit_json(audit)))  # as --json writes it
    domains = {item["host"]: item for item in document["domains"]}
    assert domains["links.xn--strae-oqa.de"]["host_unicode"] == "links.straße.de"
    assert "host_unicode" not in domains["img.brand.example"]
    [link] = [item for item in document["links"] if item["role"] == TRACKING]
    assert (link["host"], link["host_unicode"]) == ("links.xn--strae-oqa.de", "links.straße.de")


def test_a_branded_host_outside_the_inventory_is_known_by_its_url_shape() -> None:
    audit = planned("sparkpost_flowed.eml")
    tracking = row(audit, "links-sp.brand.example")
    assert (tracking.role.role, tracking.role.esp, tracking.role.fleet_key) == (
        TRACKING,
        "sparkpost",
        "",
    )
    assert all(
        link.decoding == "not in the URL: SparkPost's token is opaque" for link in audit.links
    )


def test_shared_only_message_decodes_destinations_and_says_how_to_brand() -> None:
    audit = planned("shared_ses.eml")
    assert audit.tracking.verdict == "shared"
    shared = finding(audit, "email.shared_tracking_domain")
    assert shared.severity is Severity.WARN
    assert "2 links and the open pixel go through Amazon SES's shared" in shared.title
    assert "Set up a custom tracking domain at Amazon SES: links.brand.example" in shared.fix
    destination = row(audit, "www.brand.example")
    assert (destination.role.role, destination.urls, destination.behind) == (DESTINATION, 0, 2)
    assert destination.sources == ("decoded",)
    assert "email.mixed_tracking" not in codes(audit)


def test_mixed_tracking_names_the_shared_parts_and_the_untracked_links(
    inventory: Inventory,
) -> None:
    audit = planned("mixed_sendgrid.eml", inventory)
    assert audit.tracking.verdict == "mixed"
    assert codes(audit) == {
        "email.mixed_tracking",
        "email.shared_tracking_domain",
        "email.untracked_link",
        "email.http_link",
        "email.unaligned",
    }
    mixed = finding(audit, "email.mixed_tracking")
    assert "1 link and the open pixel through the shared u2017411.ct.sendgrid.net" in mixed.title
    assert "make them use links-sg.brand.example" in mixed.fix
    shared = finding(audit, "email.shared_tracking_domain")
    assert shared.fix.startswith("Link branding is set up (links-sg.brand.example)")
    untracked = finding(audit, "email.untracked_link")
    assert untracked.title == "2 of 6 links skipped click tracking"
    assert untracked.evidence == (
        "text/plain text: https://www.brand.example/stores",
        "text/html href: https://www.brand.example/stores",
    )
    http = finding(audit, "email.http_link")
    assert http.title == "1 image on img.brand.example uses plain http://"
    assert finding(audit, "email.unaligned").severity is Severity.INFO


def test_mandrill_shared_links_decode_to_their_destinations() -> None:
    audit = planned("mandrill_latin1.eml")
    destinations = {link.destination for link in audit.links if link.destination}
    assert destinations == {
        "https://www.brand.example/cafés?src=mail",
        "https://shop.brand.example/gift-cards",
    }
    assert row(audit, "mandrillapp.com").role.role == SHARED
    pixel = [link for link in audit.links if link.is_pixel]
    assert [link.decoding for link in pixel] == ["an open-tracking pixel has no destination"]


def test_mailchimp_images_cdn_and_many_domains_threshold() -> None:
    audit = planned("mailchimp_css.eml", max_domains=2)
    assert row(audit, "mcusercontent.com").role.role == IMAGE
    assert row(audit, "brand.us1.list-manage.com").role.role == SHARED
    many = finding(audit, "email.many_domains")
    assert many.severity is Severity.WARN
    assert many.title == "3 distinct outside domains (more than 2)"
    assert set(many.evidence) == {"list-manage.com", "mcusercontent.com", "cdn-assets.example"}
    assert "email.many_domains" not in codes(planned("mailchimp_css.eml"))


def test_shortener_ip_link_and_untracked_links() -> None:
    audit = planned("mailgun_problems.eml")
    assert row(audit, "bit.ly").role.role == SHORTENER
    assert row(audit, "192.0.2.10").role.role == IP_LITERAL
    ip_link = finding(audit, "email.ip_link")
    assert ip_link.severity is Severity.FAIL
    assert ip_link.title == "2 links go to the IP address 192.0.2.10"
    assert finding(audit, "email.shortener").title == "2 links go through the URL shortener bit.ly"
    assert finding(audit, "email.untracked_link").title == "6 of 9 links skipped click tracking"
    assert "2 links on 192.0.2.10 use plain http://" in finding(audit, "email.http_link").title
    assert audit.findings[0].severity is Severity.FAIL


def test_a_shortener_behind_the_tracking_redirect_is_found() -> None:
    audit = planned("newsletter.html")
    shortener = finding(audit, "email.shortener")
    assert shortener.title.endswith("bit.ly (behind the tracking redirect)")
    assert row(audit, "bit.ly").behind == 1
    assert audit.org_domains == ()
    assert "email.unaligned" not in codes(audit)


def test_a_branded_ses_host_decodes_its_destinations() -> None:
    audit = planned("ses_branded.eml")
    assert audit.tracking.verdict == "branded"
    assert [link.destination for link in audit.links] == [
        "https://www.brand.example/ja/autumn",
        "https://www.brand.example/ja/stores",
    ]


# --- the checks on the loopback world --------------------------------------------------------------


def with_lists(world: DnsWorld) -> CheckContext:
    return world.context(blocklists=BlocklistSettings())


def test_listed_domains_fail_and_the_tracking_host_gets_the_full_check(
    world: DnsWorld, inventory: Inventory
) -> None:
    message = parse_input((EMAILS / "mailgun_problems.eml").read_bytes())
    audit = audit_message(message, with_lists(world), source="m", inventory=inventory)
    spammy = row(audit, "www.spammy.example")
    assert spammy.lists == "listed"
    listed = next(item for item in spammy.findings if item.code == "blocklist.listed")
    assert listed.severity is Severity.FAIL and "Spamhaus DBL" in listed.title
    assert row(audit, "offers.phished.example").lists == "listed"
    tracking = row(audit, "links-mg.brand.example")
    assert tracking.report is not None
    assert {"dns.ok", "caa.ok", "blocklist.clean"} <= set(tracking.report.codes())
    assert row(audit, "bit.ly").lists == "clean"
    assert audit.health is Severity.FAIL


def test_every_host_is_checked_with_one_shared_answer_cache(world: DnsWorld) -> None:
    message = parse_input((EMAILS / "mailchimp_css.eml").read_bytes())
    audit = audit_message(message, with_lists(world), source="m", concurrency=2)
    assert all(item.lists == "clean" for item in audit.domains)
    assert world.resolver.count("dbltest.com.dbl.spamhaus.org") == 1
    assert world.resolver.count("test.surbl.org.multi.surbl.org") == 1
    assert world.resolver.count("mcusercontent.com.multi.surbl.org") == 1


def test_lists_switched_off_are_not_asked_never_clean(world: DnsWorld) -> None:
    message = parse_input((EMAILS / "shared_ses.eml").read_bytes())
    audit = audit_message(message, world.context(), source="m")
    assert {item.lists for item in audit.domains} == {"not_checked"}
    assert world.resolver.count() == 0


class ExplodingResolver:
    """A blocklist resolver with a bug: every question raises."""

    servers = (("192.0.2.53", 53),)
    health = deadline = None

    def with_cache(self, cache: object, health: object = None) -> ExplodingResolver:
        return self

    def with_deadline(self, deadline: object) -> ExplodingResolver:
        return self

    def query(self, name: str, rdtype: str, *, recursive: bool = True) -> object:
        raise RuntimeError("simulated bug")


def test_a_bug_in_one_hosts_check_becomes_an_unknown_finding(world: DnsWorld) -> None:
    broken = dataclasses.replace(with_lists(world), blocklist_resolver=ExplodingResolver())  # type: ignore[arg-type]  # a DnsClient stand-in
    message = parse_input((EMAILS / "shared_ses.eml").read_bytes())
    audit = audit_message(message, broken, source="m")
    crashed = [item for row_ in audit.domains for item in row_.findings]
    assert {item.code for item in crashed} == {"check.crashed"}
    assert "simulated bug" in crashed[0].detail
    assert audit.health is Severity.UNKNOWN


def test_the_threshold_is_an_inventory_setting() -> None:
    text = (
        (EMAILS / "inventory.toml")
        .read_text()
        .replace("email_max_domains = 10", "email_max_domains = 2")
    )
    assert parse_inventory(text).settings.email_max_domains == 2
    with pytest.raises(InventoryError, match=r"settings\.email_max_domains: must be between 1"):
        parse_inventory(text.replace("email_max_domains = 2", "email_max_domains = 0"))
