"""The history end to end: two scans of a changing loopback world say new / same-since / resolved in
the table and the JSON; `scan --changes`, `history`, `expiry`; a damaged or disabled history never
stops a scan."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from esp_clients.engagement import ClickScope, DailyClicks
from tests.support.fakes import (
    CLICK_CAPABILITIES,
    DOMAIN_CAPABILITIES,
    FakeEsp,
    domain,
    fake_factory,
    store_with,
)
from tests.support.scan_schema import validate_strictly
from tests.support.worlds import DnsWorld, tls_world
from tui.cli.main import build_parser
from tui.fleet.network import Environment
from tui.history.model import CHECK, ScanInfo, ScannedHost, Subject
from tui.history.model import INVENTORY as INVENTORY_SCOPE
from tui.history.store import HistoryStore
from tui.sim.dns_server import Rule
from tui.sim.tls_world import TlsWorld

HEALTHY = "links-mg.brand.example"
FLAKY = "wrong.brand.example"
INVENTORY = f"""
[settings]
blocklists = false

[accounts.acme-mg]
esp = "mailgun"

[[brands]]
name = "Acme"
tracking = [
  {{ host = "{HEALTHY}", account = "acme-mg" }},
  {{ host = "{FLAKY}", account = "acme-mg" }},
  {{ host = "dangling.brand.example", account = "acme-mg" }},
]
"""


@dataclass
class Rig:
    world: DnsWorld
    tls: TlsWorld
    inventory: Path
    capsys: pytest.CaptureFixture[str]
    secrets: dict[str, str] = field(default_factory=lambda: {"acme-mg": "key-history-test"})
    esp_hosts: tuple[str, ...] = (HEALTHY, FLAKY)
    click_days: tuple[DailyClicks, ...] = ()
    """The ESP's daily click figures (none: it cannot count clicks)."""

    def run(self, *argv: str) -> tuple[int, str, str]:
        args = build_parser().parse_args(list(argv))
        args.environment = Environment(
            dialer=self.tls.dialer, authoritative_port=self.world.authoritative.port
        )
        args.credential_store = store_with(self.secrets)
        esp = FakeEsp(domains=[domain(h, "acme-mg") for h in self.esp_hosts])
        if self.click_days:
            esp = dataclasses.replace(
                esp,
                capabilities=DOMAIN_CAPABILITIES | CLICK_CAPABILITIES,
                click_days=self.click_days,
                click_scope_of=lambda _domain: SENDING,
            )
        args.client_factory = fake_factory({"acme-mg": esp})
        status: int = args.run(args)
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def scan(self, *argv: str) -> tuple[int, str, str]:
        options = (
            "-i", str(self.inventory), "--resolver", f"127.0.0.1:{self.world.resolver.port}",
            "--ca-bundle", str(self.tls.certificates.ca_bundle_path), "--timeout", "0.5",
        )  # fmt: skip
        return self.run("scan", *options, *argv)


@pytest.fixture
def rig(
    world: DnsWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Rig]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    with tls_world() as tls:
        tls.add("192.0.2.2", kind="expiring", host=HEALTHY, now=dt.datetime.now(dt.UTC))
        yield Rig(world, tls, inventory, capsys)


def findings(document: dict[str, object], host: str) -> dict[str, dict[str, object]]:
    domains = document["domains"]
    assert isinstance(domains, list)
    (found,) = [d for d in domains if d["host"] == host]
    return {finding["code"]: finding for finding in found["findings"]}


def test_two_scans_of_a_changing_world(rig: Rig, tmp_path: Path) -> None:
    _, out, _ = rig.scan("--json")
    first = json.loads(out)
    validate_strictly(first)
    assert first["history"] == {"recorded": True, "previous_scan_at": None, "problem": None}
    assert {f["change"] for f in findings(first, FLAKY).values()} == {"new"}
    assert (tmp_path / "state" / "trackdeck" / "history.sqlite").exists()

    rig.world.resolver.set_rules([Rule(name=FLAKY, rcode="SERVFAIL")])
    status, out, _ = rig.scan("--json")
    assert status == 2, "the dangling host still fails"
    second = json.loads(out)
    validate_strictly(second)
    assert second["history"]["previous_scan_at"] == first["generated_at"]
    same = findings(second, HEALTHY)["dns.ok"]
    assert same["change"] == "same" and same["since"] == findings(first, HEALTHY)["dns.ok"]["since"]
    assert findings(second, FLAKY)["dns.lookup_failed"]["change"] == "new"
    resolved = {(item["host"], item["code"]) for item in second["resolved"]}
    assert (FLAKY, "dns.cname_mismatch") in resolved

    _, out, _ = rig.scan()
    assert "(since " in out and "Resolved since the previous scan" not in out
    rig.world.resolver.set_rules([])
    _, out, _ = rig.scan()
    assert "Resolved since the previous scan" in out and "dns.lookup_failed" in out


def test_changes_only_print_what_changed_with_their_own_exit_status(rig: Rig) -> None:
    rig.scan("--json")
    status, out, _ = rig.scan("--changes", "--json")
    assert status == 0 and json.loads(out)["domains"] == [] and json.loads(out)["resolved"] == []
    rig.world.resolver.set_rules([Rule(name=FLAKY, rcode="SERVFAIL")])
    status, out, _ = rig.scan("--changes", "--json")
    document = json.loads(out)
    assert status == 3, "a new unknown, nothing newly failing"
    assert [d["host"] for d in document["domains"]] == [FLAKY]
    assert [f["code"] for f in document["domains"][0]["findings"]] == ["dns.lookup_failed"]
    status, out, _ = rig.scan("--changes", "--no-history")
    assert status == 64


def test_history_and_expiry_read_what_the_scans_recorded(rig: Rig) -> None:
    rig.scan("--json")
    rig.world.resolver.set_rules([Rule(name=FLAKY, rcode="SERVFAIL")])
    rig.scan("--json")
    status, out, _ = rig.run("history", FLAKY, "-i", str(rig.inventory))
    assert status == 0 and "2 scans" in out
    assert "dns.cname_mismatch" in out and "fail → gone" in out and "— → unknown" in out
    status, out, _ = rig.run("history", "--json", "--since", "1h", "-i", str(rig.inventory))
    timeline = json.loads(out)
    hosts = {entry["host"]: entry for entry in timeline["hosts"]}
    events = hosts[HEALTHY]["events"]
    assert {"kind": "observed", "name": "cname_target", "value": "mailgun.org"} in [
        {key: event[key] for key in ("kind", "name", "value")}
        for event in events
        if event["kind"] == "observed"
    ]
    status, out, _ = rig.run("expiry", "--json", "-i", str(rig.inventory))
    (certificate,) = json.loads(out)["certificates"]
    assert certificate["host"] == HEALTHY and certificate["days_left"] in (4, 5)
    assert certificate["managed_by_esp"] and certificate["renewal_overdue"]
    assert status == 2, "an ESP-managed certificate 5 days from its end is a failing renewal"
    status, out, _ = rig.run("expiry", "-i", str(rig.inventory))
    assert "Week of" in out and "ESP renewal overdue" in out


def test_history_commands_say_when_there_is_no_history_yet(rig: Rig) -> None:
    status, _, err = rig.run("history", "-i", str(rig.inventory))
    assert status == 64 and "no history yet at" in err and "trackdeck scan" in err
    status, _, err = rig.run("history", "--since", "yesterday-ish", "-i", str(rig.inventory))
    assert status == 64 and "--since" in err


def test_a_damaged_history_costs_one_line_and_nothing_else(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "state" / "trackdeck" / "history.sqlite"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database" * 200)
    status, out, err = rig.scan("--json")
    document = json.loads(out)
    assert status == 2 and len(document["domains"]) == 3
    assert document["history"]["recorded"] is False and "damaged" in document["history"]["problem"]
    assert err.count("\n") == 1 and str(path) in err and "move it aside" in err


def test_no_history_keeps_none(rig: Rig, tmp_path: Path) -> None:
    _, out, _ = rig.scan("--json", "--no-history")
    assert json.loads(out)["history"] is None
    assert not (tmp_path / "state" / "trackdeck" / "history.sqlite").exists()
    text = rig.inventory.read_text(encoding="utf-8").replace(
        "blocklists = false", f'blocklists = false\nhistory = "{tmp_path / "elsewhere.sqlite"}"'
    )
    rig.inventory.write_text(text, encoding="utf-8")
    rig.scan("--json")
    assert (tmp_path / "elsewhere.sqlite").exists()


def test_check_records_only_when_asked_and_apart_from_the_inventory(rig: Rig) -> None:
    options = (
        "--resolver", f"127.0.0.1:{rig.world.resolver.port}", "--no-blocklists",
        "--ca-bundle", str(rig.tls.certificates.ca_bundle_path), "--timeout", "0.5",
    )  # fmt: skip
    rig.run("check", FLAKY, *options)
    status, _, err = rig.run("history", "--checked", "-i", str(rig.inventory))
    assert status == 64 and "no history yet" in err
    _, out, _ = rig.run("check", FLAKY, "--record", "--json", *options)
    assert {f["change"] for f in findings(json.loads(out), FLAKY).values()} == {"new"}
    _, out, _ = rig.run("history", "--checked", "--json", "-i", str(rig.inventory))
    assert [entry["host"] for entry in json.loads(out)["hosts"]] == [FLAKY]
    _, out, _ = rig.run("history", "--json", "-i", str(rig.inventory))
    assert json.loads(out)["hosts"] == [], "the inventory's history does not hold checked hosts"


class Hook(http.server.BaseHTTPRequestHandler):
    """A webhook on loopback: keeps each posted JSON body; answers with `status`."""

    posted: ClassVar[list[dict[str, object]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Hook.posted.append(json.loads(self.rfile.read(length)))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.posted, Hook.status = [], 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/canaryWEBHOOKsecret"
    finally:
        server.shutdown()
        server.server_close()


def test_the_webhook_hears_of_new_problems_only_and_its_url_is_never_printed(
    rig: Rig, hook: str
) -> None:
    rig.secrets["notify-webhook"] = hook
    _, out, err = rig.scan("--notify-webhook")
    assert Hook.posted == [], "the first scan has nothing to compare with"
    rig.scan("--notify-webhook")
    assert Hook.posted == [], "nothing new"
    rig.world.resolver.set_rules([Rule(name=FLAKY, rcode="SERVFAIL")])
    _, out, err = rig.scan("--notify-webhook", "--json")
    (posted,) = Hook.posted
    text = str(posted["text"])
    assert text.startswith("trackdeck scan: 1 new problem, 2 resolved (3 hosts")
    assert f"? {FLAKY} dns.lookup_failed" in text and f"✓ {FLAKY} dns.cname_mismatch" in text
    details = posted["trackdeck"]
    assert isinstance(details, dict) and details["new"][0]["code"] == "dns.lookup_failed"
    Hook.status = 500
    rig.world.resolver.set_rules([Rule(name=HEALTHY, rcode="SERVFAIL")])
    _, out2, err2 = rig.scan("--notify-webhook")
    assert "--notify-webhook: 127.0.0.1 answered HTTP 500" in err2
    for text in (out, err, out2, err2):
        assert "canaryWEBHOOKsecret" not in text


def test_without_a_webhook_url_the_scan_says_how_to_set_one(rig: Rig) -> None:
    rig.scan()
    rig.world.resolver.set_rules([Rule(name=FLAKY, rcode="SERVFAIL")])
    status, _, err = rig.scan("--notify-webhook")
    assert (
        status == 2
        and "TRACKDECK_SECRET_NOTIFY_WEBHOOK" in err
        and "creds set notify-webhook" in err
    )


def _damage_after_the_header(path: Path) -> None:
    """Overwrite every page after the first (which holds the header and the schema) with garbage:
    the file still opens, and the first read of a table fails."""
    data = path.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    path.write_bytes(data[:page] + b"\xa5garbage" * ((len(data) - page) // 8 + 1))


def test_history_and_expiry_say_a_damaged_file_is_damaged(rig: Rig, tmp_path: Path) -> None:
    rig.scan("--json")
    path = tmp_path / "state" / "trackdeck" / "history.sqlite"
    _damage_after_the_header(path)
    for command in ("history", "expiry"):
        status, out, err = rig.run(command, "-i", str(rig.inventory))
        assert status == 64 and out == "", command
        assert err.startswith(f"trackdeck {command}: ") and err.count("\n") == 1
        assert str(path) in err and "damaged" in err and "move it aside" in err


def _check(rig: Rig, *argv: str) -> tuple[int, str, str]:
    options = (
        "--resolver", f"127.0.0.1:{rig.world.resolver.port}", "--no-blocklists",
        "--ca-bundle", str(rig.tls.certificates.ca_bundle_path), "--timeout", "0.5",
    )  # fmt: skip
    return rig.run("check", FLAKY, "--record", "--json", *options, *argv)


def _with_settings(rig: Rig, lines: str) -> None:
    text = rig.inventory.read_text(encoding="utf-8")
    rig.inventory.write_text(text.replace("blocklists = false", f"blocklists = false\n{lines}"))


def test_check_records_where_the_inventory_says(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "state" / "trackdeck" / "history.sqlite"
    elsewhere = tmp_path / "elsewhere.sqlite"
    _with_settings(rig, f'history = "{elsewhere}"')
    status, out, _ = _check(rig, "-i", str(rig.inventory))
    assert status == 2 and json.loads(out)["history"]["recorded"] is True
    assert elsewhere.exists() and not default.exists()
    elsewhere.unlink()
    monkeypatch.setenv("TRACKDECK_INVENTORY", str(rig.inventory))  # the inventory by default
    _check(rig)
    assert elsewhere.exists() and not default.exists()
    status, out, _ = rig.run("history", "--checked", "--json")
    assert status == 0 and [entry["host"] for entry in json.loads(out)["hosts"]] == [FLAKY]


def test_check_records_nothing_when_the_inventory_keeps_no_history(
    rig: Rig, tmp_path: Path
) -> None:
    _with_settings(rig, "history = false")
    status, out, err = _check(rig, "-i", str(rig.inventory))
    assert status == 2 and json.loads(out)["history"] is None and err == ""
    assert not (tmp_path / "state" / "trackdeck").exists()


def test_check_keeps_the_inventorys_history_days(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "state" / "trackdeck" / "history.sqlite"
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    info = ScanInfo(
        scope=CHECK, command="check", started_at=old, finished_at=old, counts={}, version="t"
    )
    with HistoryStore.open(path) as store:
        store.record(
            info, [ScannedHost(subject=Subject(CHECK, "", HEALTHY), brand="", findings=())]
        )
    _with_settings(rig, "history_days = 5")
    _check(rig, "-i", str(rig.inventory))
    with HistoryStore.open(path) as store:
        assert store.timeline(CHECK).scans == 1, "the 10-day-old scan is past history_days"


def test_an_unexpected_value_in_the_history_costs_one_line_and_nothing_else(
    rig: Rig, tmp_path: Path
) -> None:
    path = tmp_path / "state" / "trackdeck" / "history.sqlite"
    rig.scan("--json")
    _check(rig)
    db = sqlite3.connect(path)
    with db:
        assert db.execute("UPDATE findings SET severity = 'bogus'").rowcount > 0
    db.close()
    for status, out, err in (rig.scan("--json"), _check(rig)):
        document = json.loads(out)
        assert status == 2 and document["domains"], "the results are printed all the same"
        assert document["history"]["recorded"] is False
        assert "damaged" in document["history"]["problem"]
        assert err.count("\n") == 1 and str(path) in err and "move it aside" in err


def test_expiry_forgets_a_host_no_longer_in_the_inventory(rig: Rig, tmp_path: Path) -> None:
    no_inventory = ("-i", str(tmp_path / "no-inventory.toml"))
    rig.scan("--json")
    rig.scan("--json")
    status, out, _ = rig.run("expiry", "--json", *no_inventory)
    assert status == 2, "without an inventory: the hosts of the latest scan"
    assert [c["host"] for c in json.loads(out)["certificates"]] == [HEALTHY]
    dropped = rig.inventory.read_text(encoding="utf-8").replace(
        f'  {{ host = "{HEALTHY}", account = "acme-mg" }},\n', ""
    )
    rig.inventory.write_text(dropped, encoding="utf-8")
    rig.esp_hosts = (FLAKY,)  # gone from the ESP too
    status, out, _ = rig.run("expiry", "--json", "-i", str(rig.inventory))
    assert status == 0 and json.loads(out)["certificates"] == [], "not in the inventory now"
    status, out, _ = rig.run("expiry", *no_inventory)
    assert status == 2 and HEALTHY in out, "the latest scan still saw it"
    rig.scan("--json")
    status, out, _ = rig.run("expiry", "--json", *no_inventory)
    assert status == 0 and json.loads(out)["certificates"] == [], "the latest scan did not see it"


def test_a_read_only_history_costs_one_line_and_nothing_else(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / "trackdeck" / "history.sqlite"
    rig.scan("--json")
    connect = sqlite3.connect

    def read_only(database: Path, **options: Any) -> sqlite3.Connection:
        # Tests run as root, which chmod does not stop: open the file as SQLite's read-only mode.
        connection: sqlite3.Connection = connect(f"file:{database}?mode=ro", uri=True, **options)
        return connection

    monkeypatch.setattr(sqlite3, "connect", read_only)
    status, out, err = rig.scan("--json")
    document = json.loads(out)
    assert status == 2 and len(document["domains"]) == 3
    assert document["history"]["recorded"] is False
    assert "read-only" in document["history"]["problem"]
    assert err.count("\n") == 1 and str(path) in err and "read-only" in err
    monkeypatch.undo()
    with HistoryStore.open(path) as store:
        assert store.timeline(INVENTORY_SCOPE).scans == 1


def test_a_full_disk_costs_one_line_and_records_nothing(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / "trackdeck" / "history.sqlite"
    rig.scan("--json")

    def full(*_: object, **__: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(HistoryStore, "_write_findings", full)
    status, out, err = rig.scan("--json")
    document = json.loads(out)
    assert status == 2 and len(document["domains"]) == 3
    assert document["history"]["recorded"] is False
    assert "free some space" in document["history"]["problem"]
    assert err.count("\n") == 1 and str(path) in err and "disk is full" in err
    with HistoryStore.open(path) as store:
        assert store.timeline(INVENTORY_SCOPE).scans == 1, "the failed scan left nothing behind"


def test_history_of_a_host_never_recorded_says_so(rig: Rig) -> None:
    rig.scan("--json")
    status, out, _ = rig.run("history", "never.brand.example", "-i", str(rig.inventory))
    assert status == 0
    assert out.strip().splitlines() == [
        "never.brand.example is not in the history (no scan of the inventory recorded it; "
        "hosts checked with `check --record` need --checked)"
    ]
    status, out, _ = rig.run("history", "never.brand.example", FLAKY, "-i", str(rig.inventory))
    assert "never.brand.example is not in the history" in out and "nothing changed" not in out
    assert FLAKY in out and "dns.cname_mismatch" in out
    _, out, _ = rig.run("history", "--json", "never.brand.example", "-i", str(rig.inventory))
    document = json.loads(out)
    assert document["hosts"] == [] and document["not_recorded"] == ["never.brand.example"]
    _, out, _ = rig.run("history", HEALTHY, "--since", "2999-01-01", "-i", str(rig.inventory))
    assert "nothing changed for links-mg.brand.example" in out and "not in the history" not in out


SENDING = ClickScope(key="mg.brand.example", label="sending domain mg.brand.example")


def fallen(today: dt.date, *, last_day: tuple[int, int] = (4000, 20)) -> tuple[DailyClicks, ...]:
    """31 days to yesterday: 4,000 delivered a day at 3 %, then 0.5 % for the last three days
    (yesterday's figures `last_day`)."""
    days = []
    for back in range(31, 0, -1):
        sent, clicked = (4000, 20) if back <= 3 else (4000, 120)
        if back == 1:
            sent, clicked = last_day
        days.append(
            DailyClicks(day=today - dt.timedelta(days=back), delivered=sent, unique_clicks=clicked)
        )
    return tuple(days)


def test_history_of_a_host_says_the_day_its_click_rate_fell(rig: Rig) -> None:
    today = dt.datetime.now(dt.UTC).date()
    rig.click_days = fallen(today, last_day=(3000, 10))
    rig.scan("--json")
    rig.click_days = fallen(today)  # the ESP revised yesterday's figures
    rig.scan("--json")
    fell_on = (today - dt.timedelta(days=3)).isoformat()
    status, out, _ = rig.run("history", HEALTHY, "-i", str(rig.inventory))
    assert status == 0
    line = f"click rate fell from 3.0% to 0.50% on {fell_on} (sending domain mg.brand.example)"
    assert line in out
    status, out, _ = rig.run("history", HEALTHY, "--json", "-i", str(rig.inventory))
    (entry,) = json.loads(out)["hosts"]
    clicks = entry["clicks"]
    assert clicks["fell_on"] == fell_on and clicks["scope"] == "mg.brand.example"
    assert clicks["line"] == line and len(clicks["days"]) == 31
    assert clicks["days"][-1] == {
        "day": (today - dt.timedelta(days=1)).isoformat(),
        "delivered": 4000,
        "unique_clicks": 20,
    }
    _, out, _ = rig.run("history", HEALTHY, "--json", "--since", "2d", "-i", str(rig.inventory))
    (entry,) = json.loads(out)["hosts"]
    assert len(entry["clicks"]["days"]) in (2, 3) and entry["clicks"]["fell_on"] == fell_on
    _, out, _ = rig.run("history", "--json", "-i", str(rig.inventory))
    assert all("clicks" not in entry for entry in json.loads(out)["hosts"]), "only hosts asked"
