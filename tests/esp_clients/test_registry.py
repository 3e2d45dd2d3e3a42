"""The ESP registry's own invariants: facts, client classes and regions all agree with it."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from esp_clients import make_client
from esp_clients.base import AccountRef
from esp_clients.client import ApiClient
from esp_clients.facts import all_facts
from esp_clients.registry import (
    API_ESPS,
    AWS_REGION,
    DNS_ONLY_ESPS,
    ENTRIES,
    ESPS,
    KNOWN_ESPS,
    REGIONS,
    REGISTRY,
)
from tests.support.data import REPO


def test_names_are_unique_and_split_into_api_and_dns_only() -> None:
    assert len(ESPS) == len(REGISTRY) == len(KNOWN_ESPS)
    assert API_ESPS | DNS_ONLY_ESPS == KNOWN_ESPS
    assert API_ESPS.isdisjoint(DNS_ONLY_ESPS)
    assert API_ESPS and DNS_ONLY_ESPS
    assert all(name == name.lower() and name.isalpha() for name in ESPS)


def test_every_fact_is_about_a_registered_esp_and_every_esp_has_facts() -> None:
    assert {facts.esp for facts in all_facts()} == KNOWN_ESPS
    for facts in all_facts():
        assert facts.has_api is (facts.esp in API_ESPS), facts.name


@pytest.mark.parametrize("esp", sorted(API_ESPS))
def test_every_api_esp_names_a_module_holding_its_client_class(esp: str) -> None:
    entry = ENTRIES[esp]
    assert entry.module == f"esp_clients.{esp}"
    client = getattr(importlib.import_module(entry.module), entry.class_name)
    assert isinstance(client, type) and issubclass(client, ApiClient)
    assert client.esp == esp
    if entry.aws_regions:
        assert not client.bases, "an AWS-region client builds its URL from the region"
    else:
        assert set(client.bases) == (set(entry.regions) or {""}), "a base URL per region"


def test_dns_only_esps_have_no_client_and_no_regions() -> None:
    for name in DNS_ONLY_ESPS:
        entry = ENTRIES[name]
        assert (entry.client, entry.regions, entry.aws_regions) == ("", (), False)


def test_declared_regions_are_named_distinct_and_default_first() -> None:
    assert set(REGIONS) == {entry.name for entry in REGISTRY if entry.regions}
    for name, regions in REGIONS.items():
        assert regions and all(regions), name
        assert len(set(regions)) == len(regions), name
        assert ENTRIES[name].has_api and not ENTRIES[name].aws_regions
        assert ENTRIES[name].accepts(regions[0])
    assert REGIONS["sendgrid"][0] == "global" and REGIONS["mailgun"][0] == "us"
    assert [entry.name for entry in REGISTRY if entry.aws_regions] == ["ses"]


@pytest.mark.parametrize("region", ["eu-west-1", "us-gov-west-1", "ap-southeast-2"])
def test_aws_region_names_are_accepted(region: str) -> None:
    assert ENTRIES["ses"].accepts(region)


@pytest.mark.parametrize("region", ["", "eu", "EU-WEST-1", "eu-west-1\n", "evil.example.com/x"])
def test_other_names_are_not_aws_regions(region: str) -> None:
    assert not AWS_REGION.fullmatch(region)
    assert not ENTRIES["ses"].accepts(region)


@pytest.mark.parametrize("esp", ["postmark", "nosuchesp"])
def test_make_client_refuses_esps_without_a_client(esp: str) -> None:
    with pytest.raises(ValueError, match=f"no API client for ESP '{esp}'"):
        make_client(AccountRef(name="x", esp=esp), "key")


def _loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running `code`."""
    heavy = ("httpx", "botocore", "esp_clients.ses", "esp_clients.sendgrid", "esp_clients.http")
    script = f"import sys\n{code}\nprint(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return list(ast.literal_eval(result.stdout))


def test_the_registry_and_the_inventory_load_without_httpx_or_botocore() -> None:
    code = "import esp_clients, esp_clients.registry, esp_clients.facts, tui.inventory.tables"
    assert _loaded_after(code) == []


def test_make_client_imports_only_the_module_of_the_esp_asked_for() -> None:
    code = (
        "from esp_clients import make_client\n"
        "from esp_clients.base import AccountRef\n"
        "make_client(AccountRef(name='a', esp='sendgrid'), 'key').close()"
    )
    assert _loaded_after(code) == ["esp_clients.http", "esp_clients.sendgrid", "httpx"]
