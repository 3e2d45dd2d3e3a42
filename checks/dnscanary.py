"""The canary question that tells a dead resolver from a dead zone (`checks.dnshealth`)."""

from __future__ import annotations

from checks.dnsbatch import Batch
from checks.dnshealth import CANARY
from checks.servers import Server


def canary(server: Server, timeout: float) -> bool:
    """Whether `server` answers anything at all (even an error) to the canary question within
    `timeout`: sent three times inside it (after a quarter, then three quarters), so that a lost
    answer or two do not make a live resolver look dead."""
    replies: list[Server] = []
    batch = Batch(
        servers=(server,), timeout=timeout, attempts=1, health=None, deadline=None, pool_size=1,
        on_reply=lambda source, _rtt: replies.append(source), first=timeout / 4,
    )  # fmt: skip
    try:
        done = batch.start((*CANARY, True)) is not None
        while batch.items and not done:
            done = any(True for _done in batch.receive())
    finally:
        batch.close()
    return bool(replies)
