"""The vendor specs are fetched from a mirror or upstream into the cache, only when their SHA-256
matches the manifest; a spec that cannot be had fails with one line saying how to provide it."""

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
    SpecUnavailable,
    fetch,
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
    assert fetch([spec], cache=cache, mirror=mirror, upstream="http://127.0.0.1:9/x") == [spec.name]
    assert vendor_spec(spec.name, cache=cache, specs={spec.name: spec}).read_bytes() == BODY
    assert fetch([spec], cache=cache, mirror=mirror) == []


def test_an_altered_file_is_never_written(tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    (mirror / "fake.openapi.yaml").write_bytes(BODY + b"# edited\n")
    with pytest.raises(SpecUnavailable, match="does not match its SHA-256"):
        fetch([fake_spec()], cache=cache, mirror=mirror)
    assert list(cache.iterdir()) == []


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
