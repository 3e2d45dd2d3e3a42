"""Where the tests' own files are: the repository, and the sample emails, inventories and zones."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
DATA = TESTS / "data"
EMAILS = DATA / "emails"
INVENTORIES = DATA / "inventories"
ZONES = DATA / "zones"
