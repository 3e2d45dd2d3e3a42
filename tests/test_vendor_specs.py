"""The vendor specs are fetched from a mirror or upstream into the cache, only when their SHA-256
matches the manifest; a mirror that lacks a spec or holds another version of it gives way to upstream,
and every spec that cannot be had is reported, one line each, saying how to provide it."""

from __future__ import annotations

import hashlib
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.data import REPO
from tests.support.vendor_specs import (
    MIRROR_VARIABLE,
    Spec,
    SpecsUnavailable,
    SpecUnavailable,
    fetch,
    main,
    manifest,
    vendor_spec,
)

BODY = b"openapi: 3.0.0\ninfo: {title: fake}\n"


def fake_spec(name: str = "fake.openapi.yaml", body: bytes = BODY) -> Spec:
    return Spec(
        name=name,
        what="a fake",
        repository="vendor/specs",
        commit="0" * 40,
        path=f"api/{name}",
        licence="MIT",
        sha256=hashlib.sha256(body).hexdigest(),
    )


class FakeUpstream:
    """Stands in for the network: the files it has by URL, and every URL it was asked for."""

    def __init__(self, *specs: Spec, body: bytes = BODY) -> None:
        self.files = {spec.upstream: body for spec in specs}
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        if url not in self.files:
            raise OSError(f"HTTP Error 404: Not Found ({url})")
        return self.files[url]


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server holding `api/fake.openapi.yaml`; yields its URL pattern and the log."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            found = self.path.endswith("/api/fake.openapi.yaml")
            self.send_response(200 if found else 404)
            self.end_headers()
            self.wfile.write(BODY if found else b"not found")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        yield f"http://127.0.0.1:{port}/{{repository}}/{{commit}}/{{path}}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_mirror_fills_the_cache_once(tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    (mirror / "fake.openapi.yaml").write_bytes(BODY)
    spec = fake_spec()
    network = FakeUpstream(spec)
    assert fetch([spec], cache=cache, mirror=mirror, fetcher=network) == [spec.name]
    assert vendor_spec(spec.name, cache=cache, specs={spec.name: spec}).read_bytes() == BODY
    assert fetch([spec], cache=cache, mirror=mirror, fetcher=network) == []
    assert network.asked == []


def test_a_mismatching_mirror_copy_falls_back_to_upstream(tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    (mirror / "fake.openapi.yaml").write_bytes(BODY + b"# edited\n")
    spec = fake_spec()
    network = FakeUpstream(spec)
    assert fetch([spec], cache=cache, mirror=mirror, fetcher=network) == [spec.name]
    assert network.asked == [spec.upstream]
    assert (cache / spec.name).read_bytes() == BODY


def test_an_altered_file_is_never_written(tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    (mirror / "fake.openapi.yaml").write_bytes(BODY + b"# edited\n")
    spec = fake_spec()
    with pytest.raises(SpecsUnavailable) as caught:
        fetch([spec], cache=cache, mirror=mirror, fetcher=FakeUpstream(spec, body=b"other"))
    (problem,) = caught.value.problems
    assert "mirror: another version" in problem and "upstream: another version" in problem
    assert list(cache.iterdir()) == []


def test_every_spec_that_cannot_be_had_is_reported_one_line_each(tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    first, second, present = fake_spec("first.yaml"), fake_spec("second.yaml"), fake_spec()
    (mirror / present.name).write_bytes(BODY)
    network = FakeUpstream()
    with pytest.raises(SpecsUnavailable) as caught:
        fetch([first, second, present], cache=cache, mirror=mirror, fetcher=network)
    problems = caught.value.problems
    assert len(problems) == 2 and str(caught.value) == "\n".join(problems)
    for spec, problem in zip([first, second], problems, strict=True):
        assert "\n" not in problem and f"vendor spec {spec.name} " in problem
        assert MIRROR_VARIABLE in problem and "mirror: No such file" in problem
        assert "upstream: fetching failed: HTTP Error 404" in problem
    assert network.asked == [first.upstream, second.upstream]
    assert [path.name for path in cache.iterdir()] == [present.name]


def test_make_specs_prints_each_missing_spec_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second, present = fake_spec("first.yaml"), fake_spec("second.yaml"), fake_spec()
    argv = ["--mirror", str(tmp_path / "no-mirror")]
    cache = tmp_path / "cache"
    specs = [first, second, present]
    assert main(argv, specs=specs, cache=cache, fetcher=FakeUpstream(present)) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 3
    assert lines[0].startswith("specs: vendor spec first.yaml is missing or altered")
    assert lines[1].startswith("specs: vendor spec second.yaml is missing or altered")
    assert lines[2] == "specs: 2 of 3 vendor specs could not be provided"
    network = FakeUpstream(first, second)
    assert main(argv, specs=specs, cache=cache, fetcher=network) == 0
    assert capsys.readouterr().out == f"specs: 3 vendor specs verified in {cache} (2 fetched now)\n"


def test_upstream_is_asked_at_the_pinned_commit_when_the_mirror_lacks_it(
    tmp_path: Path, upstream: tuple[str, list[str]]
) -> None:
    pattern, asked = upstream
    spec = fake_spec()
    fetch([spec], cache=tmp_path / "cache", mirror=tmp_path / "empty", upstream=pattern)
    assert asked == [f"/vendor/specs/{'0' * 40}/api/fake.openapi.yaml"]
    assert (tmp_path / "cache" / spec.name).read_bytes() == BODY


def test_a_spec_that_cannot_be_had_says_how_to_provide_it(
    tmp_path: Path, upstream: tuple[str, list[str]]
) -> None:
    pattern, _ = upstream
    missing = fake_spec("other.yaml")
    with pytest.raises(SpecUnavailable) as caught:
        fetch([missing], cache=tmp_path / "cache", upstream=pattern)
    message = str(caught.value)
    assert "\n" not in message
    assert MIRROR_VARIABLE in message and "make specs" in message and "404" in message


def test_a_missing_or_altered_cached_spec_is_refused(tmp_path: Path) -> None:
    spec = fake_spec()
    specs = {spec.name: spec}
    with pytest.raises(SpecUnavailable, match=MIRROR_VARIABLE):
        vendor_spec(spec.name, cache=tmp_path, specs=specs)
    (tmp_path / spec.name).write_bytes(b"tampered")
    with pytest.raises(SpecUnavailable):
        vendor_spec(spec.name, cache=tmp_path, specs=specs)


def test_the_manifest_names_every_spec_the_tests_use() -> None:
    used = {
        name
        for path in (REPO / "tests").rglob("*.py")
        for name in re.findall(r'spec_file\("([^"]+)"\)', path.read_text(encoding="utf-8"))
    }
    specs = manifest()
    assert used and used <= set(specs)
    for spec in specs.values():
        assert re.fullmatch(r"[0-9a-f]{40}", spec.commit) and re.fullmatch(
            r"[0-9a-f]{64}", spec.sha256
        )
        assert spec.licence in ("MIT", "Apache-2.0")
