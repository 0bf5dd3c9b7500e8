"""docs/archive.md's example queries, run as written on DuckDB over objects the writer wrote,
against counts made by hand (plain Python over the same hits)."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote
from counters.archive.reader import ArchiveReader
from counters.archive.writer import ArchiveWriter
from counters.storage.archive_bucket import archive_bucket

DOCS = Path(__file__).resolve().parents[2] / "docs" / "archive.md"
SITE = "laichau"
PATHS = ("/", "/van-ban/1", "/van-ban/2", "/tin-tuc/a", "/van-ban-cu")


def queries() -> list[str]:
    """Every ```sql block of the doc that needs no column yet to come."""
    blocks = re.findall(r"```sql\n(.*?)```", DOCS.read_text(), re.DOTALL)
    return [block for block in blocks if "-- needs:" not in block]


def traffic(seed: int) -> list[NotedHit]:
    """Hits from late February to early April (the month's edges must be left out)."""
    rng = random.Random(seed)
    made = []
    for i in range(900):
        day = date(2026, 2, 26) + timedelta(days=rng.randrange(40))
        bot = rng.random() < 0.05
        facts = {"bot": "Googlebot"} if bot else {
            "source": rng.choice(("Zalo", "Google", "(direct)")),
            "device": rng.choice(("mobile", "desktop", "tablet")),
            "browser": "Chrome",
        }  # fmt: skip
        visit = 0 if bot else int(rng.random() < 0.35)
        note = HitNote(
            token=f"t{i:05d}x{rng.randrange(10**6):06d}",
            day=day,
            hour=rng.randrange(24),
            visits=visit,
            pageviews=0 if bot else 1,
            window=1,
            first_in_window=0,
            new_since_previous=0,
            path=None if bot else rng.choice(PATHS),
            facts=facts,
            # A bounce delta as engagement writes it: +1 opening a visit, -1 on its second page.
            bounces=visit or -int(not bot and rng.random() < 0.2),
        )
        made.append(NotedHit(SITE, note, rng.choice(("sa", "sb")), 10**20 + i, buffered=False))
    return made


def test_the_documented_queries_answer_what_the_hits_say(dynamodb: object) -> None:
    made = traffic(3)
    writer = ArchiveWriter(archive_bucket())
    for start in range(0, len(made), 50):
        batch = made[start : start + 50]
        assert not writer.add(batch).failed
        if start % 200 == 0:  # a batch delivered again from its middle: copies to drop
            assert not writer.add(batch[17:]).failed
    march = [
        h.note for h in made if h.note.day.month == 3 and h.note.pageviews
    ]  # the queries' range, page views only
    by_source = sorted(
        (
            (source, sum(n.visits for n in march if n.facts["source"] == source), count)
            for source, count in Counter(n.facts["source"] for n in march).items()
        ),
        key=lambda row: (-row[1], row[0]),
    )
    zalo_phones = [
        n
        for n in march
        if n.facts["source"] == "Zalo" and n.facts["device"] == "mobile"
        and n.path.startswith("/van-ban/")  # type: ignore[union-attr]
    ]  # fmt: skip
    pages = sorted(
        (
            (path, sum(n.visits for n in zalo_phones if n.path == path), count)
            for path, count in Counter(n.path for n in zalo_phones).items()
        ),
        key=lambda row: (-row[2], row[0]),
    )
    desktops = [n for n in march if n.facts["source"] != "Zalo" and n.facts["device"] == "desktop"]
    days = sorted(
        (day.isoformat(), sum(n.visits for n in desktops if n.day == day), count)
        for day, count in Counter(n.day for n in desktops).items()
    )
    zalo_mobile = [
        n for n in march if n.facts["source"] == "Zalo" and n.facts["device"] == "mobile"
    ]
    bounce_rate = sum(n.bounces for n in zalo_mobile) / sum(n.visits for n in zalo_mobile)
    assert len(queries()) == 4
    with ArchiveReader(archive_bucket()).open(SITE, date(2026, 2, 1), date(2026, 4, 30)) as archive:
        answers = [[tuple(row) for row in archive.query(sql)] for sql in queries()]
    assert answers[:3] == [by_source, pages, days]
    assert answers[3] == [(bounce_rate,)]
    assert {path for path, _, _ in pages} <= {"/van-ban/1", "/van-ban/2"}
