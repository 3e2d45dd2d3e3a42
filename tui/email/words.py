"""The words email findings share: what a set of URLs is, verb agreement, evidence lines, ESP names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from esp_clients.facts import variants
from tui.email.html import LIST_UNSUBSCRIBE
from tui.email.model import Link

EVIDENCE_LIMIT: Final = 8


def describe(links: Sequence[Link]) -> str:
    """What `links` are, in words: "3 links, the open pixel and the List-Unsubscribe URL"."""
    clicks = sum(1 for link in links if link.is_click)
    pixels = sum(1 for link in links if link.is_pixel)
    headers = sum(1 for link in links if link.found.source == LIST_UNSUBSCRIBE)
    mailto = sum(
        1
        for link in links
        if link.found.scheme == "mailto" and link.found.source != LIST_UNSUBSCRIBE
    )
    images = len(links) - clicks - pixels - headers - mailto
    words = [
        count(clicks, "link"),
        "the open pixel" if pixels == 1 else count(pixels, "open pixel"),
        "the List-Unsubscribe URL" if headers else "",
        count(images, "image"),
        count(mailto, "mailto address", "mailto addresses"),
    ]
    words = [word for word in words if word]
    if len(words) < 2:
        return words[0] if words else "no URL"
    return ", ".join(words[:-1]) + " and " + words[-1]


def count(number: int, noun: str, plural: str = "") -> str:
    if number == 0:
        return ""
    return f"1 {noun}" if number == 1 else f"{number} {plural or noun + 's'}"


def verb(links: Sequence[object], singular: str, plural: str) -> str:
    """The verb agreeing with `describe(links)`."""
    return singular if len(links) == 1 else plural


def evidence(links: Iterable[Link]) -> tuple[str, ...]:
    """One line per distinct URL (where it is, then the URL), at most EVIDENCE_LIMIT of them."""
    lines = list(dict.fromkeys(f"{where(link)}: {link.found.url}" for link in links))
    if len(lines) > EVIDENCE_LIMIT:
        lines = [*lines[:EVIDENCE_LIMIT], f"… and {len(lines) - EVIDENCE_LIMIT} more"]
    return tuple(lines)


def where(link: Link) -> str:
    source = "open pixel" if link.is_pixel else link.found.source
    return f"{link.found.part} {source}" if link.found.part != "header" else source


def esp_label(esp: str | None) -> str:
    family = variants(esp) if esp else ()
    return family[0].label if family else "the ESP"


def esp_target(esp: str | None) -> str:
    family = variants(esp) if esp else ()
    if family and family[0].targets:
        return family[0].targets[0]
    if family and family[0].target_suffixes:
        return f"the *{family[0].target_suffixes[0]} target {family[0].label} gives you"
    return "the target the ESP shows you"
