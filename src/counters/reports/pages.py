"""Most viewed pages: path normalisation and ranking (pure logic).

A path is stored as given by the page (`location.pathname`), normalised so
that one page is one row whatever query string, fragment, percent-encoding,
duplicate slash or trailing slash it was reached with.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

MAX_PATH_CHARS = 512
# The sort key is "{yyyy-mm-dd}#{path}" and DynamoDB sort keys hold at most 1024 bytes.
MAX_PATH_BYTES = 1000
MAX_RANGE_DAYS = 92
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
DEFAULT_DAYS = 30

_SLASHES = re.compile(r"/{2,}")


class PagesRangeError(ValueError):
    pass


@dataclass(frozen=True)
class PageCount:
    path: str
    pageviews: int


def normalise_path(raw: str) -> str:
    """The row a page view is counted under: "/" plus a clean, bounded path."""
    # JSON may carry lone surrogates ("\ud800"), which no key can hold: replace them.
    text = raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace").strip()
    if text.lower().startswith(("http://", "https://")):
        text = urlsplit(text).path  # a full URL was sent instead of a path
    text = text.split("#", 1)[0].split("?", 1)[0]
    # Decode once, so /tin-t%E1%BB%A9c and /tin-tức are one page; invalid
    # sequences become U+FFFD rather than failing.
    text = unquote(text, errors="replace")
    # Control characters (and a decoded NUL) have no place in a key or a report.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    segments: list[str] = []
    for segment in _SLASHES.sub("/", text).split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    path = "/" + "/".join(segments)
    path = path[:MAX_PATH_CHARS]
    while len(path.encode()) > MAX_PATH_BYTES:
        path = path[:-1]
    return path.rstrip("/") or "/"


def check_range(first: date, last: date) -> None:
    if first > last:
        raise PagesRangeError(f"from ({first}) is after to ({last})")
    length = (last - first).days + 1
    if length > MAX_RANGE_DAYS:
        raise PagesRangeError(f"the range has {length} days; at most {MAX_RANGE_DAYS} per request")


def top_pages(counts: Iterable[tuple[str, int]], limit: int) -> list[PageCount]:
    """The `limit` most viewed paths, most viewed first, ties by path."""
    totals: Counter[str] = Counter()
    for path, n in counts:
        totals[path] += n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [PageCount(path=path, pageviews=n) for path, n in ranked[:limit]]
