"""The vendors' API descriptions the contract tests need: named in `tests/data/vendor_specs.toml`,
kept out of the repository, fetched into `.cache/specs/` and verified by their SHA-256.

`python -m tests.support.vendor_specs [--mirror DIR]` (what `make specs` runs) fetches whatever is
missing or wrong: from the mirror directory when one is given (`TRACKDECK_SPECS_MIRROR`), else from
the pinned commit upstream. The tests only read the cache (`vendor_spec`), never the network.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.data import DATA, REPO

MANIFEST = DATA / "vendor_specs.toml"
CACHE = REPO / ".cache" / "specs"
MIRROR_VARIABLE = "TRACKDECK_SPECS_MIRROR"
UPSTREAM = "https://raw.githubusercontent.com/{repository}/{commit}/{path}"
FETCH_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """One vendor file: where it comes from, under which licence, and what its bytes hash to."""

    name: str
    what: str
    repository: str
    commit: str
    path: str
    licence: str
    sha256: str

    @property
    def upstream(self) -> str:
        """The file at the pinned commit."""
        return UPSTREAM.format(repository=self.repository, commit=self.commit, path=self.path)

    def matches(self, data: bytes) -> bool:
        """Whether `data` is this file, byte for byte."""
        return hashlib.sha256(data).hexdigest() == self.sha256


class SpecUnavailable(Exception):  # noqa: N818 - a condition the user fixes, not a bug
    """A spec could not be had; the message says how to provide it, in one line."""


def manifest(path: Path = MANIFEST) -> dict[str, Spec]:
    """Every spec of the manifest, by file name."""
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["spec"]
    return {entry["name"]: Spec(**entry) for entry in entries}


def how_to_provide(spec: Spec) -> str:
    """The one line that says how to get a missing spec."""
    return (
        f"vendor spec {spec.name} is missing or altered: run `make specs` with network access "
        f"({spec.upstream}), or point {MIRROR_VARIABLE} at a directory that holds it"
    )


def vendor_spec(name: str, *, cache: Path = CACHE, specs: dict[str, Spec] | None = None) -> Path:
    """The verified cached copy of spec `name`; SpecUnavailable when it is missing or altered."""
    spec = (specs or manifest())[name]
    path = cache / name
    if not path.is_file() or not spec.matches(path.read_bytes()):
        raise SpecUnavailable(how_to_provide(spec))
    return path


def fetch(
    specs: Sequence[Spec],
    *,
    cache: Path = CACHE,
    mirror: Path | None = None,
    upstream: str = UPSTREAM,
) -> list[str]:
    """Put every spec in `cache` (mirror first, else upstream), checked; the names fetched now.

    A file whose bytes do not match the manifest is never written; SpecUnavailable names the first
    spec that could not be had.
    """
    cache.mkdir(parents=True, exist_ok=True)
    fetched = []
    for spec in specs:
        target = cache / spec.name
        if target.is_file() and spec.matches(target.read_bytes()):
            continue
        data = _from_mirror(spec, mirror) if mirror is not None else None
        if data is None:
            data = _from_upstream(spec, upstream)
        if not spec.matches(data):
            raise SpecUnavailable(
                f"vendor spec {spec.name} does not match its SHA-256 in {MANIFEST.name}: "
                "the source holds another version; nothing was written"
            )
        partial = target.with_name(f".{spec.name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
        fetched.append(spec.name)
    return fetched


def _from_mirror(spec: Spec, mirror: Path) -> bytes | None:
    try:
        return (mirror / spec.name).read_bytes()
    except OSError:
        return None


def _from_upstream(spec: Spec, upstream: str) -> bytes:
    url = upstream.format(repository=spec.repository, commit=spec.commit, path=spec.path)
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as error:
        error.close()
        raise SpecUnavailable(f"{how_to_provide(spec)} (fetching failed: {error})") from None
    except (urllib.error.URLError, OSError) as error:
        raise SpecUnavailable(f"{how_to_provide(spec)} (fetching failed: {error})") from None
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Fetch and verify every spec of the manifest; one line of outcome, or one line of error."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.vendor_specs")
    parser.add_argument(
        "--mirror",
        type=Path,
        default=os.environ.get(MIRROR_VARIABLE) or None,
        help=f"a directory holding the spec files (default: ${MIRROR_VARIABLE})",
    )
    args = parser.parse_args(argv)
    specs = list(manifest().values())
    try:
        fetched = fetch(specs, mirror=args.mirror)
    except SpecUnavailable as error:
        print(f"specs: {error}", file=sys.stderr)
        return 1
    where = CACHE.relative_to(REPO)
    print(f"specs: {len(specs)} vendor specs verified in {where} ({len(fetched)} fetched now)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
