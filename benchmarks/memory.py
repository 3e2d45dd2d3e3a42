"""Peak memory of the process it runs in (the harness's children import it, so it stays tiny)."""

from __future__ import annotations

import resource
from pathlib import Path


def children_peak_rss_mb() -> float:
    """The largest peak of this process's finished children (`RUSAGE_CHILDREN`). On Linux a child
    started by fork and exec also carries this process's size at that moment, so the figure is the
    child's own peak or, if that was smaller, this process's size when it started the child."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux carries `ru_maxrss` over from the parent at fork
    (so a child of the big world process would report the world's size): read the peak of this
    process's own memory, VmHWM, where there is one."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
