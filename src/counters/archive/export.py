"""Exports: a range of a site's archived hits as CSV or Parquet, each hit once.

A small export is answered in the request; one over `INLINE_BYTES` (an HTTP API
answer from Lambda is at most 6 MB, and binary answers grow by a third in base64)
is put under `exports/` in the archive's bucket and answered as a presigned link,
valid `LINK_SECONDS`; the bucket's lifecycle removes export files after a day.

Exported columns: the site, the local date and hour, the visit and page-view flags,
the path and the breakdown facts; not the token or the stream's place (of no use
outside the archive), nor the visit id: it links a visit's hits (its path through the
site, its hour by hour), which a file that leaves the service need not carry, and
Plausible's exports give no session id either (segments use it inside the service).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import date
from typing import Literal

from counters.archive.reader import ONCE, ArchiveReader
from counters.archive.schema import FACTS
from counters.models import SITE_ID_PATTERN
from counters.storage.archive_bucket import ArchiveBucket

Format = Literal["csv", "parquet"]
COLUMNS = ("site", "date", "hour", "visit", "pageview", "path", *FACTS)
INLINE_BYTES = 4 * 1024 * 1024
LINK_SECONDS = 900
MAX_RANGE_DAYS = 366
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


class ExportRangeError(ValueError):
    """A range that ends before it starts, or is longer than an export takes."""


@dataclass(frozen=True)
class Exported:
    rows: int
    filename: str
    content_type: str
    body: bytes | None = None  # the file, when small enough to answer
    link: str | None = None  # else a presigned GET of it


def _check(site: str, first: date, last: date) -> None:
    if not re.fullmatch(SITE_ID_PATTERN, site):  # the SQL below names it literally
        raise ValueError(f"not a site id: {site!r}")
    days = (last - first).days + 1
    if days < 1:
        raise ExportRangeError("`to` is before `from`")
    if days > MAX_RANGE_DAYS:
        raise ExportRangeError(f"the range has {days} days; at most {MAX_RANGE_DAYS} per export")


def export(
    reader: ArchiveReader, bucket: ArchiveBucket, site: str, first: date, last: date, fmt: Format
) -> Exported:
    _check(site, first, last)
    filename = f"{site}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    with reader.open(site, first, last) as archive, tempfile.TemporaryDirectory() as out:
        path = os.path.join(out, filename)  # not beside the archive's files (its glob)
        names = ", ".join(f'"{name}"' for name in COLUMNS)
        selected = (
            f"SELECT {names} FROM {ONCE} WHERE site = '{site}' "
            f"AND \"date\" BETWEEN '{first.isoformat()}' AND '{last.isoformat()}' "
            'ORDER BY "date", hour, shard, seq'
        )
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        (rows,) = archive.query(f"SELECT count(*) FROM ({selected})")[0]
        archive.connection.execute(f"COPY ({selected}) TO '{path}' ({options})")
        with open(path, "rb") as file:
            data = file.read()
    if len(data) <= INLINE_BYTES:
        return Exported(rows, filename, CONTENT_TYPES[fmt], body=data)
    key = f"exports/{site}/{secrets.token_urlsafe(12)}/{filename}"
    bucket.put(key, data, CONTENT_TYPES[fmt])
    return Exported(
        rows, filename, CONTENT_TYPES[fmt], link=bucket.link(key, LINK_SECONDS, filename)
    )
