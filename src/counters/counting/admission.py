"""How many visitor items one client address may create per site and day (bounds storage).

Storage holds at most max_visitors_per_address + (warm instances x
unchecked_visitors_per_address) visitor items per address and day: a warm
function lets a few new visitors of an address create their items before it
checks (and adds to) the address's shared count, so ordinary hits pay no extra
request for the cap. Past that, a new visitor's item is created only after the
shared count admits it, so a refused one never leaves an item (or a note) behind.
"""

from __future__ import annotations

import threading
from datetime import date

from counters.settings import settings
from counters.storage.visitor_items import VisitorItems

Key = tuple[str, date, str]  # site, day, address id


class AddressCap:
    def __init__(self, visitors: VisitorItems) -> None:
        self.visitors = visitors
        self._new_visitors: dict[Key, int] = {}
        self._lock = threading.Lock()  # the local server may run one instance in many threads
        self._capped: set[Key] = set()
        self._reported: set[Key] = set()  # addresses whose unchecked visitors were added

    def is_capped(self, key: Key) -> bool:
        return key in self._capped

    def reserve(self, key: Key) -> bool:
        """Takes one of this instance's unchecked new visitors of an address, if one is left.

        A hit takes one before its visitor write, whose answer says whether the visitor
        was new: if it was not, `release` gives it back. Concurrent hits (the local
        server's threads) cannot all pass the check before any has counted.
        """
        if len(self._new_visitors) > 50_000:
            self._new_visitors.clear()
            self._reported.clear()
        with self._lock:
            taken = self._new_visitors.get(key, 0)
            if taken >= settings().unchecked_visitors_per_address:
                return False
            self._new_visitors[key] = taken + 1
            return True

    def release(self, key: Key) -> None:
        with self._lock:
            self._new_visitors[key] = self._new_visitors.get(key, 1) - 1

    def _count_new(self, key: Key) -> None:
        with self._lock:
            self._new_visitors[key] = self._new_visitors.get(key, 0) + 1

    def admit(self, key: Key, now: float) -> bool:
        """Whether one more visitor item may be made for this address today (one request)."""
        site, day, address = key
        with self._lock:
            # The first check also adds what this instance made unchecked (once).
            added = 1 if key in self._reported else self._new_visitors.get(key, 0) + 1
            self._reported.add(key)
        if (
            self.visitors.count_address(site, address, day, now, added)
            <= settings().max_visitors_per_address
        ):
            self._count_new(key)
            return True
        if len(self._capped) > 10_000:
            self._capped.clear()
        self._capped.add(key)
        return False
