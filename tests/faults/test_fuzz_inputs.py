"""Fuzzing the inventory loader (any bytes on disk, any TOML document) and the URI blocklists (every
answer decoder, and the verdict from any list and test-point answers): only the documented error
escapes, and nothing is ever called clean or listed without the answers that prove it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from checks.blocklist_codes import CLEAN, LISTED, NOT_TESTED, decode_dbl, decode_surbl, decode_uribl
from checks.blocklist_queries import UNCONFIRMED_CANARY_TEST_POINTS, canary_names
from checks.blocklists import check_blocklists
from checks.context import BlocklistSettings, CheckContext
from checks.dnsanswer import DnsResult, DnsStatus
from checks.model import Severity
from checks.names import normalize_host
from tests.inventory.test_inventory import DOCUMENTS, INVENTORY_LIKE
from tests.support.dns_strategies import ScriptedResolver, names
from tests.support.fuzzing import fuzz
from tui.inventory.load import load_inventory
from tui.inventory.model import Inventory, InventoryError

# The inventory --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inventory_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz") / "inventory.toml"


def assert_inventory(inventory: Inventory) -> None:
    """A loaded inventory as the fleet scan expects it."""
    names_ = {account.name for account in inventory.accounts}
    assert len(names_) == len(inventory.accounts)
    for entry in inventory.entries:
        assert entry.account in names_ and entry.brand in inventory.brands
        assert entry.host == normalize_host(entry.host)
    assert inventory.settings.timeout > 0 and inventory.settings.concurrency >= 1


def assert_problems(error: InventoryError, path: Path) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.path == str(path) and problem.message
        assert problem.line is None or problem.line >= 1


def _bytes(document: Mapping[str, Any]) -> bytes:
    return tomli_w.dumps(document).encode()


FILES = (
    st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | (DOCUMENTS | INVENTORY_LIKE).map(_bytes)
    | st.tuples((DOCUMENTS | INVENTORY_LIKE).map(_bytes), st.binary(max_size=8), st.integers()).map(
        lambda t: t[0][: t[2] % (len(t[0]) + 1)] + t[1] + t[0][t[2] % (len(t[0]) + 1) :]
    )
)
"""Any bytes, any text, TOML documents shaped like an inventory, and those with bytes spliced in."""


@fuzz(1.0)
@given(content=FILES)
def test_the_inventory_loader_reads_any_file(inventory_file: Path, content: bytes) -> None:
    inventory_file.write_bytes(content)
    try:
        inventory = load_inventory(inventory_file)
    except InventoryError as error:
        assert_problems(error, inventory_file)
    else:
        assert_inventory(inventory)


# The blocklists -------------------------------------------------------------------------------

ADDRESSES = (
    st.ip_addresses(v=4).map(str)
    | st.tuples(*(st.integers(0, 255) for _ in range(3))).map(lambda t: "127.{}.{}.{}".format(*t))
    | st.text(max_size=20)
)


@fuzz(1.0)
@given(address=ADDRESSES)
def test_decoders_never_call_an_answer_clean(address: str) -> None:
    for decode in (decode_dbl, decode_surbl, decode_uribl):
        status, meaning = decode(address)
        assert status in (LISTED, NOT_TESTED) and meaning
        if status == LISTED:
            assert address.startswith("127.")


LIST_ANSWERS = st.sampled_from(
    ["127.0.1.2", "127.0.1.103", "127.0.1.255", "127.255.255.254", "127.0.0.1", "127.0.0.2",
     "127.0.0.8", "127.0.0.64", "127.0.0.255", "192.0.2.1"]
) | st.ip_addresses(v=4).map(str)  # fmt: skip


@st.composite
def list_results(draw: st.DrawFn, name: str) -> DnsResult:
    """What a resolver may answer for a list query: codes, NXDOMAIN, NODATA or an error."""
    status = draw(st.sampled_from(list(DnsStatus)))
    records: tuple[str, ...] = ()
    if status is DnsStatus.ANSWER:
        records = tuple(sorted(draw(st.lists(LIST_ANSWERS, min_size=1, max_size=3, unique=True))))
    error = "SERVFAIL from 192.0.2.53" if status is DnsStatus.ERROR else ""
    return DnsResult(name=name, rdtype="A", status=status, records=records, error=error)


DECODERS = {"Spamhaus DBL": decode_dbl, "SURBL": decode_surbl, "URIBL": decode_uribl}
POINTS = dict(zip(DECODERS, UNCONFIRMED_CANARY_TEST_POINTS.values(), strict=True))


def assert_proven_clean(asked: dict[str, DnsResult], canary: str, list_name: str) -> None:
    """The list answered NXDOMAIN and its own test point answered with one of its listing codes."""
    zone = canary.removeprefix(POINTS[list_name] + ".")
    (queried,) = [name for name in asked if name.endswith("." + zone) and name != canary]
    assert asked[queried].status is DnsStatus.NXDOMAIN
    decode = DECODERS[list_name]
    assert any(decode(address)[0] == LISTED for address in asked[canary].records)


@fuzz(1.0)
@given(data=st.data(), host=names(), key=st.none() | st.from_regex(r"[a-z0-9]{26}", fullmatch=True))
def test_a_list_is_clean_only_when_its_test_point_answered(
    data: st.DataObject, host: str, key: str | None
) -> None:
    asked: dict[str, DnsResult] = {}

    def answer(name: str, rdtype: str) -> DnsResult:
        asked[name] = data.draw(list_results(name), label=name)
        return asked[name]

    resolver = ScriptedResolver(answer)
    settings = BlocklistSettings(enabled=True, dqs_key=key)
    ctx = CheckContext(resolver=resolver, blocklist_resolver=resolver, blocklists=settings)
    findings, verdicts = check_blocklists(host.rstrip("."), ctx)
    canaries = canary_names(settings)
    for verdict in verdicts:
        if verdict.status == CLEAN:
            assert_proven_clean(asked, canaries[verdict.list_name], verdict.list_name)
    for finding in findings:
        assert finding.code in ("blocklist.listed", "blocklist.not_tested", "blocklist.clean")
        expected = {"blocklist.listed": Severity.FAIL, "blocklist.not_tested": Severity.UNKNOWN}
        assert finding.severity is expected.get(finding.code, Severity.OK)
        texts = (finding.title, finding.detail, finding.fix, *finding.evidence)
        assert key is None or not any(key in text for text in texts)
