"""Where the tests' own files are: the repository, and the sample emails, inventories and zones."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
EMAILS = DATA / "emails"
INVENTORIES = DATA / "inventories"
ZONES = DATA / "zones"
