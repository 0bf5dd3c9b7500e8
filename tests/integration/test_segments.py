"""Segments over the archive: random visits over several days, written as the stream would
(batches delivered again in part), and random filters ("is" / "is not", several values, up
to three dimensions): every figure and panel equals a brute-force count over the visits.
A filter keeps whole visits (a page filter, the visits that viewed the page), by their visit
id; rows archived without one (the first day, in one case) keep the hit-level rule."""

from __future__ import annotations

import os
import random
import tempfile
from datetime import date, timedelta
from typing import Any

import pytest

from counters.archive.compaction import Compactor
from counters.archive.reader import ArchiveReader
from counters.archive.segment_report import SegmentReport, segment_report
from counters.archive.segments import Filter, Segment
from counters.archive.writer import ArchiveWriter, duckdb_connection, partition_prefix
from counters.storage.archive_bucket import archive_bucket
from tests.integration import segment_model as model

LAST_DAY = model.FIRST_DAY + timedelta(days=model.DAYS - 1)


def archive(made: list[model.Visit], seed: int) -> None:
    hits = model.stream(made, seed)
    writer = ArchiveWriter(archive_bucket())
    for start in range(0, len(hits), 60):
        batch = hits[start : start + 60]
        assert not writer.add(batch).failed
        if start % 180 == 0:  # delivered again from its middle: copies the reader drops
            assert not writer.add(batch[23:]).failed


def drop_visit_ids(day: date) -> None:
    """A day's objects as written before visit ids: without the column at all."""
    bucket = archive_bucket()
    connection = duckdb_connection()
    with tempfile.TemporaryDirectory() as folder:
        for n, key in enumerate(bucket.keys(partition_prefix(model.SITE, day))):
            source, target = os.path.join(folder, f"{n}.parquet"), os.path.join(folder, "out")
            bucket.download(key, source)
            connection.execute(
                f"COPY (SELECT * EXCLUDE (visit_id) FROM '{source}') TO '{target}' (FORMAT parquet)"
            )
            with open(target, "rb") as file:
                bucket.put(key, file.read())
    connection.close()


def rows(found: list[Any]) -> dict[str, tuple[int, int]]:
    return {row.value: (row.visits, row.pageviews) for row in found}


def ranked(found: list[Any], figure: str) -> bool:
    values = [getattr(row, figure) for row in found]
    return values == sorted(values, reverse=True)


def check(report: SegmentReport, want: dict[str, Any]) -> None:
    assert report.whole_visits == want["whole_visits"]
    assert report.summary.model_dump() == want["summary"]
    assert {p.period: (p.visits, p.pageviews) for p in report.series} == want["series"]
    assert rows(report.pages) == want["pages"] and ranked(report.pages, "pageviews")
    for dimension in ("source", "campaign", *model.VISITOR, "hour"):
        assert rows(report.breakdowns[dimension]) == want[dimension], dimension
    for dimension in ("event", "download", "outbound", "property"):
        assert rows(report.breakdowns[dimension]) == want[dimension], dimension
    assert {
        e.value: (e.visits, e.pageviews, e.bounce_rate, e.visit_duration) for e in report.entry
    } == want["entry"]
    assert ranked(report.entry, "visits")
    assert rows(report.exit) == want["exit"] and ranked(report.exit, "visits")
    assert [(g.name, g.conversions, g.events, g.conversion_rate) for g in report.goals] == want[
        "goals"
    ]


def segment_of(filters: list[tuple[str, str, tuple[str, ...]]]) -> Segment:
    return Segment(
        filters=tuple(
            Filter.model_validate({"dimension": d, "operator": op, "values": values})
            for d, op, values in filters
        )
    )


@pytest.mark.parametrize(("seed", "unlinked"), [(1, ()), (2, (model.FIRST_DAY,))])
def test_a_segments_figures_are_a_brute_force_count_of_the_same_visits(
    dynamodb: object, seed: int, unlinked: tuple[date, ...]
) -> None:
    made = model.visits(seed, unlinked=unlinked)
    archive(made, seed)
    for day in unlinked:
        drop_visit_ids(day)
    for n in range(2):  # days compacted (read without dropping copies) beside days not yet
        assert Compactor(archive_bucket()).compact(model.SITE, model.FIRST_DAY + timedelta(n))
    rng = random.Random(seed * 7919)
    reader = ArchiveReader(archive_bucket())
    chosen = [
        [],
        [("device", "is", ("mobile", "tablet")), ("entry", "is not", ("/",))],
        [("page", "is", ("/van-ban/1", "/")), ("event", "is not", ("download",))],
        [("event", "is", ("download",))],
        [("page", "is not", ("/lien-he",)), ("source", "is", ("Google",))],
    ]
    chosen += [model.random_filters(rng) for _ in range(6)]
    for filters in chosen:
        report = segment_report(reader, model.SITE, model.FIRST_DAY, LAST_DAY, segment_of(filters))
        check(report, model.expected(made, filters))


def test_a_page_filter_keeps_the_visits_that_viewed_the_page_whole(dynamodb: object) -> None:
    made = model.visits(3)
    archive(made, 3)
    viewed = [v for v in made if any(h.path == "/lien-he" for h in v.hits)]
    assert any(v.hits[0].path != "/lien-he" for v in viewed)  # the page is not only an entry
    page = segment_of([("page", "is", ("/lien-he",))])
    report = segment_report(ArchiveReader(archive_bucket()), model.SITE, model.FIRST_DAY,
                            LAST_DAY, page)  # fmt: skip
    assert report.whole_visits
    assert report.summary.visits == len(viewed)
    assert report.summary.pageviews == sum(len(v.hits) for v in viewed)
    bounces = sum(1 for v in viewed if len(v.hits) == 1)
    assert report.summary.bounce_rate == round(bounces / len(viewed), 4)


def test_the_days_outside_the_range_are_left_out(dynamodb: object) -> None:
    made = model.visits(5)
    archive(made, 5)
    second = model.FIRST_DAY + timedelta(days=1)
    inside = [v for v in made if v.day == second]
    report = segment_report(ArchiveReader(archive_bucket()), model.SITE, second, second, Segment())
    assert report.summary.visits == len(inside)
    assert report.summary.pageviews == sum(len(v.hits) for v in inside)
    assert [p.period for p in report.series] == [second.isoformat()]


def test_an_empty_archive_answers_zeros(dynamodb: object) -> None:
    day = date(2026, 5, 1)
    report = segment_report(ArchiveReader(archive_bucket()), "nobody", day, day, Segment())
    assert report.summary.visits == 0 and report.summary.bounce_rate is None
    assert report.objects == 0 and report.pages == [] and report.exit == []
