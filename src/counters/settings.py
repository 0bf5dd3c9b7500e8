"""Configuration, read once from the environment (the template sets it).

A plain dataclass rather than pydantic-settings: the hit function's cold start
is budgeted, and pydantic-settings adds ~15 ms of imports for six variables.
Each field is read from the upper-cased environment variable of its name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache

_KINDS: dict[type, type[str] | type[float] | type[int]] = {str: str, float: float, int: int}


@dataclass(frozen=True)
class Settings:
    table_name: str
    # The buffered (high-traffic) mode's queue; empty where the function sends no hits.
    queue_url: str = ""
    # A warm function keeps a site's settings this long, so that a hit costs one request.
    site_cache_seconds: float = 30.0
    # ...and remembers that a site does not exist for this long (floods of bad ids stay cheap).
    unknown_site_cache_seconds: float = 5.0
    # A buffered hit answers the last aggregated figures, read at most this often per site.
    buffered_figures_cache_seconds: float = 2.0
    # Timeouts short enough that a slow call is retried well inside the Lambda timeout.
    dynamodb_connect_timeout: float = 1.0
    dynamodb_read_timeout: float = 2.0
    dynamodb_max_attempts: int = 3
    # Visitor items one client address (IPv6: /64) may create per site and day; past
    # it, its hits count as page views but not visits, so a flood cannot grow storage.
    max_visitors_per_address: int = 2000
    # New visitors from one address a warm function admits before it checks (and adds
    # to) the address's shared count: ordinary hits pay no extra request for the cap.
    unchecked_visitors_per_address: int = 20

    @classmethod
    def from_environment(cls) -> Settings:
        values: dict[str, str | float | int] = {}
        for field in fields(cls):
            raw = os.environ.get(field.name.upper())
            if raw is None:
                continue
            # Each field's type is its default's (table_name has none: a string).
            kind = _KINDS.get(type(field.default), str)
            try:
                values[field.name] = kind(raw)
            except ValueError as bad:
                raise ValueError(f"{field.name.upper()}={raw!r} is not a {kind.__name__}") from bad
        if "table_name" not in values:
            raise ValueError("TABLE_NAME is not set")
        return cls(**values)  # type: ignore[arg-type]


@cache
def settings() -> Settings:
    return Settings.from_environment()
