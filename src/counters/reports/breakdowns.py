"""Breakdowns: what one hit says in categories, and how days of them add up.

Only categories leave `facts_of`: a named source or host, the utm campaign,
browser, OS and device type, a country code and a language subtag. The raw
User-Agent, address, referrer URL and query string stay in the request.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Literal, get_args
from urllib.parse import urlsplit

from counters.reports import sources, useragents
from counters.reports.useragents import bot_family

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "MAX_VALUES_PER_DAY",
    "OTHER",
    "HitFacts",
    "Row",
    "bot_family",
    "dimension_values",
    "facts_of",
    "site_hosts",
    "top_rows",
]

Dimension = Literal[
    "source",
    "campaign",
    "browser",
    "os",
    "device",
    "country",
    "language",
    "hour",
    "bot",
    "event",
    "download",
    "outbound",
    "property",
]
# Events' dimensions (counters.events): rows count events (as `pageviews`) and, by name,
# the visits with the event; bots count page views only.
BY_PAGEVIEWS = ("bot", "event", "download", "outbound", "property")
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
OTHER = "(other)"  # the row for values past the per-day cap
UNKNOWN = "(unknown)"
MAX_VALUES_PER_DAY = 500  # distinct values per dimension and day
MAX_ENCODED_BYTES = 300
MAX_RANGE_DAYS = 366  # read side: a year of days, 13 monthly Queries at most
DEFAULT_DAYS = 30
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_NAME_BYTES = 24  # browser and OS family names
MAX_ACCEPT_LANGUAGE = 256
MAX_ADDRESS = 45  # the longest textual IPv6 address
DEVICES = ("desktop", "mobile", "tablet", "other")
_VERSION = "1"
_SEPARATOR = "\x1f"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The most UTF-8 bytes of a HitFacts field; the others are at most MAX_NAME_BYTES.
_MAX_FIELD_BYTES = {
    "source": sources.MAX_SOURCE_BYTES,
    "campaign": 3 * sources.MAX_CAMPAIGN_PART_BYTES + 6,
}


@dataclass(frozen=True)
class HitFacts:
    """The categories of one hit: never a raw UA, IP, URL or query string."""

    source: str
    campaign: str
    browser: str
    os: str
    device: str
    country: str
    language: str

    def __post_init__(self) -> None:
        for field in fields(self):
            _check_plain_and_short(field.name, getattr(self, field.name))
        self._check_categories()

    def _check_categories(self) -> None:
        if not self.source:
            raise ValueError("source: empty")
        if self.device not in DEVICES:
            raise ValueError(f"device: not one of {DEVICES}")
        if self.country and not _COUNTRY.match(self.country):
            raise ValueError("country: not ISO 3166-1 alpha-2")
        if self.language and not _LANGUAGE.match(self.language):
            raise ValueError("language: not a primary language subtag")

    def encode(self) -> str:
        """Compact text (at most 300 UTF-8 bytes) that `decode` reads back."""
        values = (
            self.source,
            self.campaign,
            self.browser,
            self.os,
            self.device,
            self.country,
            self.language,
        )
        return _SEPARATOR.join((_VERSION, *values))

    @classmethod
    def decode(cls, text: str) -> HitFacts:
        if not isinstance(text, str) or len(text.encode()) > MAX_ENCODED_BYTES:
            raise ValueError("encoded facts: not text of at most 300 bytes")
        version, *values = text.split(_SEPARATOR)
        if version != _VERSION or len(values) != len(fields(cls)):
            raise ValueError("encoded facts: unknown version or field count")
        return cls(*values)


def _check_plain_and_short(name: str, value: object) -> None:
    if not isinstance(value, str) or _CONTROL.search(value):
        raise ValueError(f"{name}: not a plain string")
    if len(value.encode()) > _MAX_FIELD_BYTES.get(name, MAX_NAME_BYTES):
        raise ValueError(f"{name}: too long")


def _name(value: str) -> str:
    # A rule may name a family after a token of the User-Agent: keep it plain and short.
    plain = _CONTROL.sub("", value).strip()
    return plain.encode(errors="replace")[:MAX_NAME_BYTES].decode(errors="ignore") or "Other"


def country_of(client_ip: str, viewer_country: str | None) -> str:
    """CloudFront-Viewer-Country when present, else the registry's country of the address."""
    if viewer_country:
        code = viewer_country[:2].upper()
        if _COUNTRY.match(code) and len(viewer_country) == 2:
            return code
    import iptocc  # loaded on first use: its tables are in the extension

    try:
        found = iptocc.country_code(client_ip[:MAX_ADDRESS].strip())
    except ValueError:
        return ""
    return found if isinstance(found, str) and _COUNTRY.match(found) else ""


def language_of(accept_language: str | None) -> str:
    """The primary subtag of the first Accept-Language range: "vi-VN,vi;q=0.9" -> "vi"."""
    if not accept_language:
        return ""
    first = accept_language[:MAX_ACCEPT_LANGUAGE].split(",", 1)[0]
    primary = first.split(";", 1)[0].split("-", 1)[0].strip().lower()
    return primary if _LANGUAGE.match(primary) else ""


def site_hosts(allowed_origins: Iterable[str], origin: str | None) -> set[str]:
    """The hosts whose referrers are internal: the site's allowed origins' and the hit's Origin's."""
    hosts = set()
    for value in (*allowed_origins, origin or ""):
        try:
            host = urlsplit(value[:300]).hostname
        except ValueError:
            continue
        if host:
            hosts.add(sources.normalised_host(host))
    return hosts


def facts_of(
    *,
    user_agent: str,
    referrer: str | None,
    utm: Mapping[str, str] | None,
    client_ip: str,
    accept_language: str | None,
    viewer_country: str | None,
    site_hosts: Collection[str],
) -> HitFacts:
    """The categories of a browser's hit (bots are told apart before: `bot_family`)."""
    browser, system, device = useragents.describe(user_agent)
    return HitFacts(
        source=sources.source_of(referrer, site_hosts),
        campaign=sources.campaign_of(utm),
        browser=_name(browser),
        os=_name(system),
        device=device,
        country=country_of(client_ip, viewer_country),
        language=language_of(accept_language),
    )


def dimension_values(facts: HitFacts, hour: int) -> dict[str, str]:
    """Dimension -> value for one counted hit; no campaign row for hits without one."""
    if not 0 <= hour <= 23:
        raise ValueError("hour: 0..23")
    values = {
        "source": facts.source,
        "browser": facts.browser,
        "os": facts.os,
        "device": facts.device,
        "country": facts.country or UNKNOWN,
        "language": facts.language or UNKNOWN,
        "hour": f"{hour:02d}",
    }
    if facts.campaign:
        values["campaign"] = facts.campaign
    return values


@dataclass(frozen=True)
class Row:
    value: str
    visits: int
    pageviews: int


def top_rows(
    days: Iterable[Mapping[str, tuple[int, int]]],
    limit: int,
    count: Literal["visits", "pageviews"] = "visits",
) -> list[Row]:
    """Days of value -> (visits, page views) added up, the `limit` largest by the site's
    figure (ties by value), and the rest with each day's capped values in one `(other)` row."""
    totals: dict[str, list[int]] = {}
    for day in days:
        for value, (visits, pageviews) in day.items():
            total = totals.setdefault(value, [0, 0])
            total[0] += visits
            total[1] += pageviews
    other = totals.pop(OTHER, [0, 0])
    figure = 0 if count == "visits" else 1
    ranked = sorted(
        totals.items(), key=lambda item: (-item[1][figure], -item[1][1 - figure], item[0])
    )
    rows = [Row(value, visits, pageviews) for value, (visits, pageviews) in ranked[:limit]]
    for _value, (visits, pageviews) in ranked[limit:]:
        other[0] += visits
        other[1] += pageviews
    if other != [0, 0]:
        rows.append(Row(OTHER, other[0], other[1]))
    return rows
