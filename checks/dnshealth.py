"""How each server of a scan is doing (its resolvers; in a record of their own, its zones' name
servers): when it last answered, how fast it answers, and whether it has stopped answering
altogether, so that a dead server is asked nothing more and every host that needs it finishes at
once instead of waiting out its own timeouts.

Its round trips set how long a question waits before it is sent again (as TCP does: the smoothed
round trip plus four times its variation), so a server that is slow on cache misses is not
flooded with repeats while a lost answer on a steady one is asked for again at once.

A server is suspected when a question gets no answer within its first wait and the server has
said nothing at all since that question left; a canary question (`. NS`: every recursive resolver
holds it in its cache, and any server answers it somehow, if only with REFUSED) then decides: no
answer to it within the timeout either, and nothing else heard meanwhile, and the server is down
for the rest of the scan. A zone whose own servers are dead does not make its resolver look dead:
the resolver keeps answering other questions, and the canary.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from checks.servers import Server, server_text

Clock = Callable[[], float]
Probe = Callable[[Server, float], bool]
"""Asks `server` the canary question within a timeout: whether anything at all came back."""

CANARY = (".", "NS")
"""The canary question: the root's name servers, in every recursive resolver's cache."""
FIRST_WAIT = 0.3
"""The shortest first wait before a question is sent again (less with a short timeout); a server
that is slower than that waits for its own retransmission timeout instead (`rto`)."""


def first_wait(timeout: float, rto: float | None) -> float:
    """How long to wait for an answer before asking again: the server's retransmission timeout
    (`ResolverHealth.rto`), at least min(FIRST_WAIT, timeout / 2), at most the timeout; later
    waits double."""
    floor = min(FIRST_WAIT, timeout / 2)
    return min(timeout, max(floor, rto if rto is not None else floor))


@dataclass(slots=True)
class _State:
    """One server's record in this scan."""

    heard: float = float("-inf")
    srtt: float | None = None
    rttvar: float = 0.0
    silent_since: float | None = None
    unanswered: int = 0
    probing: bool = False
    down: str = ""
    reported: bool = False


class ResolverHealth:
    """The servers of one scan as their answers and silences show them (shared by every thread).
    Without a `probe` it only learns round trips (a zone's name servers: a silent one is lame,
    which the authoritative check reports, not a dead resolver)."""

    def __init__(self, probe: Probe | None, *, clock: Clock = time.monotonic) -> None:
        self._probe = probe
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._states: dict[Server, _State] = {}
        self.version = 0
        """Goes up whenever a server is found down (askers re-read then)."""

    def _state(self, server: Server) -> _State:
        state = self._states.get(server)
        if state is None:
            state = self._states[server] = _State()
        return state

    def heard(self, server: Server, rtt: float | None = None) -> None:
        """`server` answered (anything, even an error), `rtt` seconds after the try it answers."""
        now = self._clock()
        with self._lock:
            state = self._state(server)
            state.heard, state.silent_since, state.unanswered = now, None, 0
            if rtt is None:
                return
            if state.srtt is None:  # RFC 6298's estimator
                state.srtt, state.rttvar = rtt, rtt / 2
            else:
                state.rttvar = 0.75 * state.rttvar + 0.25 * abs(state.srtt - rtt)
                state.srtt = 0.875 * state.srtt + 0.125 * rtt

    def srtt(self, server: Server) -> float | None:
        """The server's smoothed round-trip time in this scan (None before its first answer)."""
        with self._lock:
            return self._state(server).srtt

    def rto(self, server: Server) -> float | None:
        """How long an answer of the server may take before the question is sent again: the
        smoothed round trip plus four times its variation (None before its first answer)."""
        with self._lock:
            state = self._state(server)
            return None if state.srtt is None else state.srtt + 4 * state.rttvar

    def down(self, server: Server) -> str:
        """Why the server was found down, or "" while it is not."""
        with self._lock:
            state = self._states.get(server)
            return state.down if state is not None else ""

    def suspected(self, server: Server) -> bool:
        """Whether a canary is deciding about the server right now."""
        with self._lock:
            state = self._states.get(server)
            return state is not None and state.probing

    def probing(self) -> bool:
        """Whether any canary is out (askers then look at the verdict often)."""
        with self._lock:
            return any(state.probing for state in self._states.values())

    def silent(self, server: Server, sent_at: float, timeout: float) -> None:
        """A question sent to `server` at `sent_at` got no answer for a while: if the server has
        said nothing since, ask the canary (on its own thread, one at a time per server)."""
        if self._probe is None:
            return
        with self._lock:
            state = self._state(server)
            if state.down or state.heard >= sent_at:
                return
            state.unanswered += 1
            if state.silent_since is None or sent_at < state.silent_since:
                state.silent_since = sent_at
            if state.probing:
                return
            state.probing = True
        started = self._clock()
        threading.Thread(
            target=self._decide,
            args=(server, timeout, started),
            name=f"trackdeck-canary-{server_text(*server)}",
            daemon=True,
        ).start()

    def _decide(self, server: Server, timeout: float, started: float) -> None:
        assert self._probe is not None
        answered = self._probe(server, timeout)
        now = self._clock()
        with self._changed:
            state = self._state(server)
            state.probing = False
            if answered:
                state.heard, state.silent_since, state.unanswered = now, None, 0
            elif state.heard < started and not state.down:
                since = state.silent_since if state.silent_since is not None else started
                state.down = (
                    f"no answer to {state.unanswered} "
                    f"{'question' if state.unanswered == 1 else 'questions'} in "
                    f"{now - since:.1f}s, nor to the canary question `. NS` within {timeout:g}s"
                )
                self.version += 1
            self._changed.notify_all()

    def settle(self, servers: Sequence[Server], until: float) -> None:
        """Wait (until `until` at the latest) for the canaries out for any of `servers`."""
        with self._changed:
            while any(self._state(server).probing for server in servers):
                left = until - self._clock()
                if left <= 0:
                    return
                self._changed.wait(min(left, 1.0))  # a verdict wakes it sooner

    def claim(self, server: Server) -> bool:
        """True once per down server: the caller reports it (`dns.resolver_down`, said once)."""
        with self._lock:
            state = self._states.get(server)
            if state is None or not state.down or state.reported:
                return False
            state.reported = True
            return True

    def __repr__(self) -> str:
        with self._lock:
            down = [server_text(*server) for server, state in self._states.items() if state.down]
        return f"ResolverHealth(down={down})"
