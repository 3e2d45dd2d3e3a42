"""The monitoring examples in docs/monitoring work with this trackdeck: every alerting rule names
only metrics and labels trackdeck emits, every trackdeck command line in them parses, the Kubernetes
Job's script fails when it should (run here with a fake pip, a fake trackdeck and a loopback
Pushgateway), and the sandboxed systemd unit may write where its scan writes."""

from __future__ import annotations

import datetime as dt
import http.server
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

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


def cronjob_container() -> dict[str, Any]:
    """The one container of the CronJob's pod, as the YAML gives it."""
    (manifest,) = yaml.safe_load_all((DOCS / "kubernetes-cronjob.yaml").read_text("utf-8"))
    (container,) = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


@dataclass
class Pushgateway:
    """A loopback stand-in for a Pushgateway: what was pushed, and the status it answers with."""

    url: str
    answer: int = 200
    pushes: list[tuple[str, str, str, bytes]] = field(default_factory=list)


@pytest.fixture
def pushgateway() -> Iterator[Pushgateway]:
    gateway = Pushgateway(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            gateway.pushes.append(("PUT", self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(gateway.answer)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/metrics/job/trackdeck"
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


FAKE_TRACKDECK = """#!/bin/sh
echo "trackdeck $*" >> "$FAKE_LOG"
while [ $# -gt 0 ]; do
  [ "$1" = --output ] && out=$2
  shift
done
if [ "$FAKE_SCAN_STATUS" -le 3 ]; then
  printf 'trackdeck_build_info{version="0"} 1\\n' > "$out"
fi
exit "$FAKE_SCAN_STATUS"
"""


def run_job(tmp_path: Path, gateway: Pushgateway, *, pip: int = 0, scan: int = 0) -> int:
    """The CronJob container's command, with pip and trackdeck faked and python the real one."""
    fakes = tmp_path / "bin"
    fakes.mkdir()
    scripts = {
        "pip": '#!/bin/sh\necho "pip $*" >> "$FAKE_LOG"\nexit "$FAKE_PIP_STATUS"\n',
        "trackdeck": FAKE_TRACKDECK,
        "python": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n',
    }
    for name, text in scripts.items():
        (fakes / name).write_text(text, encoding="utf-8")
        (fakes / name).chmod(0o755)
    container = cronjob_container()
    env = {
        "PATH": f"{fakes}:/usr/bin:/bin",
        "TMPDIR": str(tmp_path),
        "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_PIP_STATUS": str(pip),
        "FAKE_SCAN_STATUS": str(scan),
        "PUSHGATEWAY_URL": gateway.url,  # nothing else: no proxy variable reaches urllib
    }
    command = [*container["command"], *container["args"]]
    return subprocess.run(command, env=env, check=False, timeout=60).returncode


def ran(tmp_path: Path) -> list[str]:
    log = tmp_path / "log"
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


def test_the_job_fails_with_its_own_status_when_the_install_fails(
    tmp_path: Path, pushgateway: Pushgateway
) -> None:
    assert run_job(tmp_path, pushgateway, pip=1) == 100
    assert ran(tmp_path) == ["pip"]
    assert pushgateway.pushes == []


@pytest.mark.parametrize("scan", [0, 1, 2, 3])
def test_a_scan_with_findings_is_pushed_and_the_job_succeeds(
    tmp_path: Path, pushgateway: Pushgateway, scan: int
) -> None:
    assert run_job(tmp_path, pushgateway, scan=scan) == 0
    assert ran(tmp_path) == ["pip", "trackdeck"]
    ((method, path, content_type, body),) = pushgateway.pushes
    assert (method, path) == ("PUT", "/metrics/job/trackdeck")
    assert (
        content_type.startswith("text/plain") and body == b'trackdeck_build_info{version="0"} 1\n'
    )


@pytest.mark.parametrize("scan", [64, 70, 73])
def test_a_failed_scan_fails_the_job_with_its_status_and_pushes_nothing(
    tmp_path: Path, pushgateway: Pushgateway, scan: int
) -> None:
    assert run_job(tmp_path, pushgateway, scan=scan) == scan
    assert pushgateway.pushes == []


def test_a_refused_push_fails_the_job(tmp_path: Path, pushgateway: Pushgateway) -> None:
    pushgateway.answer = 500
    assert run_job(tmp_path, pushgateway, scan=2) == 101
    assert len(pushgateway.pushes) == 1


def test_the_job_image_has_what_its_script_needs() -> None:
    container = cronjob_container()
    script = str(container["args"][0])
    if "git+" in script:
        assert "apt-get install" in script or not re.search(
            r"-(slim|alpine)\b", str(container["image"])
        ), "pip needs git for a git+ URL"
    assert "|" not in script.replace("||", ""), "a pipe would hide the scan's exit status"
    env = {str(variable["name"]) for variable in container["env"]}
    assert set(re.findall(r"\$\{?([A-Z_]+)", script)) <= env
    assert container["envFrom"] == [{"secretRef": {"name": "trackdeck-esp-keys"}}]


def test_no_job_writes_a_textfile_on_whichever_node_it_lands_on() -> None:
    for manifest in yaml.safe_load_all((DOCS / "kubernetes-cronjob.yaml").read_text("utf-8")):
        pod = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        if any("hostPath" in volume for volume in pod.get("volumes", [])):
            assert pod.get("nodeSelector"), "a hostPath textfile needs the Job pinned to one node"


def textfile_outputs() -> dict[str, PurePosixPath]:
    """Where each example writes its Prometheus metrics with --output."""
    found = {}
    for source, argv in command_lines():
        if "prometheus" in argv and "--output" in argv:
            output = argv[argv.index("--output") + 1]
            if not output.startswith("$"):
                found[source] = PurePosixPath(output)
    return found


def test_the_cron_and_systemd_examples_share_one_textfile_directory() -> None:
    outputs = textfile_outputs()
    assert {"crontab", "trackdeck-scan.service"} <= set(outputs)
    assert len({path.parent for path in outputs.values()}) == 1, outputs


def test_the_sandboxed_unit_may_write_its_output_and_reads_secrets_from_a_file() -> None:
    unit = (DOCS / "trackdeck-scan.service").read_text(encoding="utf-8")
    settings = [line.split("=", 1) for line in unit.splitlines() if re.match(r"[A-Z]\w*=", line)]
    writable = [
        PurePosixPath(path.lstrip("-"))
        for key, value in settings
        if key == "ReadWritePaths"
        for path in value.split()
    ]
    output = textfile_outputs()["trackdeck-scan.service"]
    assert ("ProtectSystem", "strict") in [tuple(setting) for setting in settings]
    assert any(path in output.parents for path in writable), writable
    assert ("EnvironmentFile", "/etc/trackdeck/secrets.env") in [tuple(s) for s in settings]


def test_cron_reads_the_secrets_from_a_file_before_it_scans() -> None:
    crontab = (DOCS / "crontab").read_text(encoding="utf-8")
    jobs = [line for line in crontab.splitlines() if re.match(r"[\d*]", line)]
    assert jobs and all("trackdeck scan" in job for job in jobs)
    for job in jobs:
        sourcing = job.split("trackdeck scan", 1)[0]
        assert re.search(r"set -a; \. \"\$SECRETS\"; set \+a;", sourcing), job
