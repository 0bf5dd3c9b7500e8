"""The archive's Parquet schema: one row per hit note, built from the note generically.

A row holds what the note says and nothing that links two visits of a person (no
visitor key, address or User-Agent: notes hold none; `visit_id` links the rows of one visit
only). `site` and `date` are not columns of the files: they are the Hive partitions of
the object's key (`site=.../date=.../`), as Athena's partition projection and DuckDB's
`hive_partitioning` read them. `shard` and `seq` place the row in the stream, and
`token` is unique per hit: readers drop the copies a redelivered batch wrote.

A new note field becomes a column with one line in `COLUMNS` (and a breakdown fact
with none: every dimension of `FACTS` is a column); the template's Glue table must
list the same columns (tests/unit/test_archive_template.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from counters.aggregation.batches import NotedHit
from counters.reports.breakdowns import DIMENSIONS
from counters.storage.updates import SEQUENCE_DIGITS

# The note's breakdown facts, one column each ("hour" is a column of its own).
FACTS: tuple[str, ...] = tuple(d for d in DIMENSIONS if d not in ("hour", "property"))
# Facts a note may hold several of (`property#0`, ...): a list column each.
MANY_FACTS = ("property", "goal")
PARTITIONS = ("site", "date")  # in the object's key, not in the file


@dataclass(frozen=True)
class Column:
    name: str
    duckdb: str  # the type DuckDB writes
    glue: str  # the same Parquet type as Glue/Athena names it
    value: Callable[[NotedHit], object]


def _many(hit: NotedHit, name: str) -> list[str]:
    return [value for key, value in hit.note.facts.items() if key.partition("#")[0] == name]


def _fact(name: str) -> Column:
    return Column(name, "VARCHAR", "string", lambda hit: hit.note.facts.get(name))


COLUMNS: tuple[Column, ...] = (
    Column("hour", "INTEGER", "int", lambda hit: hit.note.hour),  # local hour, 0-23
    Column("visit", "INTEGER", "int", lambda hit: hit.note.visits),  # 1: a visit's first hit
    Column("pageview", "INTEGER", "int", lambda hit: hit.note.pageviews),  # 0: a bot's note
    Column("path", "VARCHAR", "string", lambda hit: hit.note.path),
    # Engagement (counters.counting.engagement): what this hit changed of its visit.
    Column("in_visit", "INTEGER", "int", lambda hit: int(hit.note.in_visit)),  # 1: a visit's hit
    Column("bounces", "INTEGER", "int", lambda hit: hit.note.bounces),  # -1, 0 or +1
    Column("duration_ms", "BIGINT", "bigint", lambda hit: hit.note.duration_ms),  # since the last
    Column("entry_page", "VARCHAR", "string", lambda hit: hit.note.entry),  # the visit's entry
    Column("left_page", "VARCHAR", "string", lambda hit: hit.note.left),  # the page it left
    # The hit's visit (counters.counting.visits.visit_id): links the hits and events of one
    # visit only; NULL for no visit, or a row written before visit ids.
    Column("visit_id", "VARCHAR", "string", lambda hit: hit.note.visit_id),
    *(_fact(name) for name in FACTS),
    # Events (counters.events): 1 for an event (never a page view); its properties
    # ("name / key: value") and the goals it reached, in the note's order.
    Column("is_event", "INTEGER", "int", lambda hit: int(hit.note.event)),
    Column("properties", "VARCHAR[]", "array<string>", lambda hit: _many(hit, "property")),
    Column("goals", "VARCHAR[]", "array<string>", lambda hit: _many(hit, "goal")),
    # A page view's goals that its visit reached first with it (their conversions).
    Column("goal_visits", "VARCHAR[]", "array<string>", lambda hit: list(hit.note.goal_visits)),
    Column("token", "VARCHAR", "string", lambda hit: hit.note.token),
    Column("shard", "VARCHAR", "string", lambda hit: hit.shard),
    # 40 digits, zero-padded: string order is stream order (DynamoDB's are up to 40 digits).
    Column("seq", "VARCHAR", "string", lambda hit: f"{hit.sequence:0{SEQUENCE_DIGITS}d}"),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)


def columns_of(hits: list[NotedHit]) -> list[list[object]]:
    """The hits' values, column by column (the shape DuckDB takes them in fastest)."""
    return [[column.value(hit) for hit in hits] for column in COLUMNS]
