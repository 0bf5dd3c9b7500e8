"""How many new visitors one client address may bring to a site: a rate, not a daily cap.

The rule. A new visitor (one with no visitor item today) of an address gets an item
only if the address has a place left in the current minute: at most
`new_visitors_per_address_minute` (20) per site and minute, a fixed window kept on the
address's day item (`ADDRESS#{site}#{id}`, TTL 26 h). A warm function first lets
`unchecked_visitors_per_address` (20) new visitors of an address per site and day
through unchecked, so ordinary hits pay no extra request. A refused new visitor gets
no item (nor a note of its own) and counts a page view only, as before; a returning
visitor (its item made earlier today) is never refused, so the visits of people
behind a flooded address still count. IPv6 addresses share one place count per /56
(see `counters.counting.visits.address_id`).

Why a rate. A carrier NAT (Vietnam's mobile networks) puts thousands of people behind
one IPv4 address, so any daily cap low enough to matter refuses them: the old rule
(2,000 a day) refused 60% of a day of 5,000 visitors behind one address. Their new
visitors are spread over the day; a flood from one address is not. Modelled
(`python -m bench.admission`: Poisson arrivals over a portal's day, the peak hour 1.7x
the mean), 20 a minute refuses none of 5,000 or 10,000 (0.03%) real visitors a day
behind one address, 7% of 20,000.

What it costs. One address can add at most 20 x 1,440 = 28,800 visits a day to a
site, plus 20 per warm function (one with a flood spread over all 300 of the hit
function's instances: 34,800); that is also the bound on the visitor items it makes
per site and day. Its page views are not capped here: the WAF rate rule in
docs/operations.md bounds those (and the hits of an address per 5 minutes).

Requests: none for a hit of a returning visitor or an unchecked new one. A checked new
visitor's hit adds two: its refused `must_exist` sighting, then the address's place
(one request; two if another function opened the minute), then its sighting. In a minute this function
already found full, a new visitor's hit costs its refused sighting only.
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
        self._full: dict[Key, int] = {}  # addresses found full, and in which minute
        self._admitted: dict[Key, int] = {}  # the minute of an address's last admission here

    def reserve(self, key: Key) -> bool:
        """Takes one of this instance's unchecked new visitors of an address, if one is left.

        A hit takes one before its visitor write, whose answer says whether the visitor
        was new: if it was not, `release` gives it back. Concurrent hits (the local
        server's threads) cannot all pass the check before any has counted.
        """
        if len(self._new_visitors) > 50_000:
            self._new_visitors.clear()
        with self._lock:
            taken = self._new_visitors.get(key, 0)
            if taken >= settings().unchecked_visitors_per_address:
                return False
            self._new_visitors[key] = taken + 1
            return True

    def release(self, key: Key) -> None:
        with self._lock:
            self._new_visitors[key] = self._new_visitors.get(key, 1) - 1

    def admit(self, key: Key, now: float) -> bool:
        """Whether a new visitor of this address may have an item now (one request, or none
        in a minute this instance already found full)."""
        site, day, address = key
        minute = int(now // 60)
        if self._full.get(key) == minute:
            return False
        per_minute = settings().new_visitors_per_address_minute
        # Its first admission this minute here most likely opens the minute's window.
        opening = self._admitted.get(key) != minute
        if self.visitors.admit_new(site, address, day, now, per_minute, opening):
            if len(self._admitted) > 10_000:
                self._admitted.clear()
            self._admitted[key] = minute
            return True
        if len(self._full) > 10_000:
            self._full.clear()
        self._full[key] = minute
        return False
