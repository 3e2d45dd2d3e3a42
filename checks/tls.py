"""The TLS check of a host: every address probed in parallel, then the probes explained as findings."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from checks.context import CheckContext
from checks.model import Finding
from checks.tls_explain import explain_probes
from checks.tls_probe import TlsProbe, probe_tls

_MAX_PARALLEL = 4


def check_tls(
    host: str, addresses: Sequence[str], ctx: CheckContext
) -> tuple[tuple[Finding, ...], tuple[TlsProbe, ...]]:
    """Probe every address in parallel (each bounded by `connect_timeout`); merge the findings."""
    unique = tuple(dict.fromkeys(addresses))
    if not unique:
        return (), ()
    if len(unique) == 1:  # most hosts: no thread to start
        probes: tuple[TlsProbe, ...] = (probe_tls(host, unique[0], ctx),)
    else:
        with ThreadPoolExecutor(max_workers=min(len(unique), _MAX_PARALLEL)) as pool:
            probes = tuple(pool.map(lambda address: probe_tls(host, address, ctx), unique))
    return explain_probes(host, probes, ctx), probes
