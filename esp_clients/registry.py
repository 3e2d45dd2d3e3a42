"""Every ESP trackdeck knows, whether it has an API client, and each API ESP's regions.

This table is the one place that says so: the inventory, the `--esp` choices, the ESP facts and
`make_client` all read it. It imports nothing heavy (no httpx, no botocore) so that the dashboard
starts without them; a client's module is imported only when a client is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

AWS_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
"""An AWS region name such as ``eu-west-1`` (matched whole)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EspEntry:
    """One ESP: its inventory name, its client class (if any) and the regions it takes."""

    name: str
    client: str = ""
    """The API client as ``module:Class``; empty when trackdeck checks the ESP through DNS only."""
    regions: tuple[str, ...] = ()
    """The region names an account may give, default first; empty when the ESP has none."""
    aws_regions: bool = False
    """Whether the region is any AWS region name (SES) rather than one of `regions`."""

    @property
    def has_api(self) -> bool:
        """Whether trackdeck asks this ESP's API about tracking domains."""
        return bool(self.client)

    @property
    def module(self) -> str:
        """The module that holds the client class."""
        return self.client.partition(":")[0]

    @property
    def class_name(self) -> str:
        """The client class's name in `module`."""
        return self.client.partition(":")[2]

    def accepts(self, region: str) -> bool:
        """Whether `region` (already defaulted) names one of this ESP's regions."""
        return bool(AWS_REGION.fullmatch(region)) if self.aws_regions else region in self.regions


REGISTRY: tuple[EspEntry, ...] = (
    EspEntry(
        name="sendgrid", client="esp_clients.sendgrid:SendGridClient", regions=("global", "eu")
    ),
    EspEntry(name="mailgun", client="esp_clients.mailgun:MailgunClient", regions=("us", "eu")),
    EspEntry(
        name="sparkpost", client="esp_clients.sparkpost:SparkPostClient", regions=("us", "eu")
    ),
    EspEntry(name="mandrill", client="esp_clients.mandrill:MandrillClient"),
    EspEntry(name="ses", client="esp_clients.ses:SesClient", aws_regions=True),
    EspEntry(name="resend", client="esp_clients.resend:ResendClient"),
    EspEntry(name="postmark"),
    EspEntry(name="mailjet"),
    EspEntry(name="brevo"),
    EspEntry(name="klaviyo"),
    EspEntry(name="hubspot"),
    EspEntry(name="activecampaign"),
    EspEntry(name="mailchimp"),
)
"""Every ESP, in the order the `--esp` help lists them."""

ENTRIES: Mapping[str, EspEntry] = {entry.name: entry for entry in REGISTRY}
ESPS: tuple[str, ...] = tuple(ENTRIES)
"""Every ESP name the inventory and `--esp` accept, in the registry's order."""
KNOWN_ESPS = frozenset(ESPS)
API_ESPS = frozenset(entry.name for entry in REGISTRY if entry.has_api)
"""The ESPs whose API trackdeck can ask about tracking domains."""
DNS_ONLY_ESPS = KNOWN_ESPS - API_ESPS
REGIONS: Mapping[str, tuple[str, ...]] = {
    entry.name: entry.regions for entry in REGISTRY if entry.regions
}
"""Each ESP's region names, default first; SES takes any AWS region name; the others none."""
