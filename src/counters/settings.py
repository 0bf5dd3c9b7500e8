"""Configuration, read once from the environment (the template sets it).

A pydantic model filled from the environment, rather than pydantic-settings:
the hit function's cold start is budgeted, and pydantic-settings adds ~15 ms of
imports for a few variables (pydantic itself is loaded anyway). Each field is
read from the upper-cased environment variable of its name, and validated.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    table_name: str = Field(min_length=1)
    # A warm function keeps a site's settings this long, so that a hit costs one request.
    site_cache_seconds: float = 30.0
    # ...and remembers that a site does not exist for this long (floods of bad ids stay cheap).
    unknown_site_cache_seconds: float = 5.0
    # A buffered hit answers the last aggregated figures, read at most this often per site.
    buffered_figures_cache_seconds: float = 2.0
    # A high-traffic site's hits with no visitor item of their own (bots, capped
    # addresses) take turns over this many lane items (see counters.storage.keys).
    lanes_per_site: int = Field(128, ge=1, le=1000)
    # Timeouts short enough that a slow call is retried well inside the Lambda timeout.
    dynamodb_connect_timeout: float = 1.0
    dynamodb_read_timeout: float = 2.0
    dynamodb_max_attempts: int = 4
    # New visitors (visitor items) one client address (IPv6: /56) may bring to a site per
    # minute; past it, that minute's new visitors count as page views but not visits, so a
    # flood cannot grow storage, and a carrier NAT's thousands of people still count
    # (counters.counting.admission).
    new_visitors_per_address_minute: int = Field(20, ge=1)
    # New visitors from one address a warm function admits (per site and day) before it
    # checks the address's shared count: ordinary hits pay no extra request for the cap.
    unchecked_visitors_per_address: int = 20

    # Behind a CloudFront distribution: the header naming the viewer's address (empty:
    # the connection's address), trusted on requests whose X-Origin-Verify value hashes
    # (SHA-256, hex) to proxy_verify_sha256.
    client_address_header: Literal["", "CloudFront-Viewer-Address"] = ""
    proxy_verify_sha256: str = Field("", pattern=r"^([0-9a-f]{64})?$")
    # The event archive's bucket (counters.archive); empty in functions that have none.
    archive_bucket: str = ""

    @classmethod
    def from_environment(cls) -> Settings:
        names = (name for name in cls.model_fields if name.upper() in os.environ)
        return cls.model_validate({name: os.environ[name.upper()] for name in names})


@cache
def settings() -> Settings:
    return Settings.from_environment()
