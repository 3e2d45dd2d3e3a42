"""The monitoring examples in docs/monitoring work with this trackdeck: every alerting rule names
only metrics and labels trackdeck emits, and every trackdeck command line in them parses."""

from __future__ import annotations

import datetime as dt
import re
import shlex

import pytest
import yaml

from checks.model import Expectation, Facts, HostReport, Severity
from checks.model import Finding as CheckFinding
from esp_clients import CertificateState, TrackingDomain
from tests.support.data import REPO
from tui.cli.formats.document import ResultRow, ScanDocument
from tui.cli.formats.prometheus import metrics
from tui.cli.main import build_parser

DOCS = REPO / "docs" / "monitoring"


def emitted() -> dict[str, set[str]]:
    """Every metric the Prometheus format can write, with its label names."""
    report = HostReport(
        host="links.brand.example",
        expectation=Expectation(esp="sendgrid"),
        findings=(CheckFinding(code="dns.proxied", severity=Severity.FAIL, title="proxied"),),
        facts=Facts(
            tls_not_after="2027-01-01T00:00:00+00:00",
            blocklist_verdicts=(("Spamhaus DBL", "listed"),),
        ),
    )
    view = TrackingDomain(
        host="links.brand.example",
        esp="sendgrid",
        account="a",
        esp_id="1",
        verified=True,
        cname_valid=True,
        expected_target=None,
        https=True,
        certificate=CertificateState(status="active"),
    )
    now = dt.datetime.now(dt.UTC)
    row = ResultRow(report=report, brand="b", account="a", esp_view=view)
    document = ScanDocument(
        command="scan", rows=(row,), started_at=now, finished_at=now, fleet=True
    )
    families: dict[str, set[str]] = {}
    for family in metrics(document):
        families[family.name] = {name for labels, _ in family.samples for name in labels}
    families["trackdeck_esp_click_rate"] = {"account", "scope", "window"}  # needs an ESP's figures
    assert all(families.values()), "every family has its labels"
    return families


def rules() -> list[dict[str, object]]:
    document = yaml.safe_load((DOCS / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_alerting_rules_cover_what_ops_asked_for() -> None:
    names = {str(rule["alert"]) for rule in rules()}
    assert {
        "TrackingHostFailing",
        "TrackingCertificateExpiresSoon",
        "TrackingHostNewlyBlocklisted",
        "TrackdeckScanStale",
    } <= names
    for rule in rules():
        assert rule["expr"] and rule["labels"] and rule["annotations"], rule["alert"]


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: str(rule["alert"]))
def test_each_rule_names_only_emitted_metrics_and_labels(rule: dict[str, object]) -> None:
    families = emitted()
    expr = str(rule["expr"])
    used = set(re.findall(r"\btrackdeck_[a-z_]+\b", expr))
    assert used and used <= set(families), used - set(families)
    labels = set().union(*(families[name] for name in used))
    for selector in re.findall(r"\{([^}]*)\}", expr):
        for name in re.findall(r"([a-z_]+)\s*=", selector):
            assert name in labels, name
    annotations = rule["annotations"]
    assert isinstance(annotations, dict)
    for text in annotations.values():
        for name in re.findall(r"\$labels\.([a-z_]+)", str(text)):
            assert name in labels, f"{rule['alert']}: $labels.{name}"


def command_lines() -> list[tuple[str, list[str]]]:
    """Every `trackdeck …` invocation in the examples, as argument lists."""
    found = []
    for path in sorted(DOCS.iterdir()):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"(?<!`)\btrackdeck (scan|check|demo)\b[^\n;|&]*", text):
            words = shlex.split(match.group(0).split("#", 1)[0])
            found.append((path.name, words[1:]))
    return found


@pytest.mark.parametrize(("source", "argv"), command_lines(), ids=str)
def test_every_example_command_line_parses(source: str, argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.run is not None, source


def test_there_are_examples_for_systemd_cron_and_kubernetes() -> None:
    sources = {source for source, _ in command_lines()}
    assert {"trackdeck-scan.service", "crontab", "kubernetes-cronjob.yaml"} <= sources
    for manifest in yaml.safe_load_all((DOCS / "kubernetes-cronjob.yaml").read_text("utf-8")):
        assert manifest["kind"] == "CronJob"
    timer = (DOCS / "trackdeck-scan.timer").read_text(encoding="utf-8")
    assert "OnUnitActiveSec=" in timer and "[Install]" in timer
