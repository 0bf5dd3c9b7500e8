"""Site timezones for tests that run in real time (the local API, the browser)."""

from __future__ import annotations

import time


def midday_timezone() -> str:
    """A fixed-offset zone (no DST) in which it is now between 11:30 and 12:30.

    A site in this zone is at least 11 hours from its local midnight, so a test or
    module that reads the site's today once (from the API) and asserts on it for
    minutes holds on any day, at any hour.
    """
    offset = round((12 * 3600 - time.time() % 86_400) / 3600)  # -12..+12 hours from UTC
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-7 is UTC+7
