"""Build the checks' `CheckContext` from command-line options (and, later, inventory settings)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from checks.context import BlocklistSettings, CheckContext, Dialer, direct_dialer
from checks.servers import parse_server

if TYPE_CHECKING:
    from checks.servers import Server

DQS_ACCOUNT = "spamhaus-dqs"
"""The keyring user (and TRACKDECK_SECRET_SPAMHAUS_DQS variable) of the Spamhaus DQS key."""


class ConfigError(ValueError):
    """A setting that cannot be used, with a message fit for the user."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkOptions:
    """Every network setting, from the command line or the inventory's [settings]."""

    resolvers: tuple[str, ...] = ()
    blocklist_resolvers: tuple[str, ...] = ()
    ca_bundle: str | None = None
    timeout: float = 2.0
    concurrency: int = 32
    blocklists: bool = True
    expiry_warning_days: int = 21
    dqs_key: str | None = field(default=None, repr=False)


def _stored_dqs_key() -> str | None:
    """The Spamhaus DQS key from TRACKDECK_SECRET_SPAMHAUS_DQS or the keyring (`spamhaus-dqs`)."""
    from tui.inventory.credentials import CredentialStore  # noqa: PLC0415 - keyring loads only when needed

    return CredentialStore().named_secret(DQS_ACCOUNT)


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """How trackdeck reaches the outside world: the real network, or a simulated loopback world
    (the demo and the tests redirect TLS connections and authoritative DNS questions to loopback)."""

    dialer: Dialer = direct_dialer
    authoritative_port: int = 53
    dqs_key: Callable[[], str | None] = _stored_dqs_key


REAL_NETWORK = Environment()


def parse_servers(texts: Sequence[str], what: str) -> tuple[Server, ...]:
    """Parse resolver addresses, naming the option in the error."""
    try:
        return tuple(parse_server(text) for text in texts)
    except ValueError as error:
        raise ConfigError(f"{what}: {error}") from None


def check_options(options: NetworkOptions) -> None:
    """ConfigError for unusable values, without building anything (the dashboard checks them before
    its first frame; whether /etc/resolv.conf names a resolver is known when a scan starts)."""
    if options.timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds")
    if options.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if options.ca_bundle is not None and not _readable(options.ca_bundle):
        raise ConfigError(f"--ca-bundle {options.ca_bundle}: cannot read that file")
    parse_servers(options.resolvers, "--resolver")
    parse_servers(options.blocklist_resolvers, "--blocklist-resolver")


def build_context(options: NetworkOptions, environment: Environment = REAL_NETWORK) -> CheckContext:
    """The CheckContext for these options; ConfigError for unusable values."""
    check_options(options)
    from checks.dnsclient import DnsClient, system_nameservers  # noqa: PLC0415 - dnspython loads with the first scan

    servers = parse_servers(options.resolvers, "--resolver") or system_nameservers()
    if not servers:
        raise ConfigError("no resolver: /etc/resolv.conf has none; give --resolver IP")
    list_servers = parse_servers(options.blocklist_resolvers, "--blocklist-resolver") or servers
    dqs_key = options.dqs_key or environment.dqs_key()
    return CheckContext(
        resolver=DnsClient(servers, timeout=options.timeout),
        blocklist_resolver=DnsClient(list_servers, timeout=options.timeout),
        authoritative_port=environment.authoritative_port,
        authoritative_timeout=options.timeout,
        dialer=environment.dialer,
        ca_bundle=options.ca_bundle,
        connect_timeout=max(options.timeout * 2, 3.0),
        expiry_warning_days=options.expiry_warning_days,
        blocklists=BlocklistSettings(enabled=options.blocklists, dqs_key=dqs_key),
    )


def _readable(path: str) -> bool:
    candidate = Path(path)
    if not candidate.is_file():
        return False
    try:
        with candidate.open("rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True
