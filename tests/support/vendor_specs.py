"""The vendors' API descriptions the contract tests need: named in `tests/data/vendor_specs.toml`,
kept out of the repository, fetched into `.cache/specs/` and verified by their SHA-256.

`python -m tests.support.vendor_specs [--mirror DIR]` (what `make specs` runs) fetches whatever is
missing or wrong: from the mirror directory when one is given (`TRACKDECK_SPECS_MIRROR`), and from
the pinned commit upstream when there is no mirror, or the mirror lacks the file or holds another
version of it. Every spec that could be had from neither is reported, one line each. The tests only
read the cache (`vendor_spec`), never the network.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.data import DATA, REPO

MANIFEST = DATA / "vendor_specs.toml"
CACHE = REPO / ".cache" / "specs"
MIRROR_VARIABLE = "TRACKDECK_SPECS_MIRROR"
UPSTREAM = "https://raw.githubusercontent.com/{repository}/{commit}/{path}"
FETCH_TIMEOUT = 30.0
ALTERED = f"another version, whose SHA-256 is not the one in {MANIFEST.name}"


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


class SpecsUnavailable(SpecUnavailable):
    """Some specs could be had from neither the mirror nor upstream: one line for each of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


Fetcher = Callable[[str], bytes]
"""Reads the bytes at a URL; raises OSError (urllib's errors are OSErrors) when it cannot."""


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


def download(url: str) -> bytes:
    """The bytes at `url`, over HTTP(S); OSError when they cannot be had."""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as error:
        error.close()
        raise
    except http.client.HTTPException as error:  # a broken response, not an OSError
        raise OSError(f"bad HTTP response: {error!r}") from None
    return data


def fetch(
    specs: Sequence[Spec],
    *,
    cache: Path = CACHE,
    mirror: Path | None = None,
    upstream: str = UPSTREAM,
    fetcher: Fetcher = download,
) -> list[str]:
    """Put every spec in `cache`, checked; the names fetched now.

    Each spec comes from the mirror when it holds the right bytes, else from upstream at the pinned
    commit. A file whose bytes do not match the manifest is never written. When some specs could be
    had from neither, the others are still fetched, then SpecsUnavailable names every one left.
    """
    cache.mkdir(parents=True, exist_ok=True)
    fetched = []
    problems = []
    for spec in specs:
        target = cache / spec.name
        if target.is_file() and spec.matches(target.read_bytes()):
            continue
        try:
            data = _obtain(spec, mirror, upstream, fetcher)
        except SpecUnavailable as error:
            problems.append(str(error))
            continue
        partial = target.with_name(f".{spec.name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
        fetched.append(spec.name)
    if problems:
        raise SpecsUnavailable(problems)
    return fetched


def _obtain(spec: Spec, mirror: Path | None, upstream: str, fetcher: Fetcher) -> bytes:
    """The spec's bytes, checked: the mirror's copy, else upstream's; SpecUnavailable saying why
    neither would do."""
    tried = []
    if mirror is not None:
        try:
            data = (mirror / spec.name).read_bytes()
        except OSError as error:
            tried.append(f"mirror: {_one_line(error.strerror or error)}")
        else:
            if spec.matches(data):
                return data
            tried.append(f"mirror: {ALTERED}")
    url = upstream.format(repository=spec.repository, commit=spec.commit, path=spec.path)
    try:
        data = fetcher(url)
    except OSError as error:
        tried.append(f"upstream: fetching failed: {_one_line(error)}")
    else:
        if spec.matches(data):
            return data
        tried.append(f"upstream: {ALTERED}")
    raise SpecUnavailable(f"{how_to_provide(spec)} ({'; '.join(tried)})")


def _one_line(reason: object) -> str:
    return " ".join(str(reason).split())


def main(
    argv: Sequence[str] | None = None,
    *,
    specs: Sequence[Spec] | None = None,
    cache: Path = CACHE,
    fetcher: Fetcher = download,
) -> int:
    """Fetch and verify every spec of the manifest: one line of outcome, or one line for each spec
    that could not be had and a status of 1."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.vendor_specs")
    parser.add_argument(
        "--mirror",
        type=Path,
        default=os.environ.get(MIRROR_VARIABLE) or None,
        help=f"a directory holding the spec files (default: ${MIRROR_VARIABLE})",
    )
    args = parser.parse_args(argv)
    wanted = list(manifest().values()) if specs is None else list(specs)
    try:
        fetched = fetch(wanted, cache=cache, mirror=args.mirror, fetcher=fetcher)
    except SpecsUnavailable as error:
        for problem in error.problems:
            print(f"specs: {problem}", file=sys.stderr)
        print(
            f"specs: {len(error.problems)} of {len(wanted)} vendor specs could not be provided",
            file=sys.stderr,
        )
        return 1
    where = cache.relative_to(REPO) if cache.is_relative_to(REPO) else cache
    print(f"specs: {len(wanted)} vendor specs verified in {where} ({len(fetched)} fetched now)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
