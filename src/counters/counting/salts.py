"""The daily salt of visitor ids: random, shared by every instance, deleted within two days."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day

from counters.storage.salt_items import SaltItems


class DailySalts:
    def __init__(self, items: SaltItems) -> None:
        self.items = items
        self._salts: dict[date, bytes] = {}

    def of(self, day: date) -> bytes:
        salt = self._salts.get(day)
        if salt is None:
            salt = self.items.get(day)
            if salt is None:
                fresh = secrets.token_bytes(32)
                # Kept until the date has ended everywhere (UTC-12), then deleted.
                expires = datetime.combine(day + timedelta(days=2), time_of_day(), UTC)
                if self.items.create(day, fresh, int(expires.timestamp())):
                    salt = fresh
                    self.items.delete_before(day - timedelta(days=2))
                else:
                    salt = self.items.get(day)
                    assert salt is not None
            self._salts = {
                day: salt,
                **{d: s for d, s in self._salts.items() if d >= day - timedelta(days=1)},
            }
        return salt
