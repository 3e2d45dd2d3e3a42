"""The demo fleet's ESP accounts, served in process with states that show every `esp.*` finding (and
an HTTPS flow that really runs), and the offline credential store of a simulated world."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from esp_clients import API_ESPS
from tui.inventory.credentials import CredentialStore, env_var_name
from tui.sim.demo_fleet import DEMO_ACCOUNTS, DEMO_FLEET
from tui.sim.esp_apis.click_profile import STEADY, ClickProfile
from tui.sim.esp_apis.simulated import SimDomain, SimulatedEsp, SimulatedEsps

ESP_STATES: Mapping[str, Mapping[str, object]] = {
    "email.bluebell.example": {"https": False, "certificate": "none"},
    "links.bluebell.example": {
        "verified": False,
        "cname_valid": False,
        "https": False,
        "certificate": "none",
        "problems": ("CNAME record not found: the name answers with Cloudflare addresses",),
    },
    "links.foxglove.example": {
        "verified": False,
        "cname_valid": False,
        "https": False,
        "certificate": "none",
        "problems": ("NXDOMAIN for links.foxglove.example",),
    },
    "links.globex.example": {"cname_valid": False, "verified": False, "https": False},
    "go.driftwood.example": {"certificate": "failed", "problems": ("acme:rejected_identifier",)},
    "email.foxglove.example": {"certificate": "pending", "polls_until_active": 1_000_000},
}
"""How each ESP sees a demo host, where it differs from verified with HTTPS on."""

NOT_AT_THE_ESP = frozenset({"links-tx.copperleaf.example"})
"""Hosts the inventory lists but their ESP account does not have (`esp.not_found`)."""

UNTRACKED = {"acme-mg-eu": ("old-links.acme.example",)}
"""Tracking domains an ESP account has that the inventory forgot (`esp.untracked`)."""

NO_SECRET = frozenset({"orchard-mg"})
"""Accounts with no API key stored (`esp.no_credentials`)."""

REFUSED_KEY = frozenset({"marigold-mg"})
"""Accounts whose ESP refuses the stored key (`esp.auth_failed`)."""


CLICK_PROFILES: Mapping[str, ClickProfile] = {
    "lumen-sg": ClickProfile(delivered=6000, rate=0.034, recent_rate=0.006),
    "globex-sp": ClickProfile(delivered=5000, rate=0.028, recent_delivered=900, recent_rate=0.01),
    "acme-mandrill": ClickProfile(delivered=40, rate=0.05),
    "evergreen-mg-eu": ClickProfile(click_tracking=False, rate=0.0005),
    "globex-ses": ClickProfile(vdm=False),
}
"""What the demo's accounts count per day, where it differs from steady traffic: Lumen Lighting's
SendGrid account (whose links.lumen.example the DBL lists) lost most of its clicks in the last three
days while it delivered as much as ever (`esp.click_rate_drop`, the one drop); Globex's SparkPost
account sent far less and its clicks fell with the volume (a dip, not flagged); Acme's Mandrill
account sends 40 messages a day (too little to judge); Evergreen's Mailgun EU account has click
tracking off; Globex's SES account has no Virtual Deliverability Manager (no click counts)."""


def click_profile(account: str) -> ClickProfile:
    """The demo account's traffic, its noise seeded by the account's name."""
    return dataclasses.replace(CLICK_PROFILES.get(account, STEADY), seed=account)


def simulated_esps() -> SimulatedEsps:
    """Every API account of the demo, with its domains in the states above."""
    esps = []
    for account in DEMO_ACCOUNTS:
        if account.esp not in API_ESPS:
            continue
        hosts = [
            entry.host
            for entry in DEMO_FLEET
            if entry.account == account.name and entry.host not in NOT_AT_THE_ESP
        ]
        hosts += UNTRACKED.get(account.name, ())
        domains = [_sim_domain(host, account.esp) for host in hosts]
        fail_with = 401 if account.name in REFUSED_KEY else None
        esps.append(
            SimulatedEsp(
                account.esp,
                account.name,
                domains,
                region=account.region,
                fail_with=fail_with,
                clicks=click_profile(account.name),
            )
        )
    return SimulatedEsps(esps)


def _sim_domain(host: str, esp: str) -> SimDomain:
    state: dict[str, object] = {"https": True, "certificate": "active"}
    if esp in ("mandrill", "resend"):
        state = {}
    state.update(ESP_STATES.get(host, {}))
    domain = SimDomain(host=host)
    for name, value in state.items():
        setattr(domain, name, value)
    return domain


def demo_store() -> CredentialStore:
    """Fake API keys for the demo accounts, in an environment of their own (never the user's)."""
    environ = {
        env_var_name(account.name): _fake_secret(account.name, account.esp)
        for account in DEMO_ACCOUNTS
        if account.esp in API_ESPS and account.name not in NO_SECRET
    }
    return offline_store(environ)


def offline_store(environ: Mapping[str, str]) -> CredentialStore:
    """A credential store that knows only `environ`: never the user's keyring or AWS chain (the
    demo's and the benchmark's simulated accounts)."""
    return CredentialStore(
        environ=environ, keyring_backend=_NoKeyring(), aws_credentials_loader=_no_aws
    )


def _fake_secret(account: str, esp: str) -> str:
    if esp == "ses":
        return "DEMO-ACCESS-KEY-ID:demo-secret-for-the-simulated-world"
    return f"demo-key-{account}"


def _no_aws(_profile: str) -> None:
    return None


class _NoKeyring:
    """A simulated world never touches the user's keyring."""

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("a simulated world stores no secrets")

    def delete_password(self, service: str, username: str) -> None:
        return None
