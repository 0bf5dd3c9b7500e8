"""The range's hits, each once, as one SQL relation over the fetched files, at the least cost.

Dropping copies (`DISTINCT ON (token)`) is most of a segment's time over a year (8 s of 11
million rows, measured): it is only needed where copies can be. A day whose one object is
compaction's (`compacted-...`) has none, since compaction keeps each hit once; every other
day (today's batches, a late batch beside a compacted object) is read with copies dropped.
"""

from __future__ import annotations

import os
from collections import defaultdict

from counters.archive.compaction import COMPACTED
from counters.archive.reader import typed_empty


def _files(folder: str, keys: list[str]) -> str:
    paths = [os.path.join(folder, key).replace("'", "''") for key in keys]
    listed = ", ".join(f"'{path}'" for path in paths)
    # union_by_name: objects written before a column existed read it as NULL (and a column
    # that none of them has, as `visit_id` before visit ids, by the typed empty relation).
    return (
        f"(SELECT * FROM read_parquet([{listed}], hive_partitioning = true, "
        f"hive_types_autocast = false, union_by_name = true) UNION ALL BY NAME {typed_empty()})"
    )


def split_by_copies(keys: list[str]) -> tuple[list[str], list[str]]:
    """(keys of days that hold no copies, keys of days that may)."""
    days: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        days[key.rsplit("/", 1)[0]].append(key)
    whole: list[str] = []
    mixed: list[str] = []
    for found in days.values():
        alone = len(found) == 1 and found[0].rsplit("/", 1)[1].startswith(COMPACTED)
        (whole if alone else mixed).extend(found)
    return whole, mixed


def hits_once_sql(folder: str, keys: list[str], columns: str) -> str:
    """A relation of `columns` of every hit of the fetched `keys` once."""
    whole, mixed = split_by_copies(keys)
    parts = [f"SELECT {columns} FROM {_files(folder, whole)}"] if whole else []
    if mixed:
        parts.append(f"SELECT DISTINCT ON (token) {columns} FROM {_files(folder, mixed)}")
    if not parts:  # no object: the typed empty relation's columns
        parts.append(f"SELECT {columns} FROM ({typed_empty()})")
    return " UNION ALL BY NAME ".join(f"({part})" for part in parts)
