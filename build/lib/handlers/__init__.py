"""Lambda handlers: thin adapters from AWS events to `counters`.

Cold start: importing Powertools, pydantic and botocore's service models
allocates a few hundred thousand long-lived objects, and the collector
traversing them again and again while they pile up is ~20% of a function's
init (measured by `python -m bench`). So collection is off from the first
import of this package until the first invocation has run; then everything
allocated so far is frozen out of later collections and collection resumes.
"""

from __future__ import annotations

import gc

gc.disable()


def end_cold_start() -> None:
    """Called after every invocation; acts once."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
