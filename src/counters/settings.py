"""Configuration, read once from the environment (the template sets it)."""

from __future__ import annotations

from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    table_name: str
    # A warm function keeps a site's settings this long, so that a hit costs one request.
    site_cache_seconds: float = 30.0
    # ...and remembers that a site does not exist for this long (floods of bad ids stay cheap).
    unknown_site_cache_seconds: float = 5.0
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


@cache
def settings() -> Settings:
    return Settings()  # table_name comes from the environment
