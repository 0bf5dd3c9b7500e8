"""The site's local calendar: which local day, month and year an instant falls in.

Everything here is pure: an instant (aware datetime) and an IANA timezone in,
calendar dates out. DST needs no special case because only the local *date*
matters, and zoneinfo gives the right date for every instant.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class UnknownTimezoneError(ValueError):
    pass


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA zone name (not a file path, not "localtime")."""
    return name in _known_zones()


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # The system database may also list files that are not zones of any place.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The zone of a stored (already validated) timezone name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezoneError(f"unknown timezone {name!r}") from exc


def local_date(timezone: str, instant: datetime) -> date:
    """The site's local date at `instant` (which must be timezone-aware)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zone(timezone)).date()


def same_month(a: date, b: date) -> bool:
    return (a.year, a.month) == (b.year, b.month)


def same_year(a: date, b: date) -> bool:
    return a.year == b.year


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month (also in December 9999, unlike next_month - 1 day)."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def days(first: date, last: date) -> Iterator[date]:
    """Every date from `first` to `last`, both included."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def months(first: date, last: date) -> Iterator[date]:
    """The first day of every month from `first`'s to `last`'s, both included."""
    current = month_start(first)
    while current <= last:
        yield current
        if current.year == date.max.year and current.month == 12:
            return
        current = next_month(current)
