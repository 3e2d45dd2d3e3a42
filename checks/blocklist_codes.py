"""What the URI blocklists' answer codes mean: each list's return-code table and its decoder."""

from __future__ import annotations

import ipaddress
from typing import Final

LISTED: Final = "listed"
CLEAN: Final = "clean"
NOT_TESTED: Final = "not_tested"

_DBL_LISTINGS: Final = {
    2: "low-reputation domain (spam)",
    4: "phishing-related domain",
    5: "malware-related domain",
    6: "botnet C&C domain",
    102: "abused legitimate domain (spam)",
    103: "abused redirector",
    104: "abused legitimate domain used in phishing",
    105: "abused legitimate domain used by malware",
    106: "abused legitimate domain hosting botnet C&C",
}
_SPAMHAUS_ERRORS: Final = {
    250: "error: DQS key disabled (code value not officially confirmed)",
    251: "error: DQS key rejected (code value not officially confirmed)",
    252: "error: typing error in the DNSBL zone name",
    254: "error: query via a public/open resolver, refused by Spamhaus",
    255: "error: excessive number of queries from this resolver",
}
_SURBL_BITS: Final = (
    (8, "PH (phishing)"),
    (16, "MW (malware)"),
    (64, "ABUSE (spam/abuse)"),
    (128, "CR (cracked site)"),
    (4, "DM (disposable email domain)"),
    (32, "CT (click-tracker domain)"),
)
_URIBL_BITS: Final = ((2, "black"), (4, "grey"), (8, "red"))
_REWRITTEN: Final = "answer outside 127.0.0.0/8: the resolver rewrites answers"
REDIRECT_ABUSE: Final = (_DBL_LISTINGS[103], "CT (click-tracker domain)")
"""The meanings that say the tracking (redirect) domain itself is being abused."""


def _octets(address: str) -> tuple[int, ...] | None:
    """The four octets of an IPv4 address, or None when `address` is not one."""
    try:
        return tuple(ipaddress.IPv4Address(address.strip()).packed)
    except ValueError:
        return None


def is_loopback(address: str) -> bool:
    """Whether `address` is in 127.0.0.0/8, where every list answer must be."""
    octets = _octets(address)
    return octets is not None and octets[0] == 127


def _not_loopback(address: str) -> tuple[str, str]:
    """The not-tested verdict of an answer outside 127/8 (rewritten by the resolver, or garbage)."""
    return NOT_TESTED, _REWRITTEN if _octets(address) else f"not an IPv4 answer: {address}"


def decode_dbl(address: str) -> tuple[str, str]:
    """(status, meaning) of one Spamhaus DBL answer; errors and unknown codes are never "listed"."""
    octets = _octets(address)
    if octets is None or octets[0] != 127:
        return _not_loopback(address)
    if octets[1:3] == (255, 255):
        return NOT_TESTED, _SPAMHAUS_ERRORS.get(octets[3], f"Spamhaus error code {address}")
    if octets[1:] == (0, 1, 255):
        return NOT_TESTED, "error: IP address queried against a domain list"
    if octets[1:3] == (0, 1) and octets[3] in _DBL_LISTINGS:
        return LISTED, _DBL_LISTINGS[octets[3]]
    return NOT_TESTED, f"unknown DBL return code {address}"


def _decode_bits(address: str, bits: tuple[tuple[int, str], ...], name: str) -> tuple[str, str]:
    """Decode a last-octet bitmask answer; 127.0.0.1 (bit 1 only) means the query was refused."""
    octets = _octets(address)
    if octets is None or octets[0] != 127:
        return _not_loopback(address)
    if octets[3] == 1:
        return NOT_TESTED, f"refused: {name} blocks queries from this resolver"
    names = [text for bit, text in bits if octets[3] & bit]
    if not names:
        return NOT_TESTED, f"unknown {name} return code {address}"
    return LISTED, ", ".join(names)


def decode_surbl(address: str) -> tuple[str, str]:
    """(status, meaning) of one SURBL multi answer (PH 8, MW 16, ABUSE 64, CR 128, DM 4, CT 32)."""
    return _decode_bits(address, _SURBL_BITS, "SURBL")


def decode_uribl(address: str) -> tuple[str, str]:
    """(status, meaning) of one URIBL multi answer (black 2, grey 4, red 8)."""
    return _decode_bits(address, _URIBL_BITS, "URIBL")
