"""Slowing down password guessing at the login form.

Every failed login is counted twice: against the name typed and against the client's
address.  Once a name has NAME_LIMIT failures within WINDOW seconds, or an address
ADDRESS_LIMIT, further logins with that name or from that address are refused before any
password is looked at, until the oldest of those failures is WINDOW seconds old: at most
NAME_LIMIT guesses at one name in any WINDOW, whoever makes them.  The counts depend only
on what was typed and what failed, never on whether the name is a user's, so a refusal
says nothing about which names exist (and costs no password hash, so neither does its
time).  A refused attempt is not counted again; a successful login clears its name's
count, not its address's (one good account must not buy more guesses at the others).

The address limit is higher than the name's: people behind one office's NAT share an
address, and one person's typos must not lock the office out.  Behind a reverse proxy the
address is the proxy's (`gongkai serve` trusts no forwarded headers), so there every
reviewer shares the address limit.

The counts live in the memory of the `gongkai serve` process, which is the one process
that answers the desk: a failure costs no database write (a flood of failed logins cannot
become one of writes), no table and no migration are needed, and counts that matter for
fifteen minutes need not outlive the process.  A restart forgets them (at most one more
round of guesses, and restarting the server is not in a guesser's hands).  At most
MAX_KEYS names and addresses are kept; past that, expired ones are dropped first, then the
oldest.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

NAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 15 * 60
"""Seconds a failed login counts."""
MAX_KEYS = 10_000


class Throttle:
    """Failed logins per name and per address (the route handlers run in threads)."""

    def __init__(
        self,
        name_limit: int = NAME_LIMIT,
        address_limit: int = ADDRESS_LIMIT,
        window: float = WINDOW,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"name": name_limit, "address": address_limit}
        self._window = window
        self._max_keys = max_keys
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, name: str, address: str) -> float:
        """Seconds until a login with `name` from `address` is allowed (0: allowed now)."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(key, now) for key in self._keys(name, address)]
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(name, address):
                found = self._failures.get(key)
                if found is None:
                    self._make_room(now)
                    found = self._failures[key] = deque(maxlen=self._limits[key[0]])
                found.append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("name", name), None)

    def _keys(self, name: str, address: str) -> tuple[tuple[str, str], ...]:
        return ("name", name), ("address", address)

    def _wait(self, key: tuple[str, str], now: float) -> float:
        found = self._failures.get(key)
        if found is None or len(found) < self._limits[key[0]]:
            return 0.0
        return max(0.0, found[0] + self._window - now)

    def _make_room(self, now: float) -> None:
        if len(self._failures) < self._max_keys:
            return
        old = now - self._window
        for key in [key for key, times in self._failures.items() if times[-1] <= old]:
            del self._failures[key]
        while len(self._failures) >= self._max_keys:
            del self._failures[next(iter(self._failures))]
