"""What the email audit knows about links: each ESP's tracking-URL shapes, the URL shorteners and image
CDNs it names, and how to read a redirect's destination out of the URL when it is there to read.

The shapes recognise an ESP's tracking URLs on a branded host the inventory does not list (an ESP's
shared hosts are known from `esp_clients.facts`). They are the path shapes these ESPs' messages show;
they only label a host, and the full outside check then asks DNS which ESP it really points at.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
import zlib
from dataclasses import dataclass
from typing import Final

from checks.psl import is_ip_literal
from tui.email.html import url_parts

SHORTENERS: Final = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "tinyurl.com",
        "t.co",
        "goo.gl",
        "ow.ly",
        "buff.ly",
        "is.gd",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "t.ly",
    }
)
"""Registered domains of public URL shorteners. Kept to the common ones on purpose: a shortener hides
the destination, is shared by every sender who uses it, and is judged by filters accordingly."""

IMAGE_CDNS: Final = frozenset(
    {
        "cloudfront.net",
        "amazonaws.com",
        "akamaized.net",
        "akamaihd.net",
        "fastly.net",
        "cloudinary.com",
        "imgix.net",
        "googleusercontent.com",
        "mcusercontent.com",
    }
)
"""Registered domains of general-purpose CDNs and ESP image stores, labelled image/CDN hosts even where
a link points at them. Any other host that only serves images is an image host too."""

REDIRECT_PARAMETERS: Final = frozenset(
    {"url", "u", "redirect", "redirect_url", "redirect_uri", "target", "dest", "destination"}
    | {"link", "goto", "to", "r", "q"}
)
"""Query parameters that carry a redirect's destination in plain (percent-encoded) form."""

_BASE64_TOKEN: Final = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_URL_IN_TEXT: Final = re.compile(r"https?://[^\s\"'<>\\]+")
_MAX_DECODED: Final = 65_536
_MAX_CANDIDATES: Final = 16
_POSTMARK_VERSION: Final = re.compile(r"^[23][mst]{0,2}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkShape:
    """How one ESP's click or open URLs look: the path they start with, and what their token is."""

    esp: str
    kind: str
    path: re.Pattern[str]
    query: str = ""
    opaque: str = ""


def _shape(esp: str, kind: str, path: str, query: str = "", opaque: str = "") -> LinkShape:
    return LinkShape(esp=esp, kind=kind, path=re.compile(path), query=query, opaque=opaque)


SHAPES: Final = (
    _shape("sendgrid", "click", r"/(?:ls|wf)/click$", "upn", "SendGrid's upn token is opaque"),
    _shape("sendgrid", "open", r"/wf/open$", "upn"),
    _shape("ses", "click", r"/C?L0/", opaque="this Amazon SES link does not spell out its target"),
    _shape("ses", "open", r"/C?I0/"),
    _shape("mandrill", "click", r"/track/click/\d+/", "p", "Mandrill's p parameter is unreadable"),
    _shape("mailchimp", "click", r"/track/click$", "id", "Mailchimp's link ids are opaque"),
    _shape("mailchimp", "open", r"/track/open\.php$", "e"),
    _shape("mandrill", "open", r"/track/open\.php$", "u"),
    _shape("mailgun", "click", r"/c/[A-Za-z0-9_=-]{40,}", opaque="Mailgun's token is opaque"),
    _shape("mailgun", "open", r"/o/[A-Za-z0-9_=-]{40,}"),
    _shape("sparkpost", "click", r"/f/a/", opaque="SparkPost's token is opaque"),
    _shape("sparkpost", "open", r"/q/[A-Za-z0-9_~-]{20,}"),
    _shape("postmark", "click", r"/[23][mst]{0,2}/[^/]+/"),
    _shape("hubspot", "click", r"/Ctc/", opaque="HubSpot's token is opaque"),
    _shape("mailjet", "click", r"/lnk/", opaque="Mailjet's token is opaque"),
)
"""Known tracking-URL shapes, most specific first (Mailchimp's open pixel carries e=, Mandrill's not)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decoded:
    """A tracking URL's destination (None when it is not in the URL) and how it was read, or why not."""

    destination: str | None
    how: str


def match_shape(url: str) -> LinkShape | None:
    """The ESP tracking-URL shape `url` has, if any."""
    try:
        split = urllib.parse.urlsplit(url)
        names = {name for name, _ in urllib.parse.parse_qsl(split.query, keep_blank_values=True)}
    except ValueError:
        return None
    for shape in SHAPES:
        if shape.path.match(split.path) and (not shape.query or shape.query in names):
            return shape
    return None


def is_web_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL whose host is a dotted name or an address."""
    if not value.lower().startswith(("http://", "https://")):
        return False
    host = url_parts(value)[1]
    return host is not None and ("." in host or is_ip_literal(host))


def decode_destination(url: str, shape: LinkShape | None) -> Decoded:
    """The destination a tracking URL redirects to, where the URL carries it in a readable form."""
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        return Decoded(destination=None, how="the URL does not parse")
    if shape is not None and shape.esp == "postmark":
        found = _postmark(split.path)
        if found:
            return found
    for attempt in (_from_parameters, _from_path, _from_base64):
        found = attempt(split)
        if found:
            return found
    if shape is not None and shape.opaque:
        return Decoded(destination=None, how=f"not in the URL: {shape.opaque}")
    return Decoded(destination=None, how="not in the URL (an opaque token, or not a redirect)")


def _postmark(path: str) -> Decoded | None:
    """Postmark: ``/<version>/<host%2Fpath>/…``, the target percent-encoded without its scheme."""
    segments = path.split("/")
    if len(segments) > 2 and _POSTMARK_VERSION.match(segments[1]):
        target = urllib.parse.unquote(segments[2])
        candidate = target if is_web_url(target) else f"https://{target}"
        if is_web_url(candidate):
            return Decoded(destination=candidate, how="percent-encoded in the path")
    return None


def _from_parameters(split: urllib.parse.SplitResult) -> Decoded | None:
    for name, value in urllib.parse.parse_qsl(split.query):
        if name.lower() in REDIRECT_PARAMETERS and is_web_url(value):
            return Decoded(destination=value, how=f"the {name}= parameter")
    return None


def _from_path(split: urllib.parse.SplitResult) -> Decoded | None:
    for segment in split.path.split("/"):
        value = urllib.parse.unquote(segment)
        if is_web_url(value):
            return Decoded(destination=value, how="percent-encoded in the path")
    return None


def _from_base64(split: urllib.parse.SplitResult) -> Decoded | None:
    """A URL inside a base64 token of the path or the query (JSON and zlib-compressed JSON too)."""
    query = urllib.parse.parse_qsl(split.query)
    places = [(value, f"base64 in the {name}= parameter") for name, value in query]
    places += [(segment, "base64 in the path") for segment in split.path.split("/")]
    tried = 0
    for value, where in places:
        for token in _BASE64_TOKEN.findall(value):
            tried += 1
            if tried > _MAX_CANDIDATES:
                return None
            found = url_in_text(_unbase64(token))
            if found:
                return Decoded(destination=found, how=where)
    return None


def _unbase64(token: str) -> str:
    """`token` decoded as (URL-safe) base64, inflated when it is zlib data; "" when it is neither."""
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return ""
    if raw[:1] == b"\x78":
        try:
            raw = zlib.decompressobj().decompress(raw, _MAX_DECODED)
        except zlib.error:
            return ""
    return raw[:_MAX_DECODED].decode("utf-8", errors="replace")


def url_in_text(text: str) -> str | None:
    """The first http(s) URL in decoded text: a JSON value (JSON in JSON too), or written out."""
    if not text or "http" not in text:
        return None
    found = _url_in_json(text, 0)
    if found:
        return found
    unescaped = re.sub(r"\\+/", "/", text)
    for match in _URL_IN_TEXT.finditer(unescaped):
        if is_web_url(match.group(0)):
            return match.group(0)
    return None


def _url_in_json(text: str, depth: int) -> str | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return _url_in_value(value, depth)


def _url_in_value(value: object, depth: int) -> str | None:
    """Depth-first: a string that is a URL, or a string that is itself JSON holding one."""
    if depth > 4:
        return None
    if isinstance(value, str):
        if is_web_url(value):
            return value
        return _url_in_json(value, depth + 1) if value[:1] in "{[" else None
    if isinstance(value, dict):
        children: list[object] = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _url_in_value(child, depth + 1)
        if found:
            return found
    return None
