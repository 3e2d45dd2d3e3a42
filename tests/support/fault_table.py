"""The README's Reliability table, printed from the fault matrix's own cases:
`python -m tests.support.fault_table`."""

from __future__ import annotations

from esp_clients.http import MAX_HEADER_WAIT
from tests.support.esp_faults import CLICK_FAULTS, ESP_FAULTS, ESP_WALL, ESPS, RETRIES, EspFault
from tests.support.faults import DNS_CASES, HANG_FACTOR, KEYRING_CASES, TLS_CASES


def _worst_case(fault: EspFault) -> str:
    """What the fault costs one account against a real API: every attempt plus every wait."""
    attempts = RETRIES + 1
    waits = fault.waits
    if fault.real:
        return fault.real
    if fault.name.startswith("429"):
        return f"the wait the API asks for, at most {MAX_HEADER_WAIT:.0f} s, {RETRIES} times"
    if fault.per_attempt:
        total = attempts * fault.per_attempt + waits
        return f"{attempts} × {fault.per_attempt:.0f} s + {waits:g} s backoff = {total:g} s"
    return f"{waits:g} s of backoff" if waits else "one answer"


def render_table() -> str:
    """The Reliability table (Markdown) of every fault case."""
    lines = ["| class | fault | finding | severity | ended by (asserted) | did not hang |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for case in DNS_CASES + TLS_CASES + KEYRING_CASES:
        ended = [f"`{case.evidence}`"] if case.evidence else []
        ended += [f"`{case.said_once}` on one row"] if case.said_once else []
        ended += ["answers asked for again"] if case.lost else []
        ended += ["retried over TCP"] if case.needs_tcp else []
        lines.append(
            f"| {case.klass} | {case.name} | `{case.code}` | {case.severity.value} | "
            f"{'; '.join(ended) or '—'} | < {HANG_FACTOR * case.mechanism:g} s |"
        )
    for fault in ESP_FAULTS + CLICK_FAULTS:
        esps = "all six" if fault.esps == ESPS else ", ".join(fault.esps)
        lines.append(
            f"| ESP API ({esps}) | {fault.name} | `{fault.code}` | unknown | "
            f"real API: {_worst_case(fault)} | < {HANG_FACTOR * ESP_WALL:g} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_table())
