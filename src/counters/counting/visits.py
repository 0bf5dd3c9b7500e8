"""Who is visiting, without knowing who: skipped requests, daily visitor ids, visits, online now.

Pure logic; the raw IP address and User-Agent enter here and never leave except
as a keyed hash whose key (the day's salt) is random, per local date, and
deleted within two days, so a visitor cannot be followed across days.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from base64 import urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

# "online" counts visitors by 5-minute windows: those seen in the current window
# or the one before it, so anyone seen under 5 minutes ago is in, and nobody
# unseen for 10 minutes is.
WINDOW_SECONDS = 300
# A browser's User-Agent is under 300 characters; the bot detector's cost grows
# with the square of the length (10,000 characters: ~15 s of CPU), so a longer
# one is not counted, and never reaches it.
MAX_USER_AGENT = 512


@dataclass(frozen=True)
class PageView:
    """One page view as the edge saw it."""

    client_ip: str
    user_agent: str
    origin: str | None = None
    prefetch: bool = False
    path: str | None = None
    referrer: str | None = None
    utm: Mapping[str, str] | None = None
    accept_language: str | None = None
    viewer_country: str | None = None  # CloudFront-Viewer-Country, when in front


@cache
def _crawler_detect() -> Callable[[str], bool]:
    # crawlerdetect's and crawler-user-agents' patterns on RE2 (linear time, ~0.05 ms
    # a distinct UA; crawlerdetect took ~0.36 ms): see docs/breakdowns.md.
    from counters.reports.useragents import is_bot

    return is_bot


def skip_reason(view: PageView) -> str | None:
    """Why this page view must not be counted, or None to count it."""
    if len(view.user_agent) > MAX_USER_AGENT:
        return "user-agent-too-long"
    if not view.user_agent.strip():
        return "no-user-agent"
    if view.prefetch:
        return "prefetch"
    if _crawler_detect()(view.user_agent):
        return "bot"
    return None


def visitor_id(salt: bytes, site: str, client_ip: str, user_agent: str) -> str:
    """A keyed hash of site, IP and User-Agent: 128 bits, URL-safe."""
    message = "\x1f".join((site, client_ip, user_agent)).encode()
    digest = hmac.new(salt, message, hashlib.sha256).digest()[:16]
    return urlsafe_b64encode(digest).decode().rstrip("=")


# A visit id: 16 URL-safe characters (96 bits), enough that no two visits of a site's day share
# one (a birthday collision among a million visits: ~1e-17).
VISIT_ID_BYTES = 12


def visit_id(visitor: str, start: float) -> str:
    """The id of a visitor's visit that began at `start` (epoch seconds, as the visitor item
    stores them, to the millisecond): a hash keyed by the visitor id, itself a keyed hash
    whose key (the day's salt) is deleted within two days. Derived, never stored: every hit
    and event of the visit knows its start (counters.counting.engagement), the hit path and
    the aggregator alike, so both make the same id. It links the hits of one visit only: two
    visits of a person have other starts, and their ids share nothing without the visitor id.
    """
    message = str(round(start * 1000)).encode()
    digest = hmac.new(visitor.encode(), message, hashlib.sha256).digest()[:VISIT_ID_BYTES]
    return urlsafe_b64encode(digest).decode()


def address_id(salt: bytes, site: str, client_ip: str) -> str:
    """A keyed hash of site and client address, whose new visitors are capped per minute.

    IPv6 by /56: a home is delegated a /56 (or a /48) and can rotate through its 256
    /64s, so a /64 key gave one home 256 caps; a mobile device gets a /64, and a /56
    of a carrier's holds at most 256 of them, fewer people than one IPv4 behind its
    NAT. A /48 would take a home's /48 too, but put up to 65,536 devices under one cap.
    """
    key = _address_key(client_ip)
    digest = hmac.new(salt, f"{site}\x1faddress\x1f{key}".encode(), hashlib.sha256).digest()[:16]
    return urlsafe_b64encode(digest).decode().rstrip("=")


def _address_key(client_ip: str) -> str:
    if ":" not in client_ip:
        # Not IPv6. An IPv4 address has one spelling only (parsing gives it back), so
        # parsing would not change the key: skipped, it was ~10 us of every hit.
        return client_ip
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        return str(mapped or ipaddress.IPv6Network((address, 56), strict=False))
    return str(address)


def viewer_address(value: str) -> str | None:
    """The address in a CloudFront-Viewer-Address value ("198.51.100.10:46532",
    "2001:db8::1:46532": address, then the port), or None if it holds none."""
    address, _, port = value.rpartition(":")
    if not port.isdigit():
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def window(epoch_seconds: float) -> int:
    return int(epoch_seconds // WINDOW_SECONDS)


@dataclass(frozen=True)
class Sighting:
    """What one counted hit adds, given when its visitor was last seen today."""

    new_visit: bool
    window: int
    # Visitors first seen in `window`: counted in `first_in_window` when not seen
    # in this window before, in `new_since_previous` when not seen since the
    # start of the window before. online = first_in_window[W-1] + new_since_previous[W].
    first_in_window: int
    new_since_previous: int


def sighting(last_seen: float | None, now: float, visit_timeout_seconds: float) -> Sighting:
    current = window(now)
    seen_window = window(last_seen) if last_seen is not None else None
    return Sighting(
        new_visit=last_seen is None or now - last_seen >= visit_timeout_seconds,
        window=current,
        first_in_window=int(seen_window is None or seen_window < current),
        new_since_previous=int(seen_window is None or seen_window < current - 1),
    )


def online(first_in_window: dict[int, int], new_since_previous: dict[int, int], now: float) -> int:
    """Distinct visitors seen in the current 5-minute window or the one before."""
    current = window(now)
    return first_in_window.get(current - 1, 0) + new_since_previous.get(current, 0)


# Entry and exit pages are stored on the visitor item: a path longer than this many UTF-8
# bytes counts as an entry or exit page under its first PAGE_BYTES bytes, so that the
# visitor item stays under 1 KB (one write unit) with the longest paths.
PAGE_BYTES = 200


def engagement_page(path: str | None) -> str | None:
    """The page a path is an entry or exit page as (None: the hit named no page)."""
    if path is None:
        return None
    encoded = path.encode()
    if len(encoded) <= PAGE_BYTES:
        return path
    return encoded[:PAGE_BYTES].decode(errors="ignore")


@dataclass(frozen=True)
class VisitState:
    """A visitor item as it was before a hit wrote it."""

    seen: float  # its last hit
    prev: float | None  # the hit before that one (None: it was the day's first)
    start: float | None  # its latest visit's start, as stored (see counters.counting.engagement)
    entry: str | None  # that visit's entry page, as stored
    last_page: str | None  # the last hit's page (an entry or exit page, see above)
    # Issue 19: the time of the page view an interactive event last followed (`ie`), and
    # each page goal's last matching page view (`g{tag}`, see counters.counting.conversions).
    interacted: float | None = None
    marks: Mapping[str, float] = field(default_factory=dict)


# A page goal's mark on a visitor item: "g" and 8 hex digits of its name's hash.
GOAL_MARK = re.compile(r"^g[0-9a-f]{8}$")


def marks_of(values: Mapping[str, object]) -> dict[str, float]:
    """The goal marks among a visitor item's attributes (plain numbers or DynamoDB's)."""
    marks = {}
    for name, value in values.items():
        if GOAL_MARK.match(name):
            number = value.get("N") if isinstance(value, Mapping) else value
            try:
                marks[name] = float(number)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
    return marks
