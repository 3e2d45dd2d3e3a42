"""Reading an inventory's [settings] and [accounts] tables, reporting every problem on the way."""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import TypeVar

from checks.servers import parse_server
from esp_clients.redaction import insecure_api_problem
from esp_clients.registry import API_ESPS, ENTRIES, KNOWN_ESPS, REGIONS
from tui.inventory.credentials import env_var_name
from tui.inventory.model import Account, Settings
from tui.inventory.source import SourceReader, Where, is_secret_key, suggest, type_word

_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ESP_ONLY = {"subuser": "sendgrid", "subaccount": "sparkpost", "profile": "ses"}
_SETTINGS_KEYS = (
    "resolvers",
    "blocklist_resolvers",
    "expiry_warning_days",
    "timeout",
    "concurrency",
    "read_only",
    "refresh_interval",
    "ca_bundle",
    "blocklists",
    "email_max_domains",
    "history",
    "history_days",
    "click_recent_days",
    "click_drop",
)
_ACCOUNT_KEYS = (
    "esp", "region", "api_base", "allow_insecure_api", "subuser", "subaccount", "profile"
)  # fmt: skip

N = TypeVar("N", int, float)


class TableReader(SourceReader):
    """Reads the [settings] table into Settings and the [accounts] tables into Accounts."""

    def settings(self, raw: object) -> Settings:
        table = self.table(raw, "settings")
        if table is None:
            return Settings()
        where = self.where_in(self.locate.header(("settings",)))
        self.check_keys(table, _SETTINGS_KEYS, "settings", where)
        default = Settings()
        return Settings(
            resolvers=self.servers(table, "resolvers", where),
            blocklist_resolvers=self.servers(table, "blocklist_resolvers", where),
            expiry_warning_days=self.ranged(
                table,
                "expiry_warning_days",
                int,
                bounds=(0, 365),
                where=where,
                default=default.expiry_warning_days,
            ),
            timeout=self.ranged(
                table, "timeout", float, bounds=(0.1, 120), where=where, default=default.timeout
            ),
            concurrency=self.ranged(
                table, "concurrency", int, bounds=(1, 256), where=where, default=default.concurrency
            ),
            read_only=self.flag(table, "read_only", where, default.read_only),
            refresh_interval=self.refresh_interval(table, where),
            ca_bundle=self.ca_bundle(table, where),
            blocklists=self.flag(table, "blocklists", where, default.blocklists),
            email_max_domains=self.ranged(
                table,
                "email_max_domains",
                int,
                bounds=(1, 1000),
                where=where,
                default=default.email_max_domains,
            ),
            history=self.history(table, where),
            history_days=self.ranged(
                table, "history_days", int, bounds=(1, 36_500), where=where, default=400
            ),
            click_recent_days=self.ranged(
                table,
                "click_recent_days",
                int,
                bounds=(1, 14),
                where=where,
                default=default.click_recent_days,
            ),
            click_drop=self.ranged(
                table,
                "click_drop",
                float,
                bounds=(0.1, 0.9),
                where=where,
                default=default.click_drop,
            ),
        )

    def history(self, table: Mapping[str, object], where: Where) -> str | None:
        """`history = "PATH"`, `history = false` (keep none) or nothing (the default file)."""
        if "history" not in table:
            return ""
        value = table["history"]
        if value is False:
            return None
        if isinstance(value, str) and value.strip():
            return os.path.expanduser(value.strip())
        self.add(
            where("history"),
            "settings.history",
            f"must be a file path or false, not {type_word(value)}",
        )
        return ""

    def ranged(
        self,
        table: Mapping[str, object],
        key: str,
        kind: type[N],
        *,
        bounds: tuple[float, float],
        where: Where,
        default: N,
    ) -> N:
        value = self.take(table, key, kind, f"settings.{key}", where)
        if value is None:
            return default
        low, high = bounds
        if not low <= value <= high:
            self.add(where(key), f"settings.{key}", f"must be between {low:g} and {high:g}")
            return default
        return value

    def flag(self, table: Mapping[str, object], key: str, where: Where, default: bool) -> bool:
        value = self.take(table, key, bool, f"settings.{key}", where)
        return default if value is None else value

    def refresh_interval(self, table: Mapping[str, object], where: Where) -> float:
        value = self.ranged(
            table, "refresh_interval", float, bounds=(0, 86_400), where=where, default=0.0
        )
        if 0 < value < 10:
            self.add(
                where("refresh_interval"),
                "settings.refresh_interval",
                "must be 0 (off) or at least 10 seconds",
            )
            return 0.0
        return value

    def ca_bundle(self, table: Mapping[str, object], where: Where) -> str | None:
        value = self.take(table, "ca_bundle", str, "settings.ca_bundle", where)
        if value is not None and not value.strip():
            self.add(where("ca_bundle"), "settings.ca_bundle", "must be a file path, not empty")
            return None
        return os.path.expanduser(value.strip()) if value else None

    def servers(self, table: Mapping[str, object], key: str, where: Where) -> tuple[str, ...]:
        field = f"settings.{key}"
        values = self.take(table, key, list, field, where)
        servers: list[str] = []
        for index, item in enumerate(values or ()):
            try:
                if not isinstance(item, str):
                    raise ValueError(
                        f'must be a string like "127.0.0.1" or "127.0.0.1:5353", '
                        f"not {type_word(item)}"
                    )
                parse_server(item)
            except ValueError as error:
                self.add(where(key), f"{field}[{index}]", str(error))
                continue
            servers.append(item.strip())
        return tuple(servers)

    def accounts(self, raw: object) -> tuple[frozenset[str], dict[str, Account]]:
        """The declared account names and the valid accounts."""
        table = self.table(raw, "accounts")
        if table is None:
            return frozenset(), {}
        section = self.locate.header(("accounts",))
        accounts: dict[str, Account] = {}
        variables: dict[str, str] = {}
        for name, body in table.items():
            if is_secret_key(name):
                continue
            anchor = self.locate.header(("accounts", name))
            if anchor is None:  # an inline table under [accounts]; searched only when needed
                anchor = self.locate.key(name, section)
            account = self.account(name, body, anchor)
            variable = env_var_name(name)
            if variable in variables:
                self.add(
                    anchor,
                    f"accounts.{name}",
                    f"shares the environment variable {variable} "
                    f"with account {variables[variable]!r}; rename one of them",
                )
            variables.setdefault(variable, name)
            if account is not None:
                accounts[name] = account
        return frozenset(table), accounts

    def account(self, name: str, body: object, anchor: int | None) -> Account | None:
        field = f"accounts.{name}"
        named_well = bool(_ACCOUNT_NAME.fullmatch(name))
        if not named_well:
            self.add(
                anchor,
                field,
                "an account name may hold only letters, digits, '.', '_' and "
                "'-', and starts with a letter or digit",
            )
        if not isinstance(body, dict):
            self.add(anchor, field, f'must be a table with esp = "…", not {type_word(body)}')
            return None
        where = self.where_in(anchor)
        self.check_keys(body, _ACCOUNT_KEYS, field, where, required=("esp",))
        esp = self.esp(body, field, where)
        region = self.region(body, esp, field, where)
        allow_insecure = self.take(
            body, "allow_insecure_api", bool, f"{field}.allow_insecure_api", where
        )
        api_base = self.api_base(body, esp, field, where, allow_insecure=bool(allow_insecure))
        subuser, subaccount, profile = (
            self.esp_only(body, key, esp, field, where)
            for key in ("subuser", "subaccount", "profile")
        )
        if esp is None or not named_well:
            return None
        return Account(
            name=name,
            esp=esp,
            region=region,
            api_base=api_base,
            allow_insecure_api=bool(allow_insecure),
            subuser=subuser,
            subaccount=subaccount,
            profile=profile,
        )

    def esp(self, body: Mapping[str, object], field: str, where: Where) -> str | None:
        value = self.take(body, "esp", str, f"{field}.esp", where)
        if value is None or value in KNOWN_ESPS:
            return value
        known = sorted(KNOWN_ESPS)
        message = f"unknown ESP {value!r}{suggest(value, known)} (known ESPs: {', '.join(known)})"
        self.add(where("esp"), f"{field}.esp", message)
        return None

    def region(self, body: Mapping[str, object], esp: str | None, field: str, where: Where) -> str:
        value = self.take(body, "region", str, f"{field}.region", where)
        if esp is None or ("region" in body and value is None):
            return ""
        problem = _region_problem(esp, value)
        if problem is not None:
            self.add(where("region"), f"{field}.region", problem)
            return ""
        return value or REGIONS.get(esp, ("",))[0]

    def api_base(
        self,
        body: Mapping[str, object],
        esp: str | None,
        field: str,
        where: Where,
        *,
        allow_insecure: bool,
    ) -> str | None:
        """The API address: an http(s) URL without a user or password, https unless loopback or
        the account opts in."""
        value = self.take(body, "api_base", str, f"{field}.api_base", where)
        if value is None:
            return None
        problem = None
        if esp is not None and esp not in API_ESPS:
            problem = f"{esp} has no API trackdeck uses (it is checked through DNS only); remove it"
        elif _has_userinfo(value):
            problem = (
                "holds a user name or password (not repeated here); put the API key in the "
                f"keyring instead: trackdeck creds set {field.removeprefix('accounts.')}"
            )
        elif not _is_http_url(value):
            problem = f"{value!r} is not a URL like https://api.eu.example.com"
        else:
            problem = insecure_api_problem(value, allowed=allow_insecure)
        if problem is not None:
            self.add(where("api_base"), f"{field}.api_base", problem)
            return None
        return value.rstrip("/")

    def esp_only(
        self, body: Mapping[str, object], key: str, esp: str | None, field: str, where: Where
    ) -> str | None:
        """`subuser` (SendGrid), `subaccount` (SparkPost) or `profile` (SES), as a string."""
        if key not in body:
            return None
        value, owner = body[key], _ESP_ONLY[key]
        problem = None
        if esp is not None and esp != owner:
            problem = f"applies to {owner} accounts only"
        elif key == "subaccount":
            valid = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            valid = valid or (isinstance(value, str) and value.isascii() and value.isdigit())
            problem = None if valid else "must be the SparkPost subaccount id, a whole number"
        elif not isinstance(value, str) or not value.strip():
            problem = f"must be a non-empty string, not {type_word(value)}"
        if problem is not None:
            self.add(where(key), f"{field}.{key}", problem)
            return None
        return str(value).strip()


def _region_problem(esp: str, region: str | None) -> str | None:
    """What is wrong with `region` for `esp`, or None."""
    entry = ENTRIES.get(esp)
    if entry is not None and entry.aws_regions:
        if region is None:
            return f'{esp} accounts need their AWS region, e.g. region = "eu-west-1"'
        return (
            None
            if entry.accepts(region)
            else f'{region!r} is not an AWS region name like "eu-west-1"'
        )
    names = REGIONS.get(esp, ())
    if not region or region in names:
        return None
    if not names:
        return f"{esp} accounts have no region; remove it"
    return f"{region!r} is not a {esp} region; use one of: {', '.join(names)}"


def _has_userinfo(value: str) -> bool:
    """Whether the URL `value` carries a `user:password@`."""
    try:
        return "@" in urllib.parse.urlsplit(value).netloc
    except ValueError:
        return "@" in value


def _is_http_url(value: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
