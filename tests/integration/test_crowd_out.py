"""One client cannot crowd a day's reports (issue 21): a flood of new values from one
visitor fills a dimension's cap before a real visit comes; the nightly rebuild from the
archive ranks the day's values by visits, so the real visit's page, source, campaign and
language get rows of their own, and the flood's values past the cap go to (other)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from counters.archive.reader import ArchiveReader
from counters.archive.rebuild import Rebuilder
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from tests.conftest import Api, Streams

NOW = datetime(2025, 6, 15, 3, tzinfo=UTC)  # 10:00 in Ho Chi Minh City
CAP, PAGE_CAP, FLOOD = 6, 8, 14
LANGUAGES = ["de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "fi", "cs", "hu", "ro", "el"]
REAL = {
    "page": "/tin-tuc/real-article",
    "source": "Google",
    "campaign": "zalo / social / tet",
    "language": "vi",
}


@pytest.fixture
def small_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("counters.aggregation.batches.MAX_VALUES_PER_DAY", CAP)
    monkeypatch.setattr("counters.aggregation.batches.MAX_PAGES_PER_DAY", PAGE_CAP)


def hit(api: Api, at: datetime, agent: str, ip: str, i: int | None) -> None:
    flood = i is not None
    body = {
        "path": f"/flood/{i}" if flood else REAL["page"],
        "referrer": f"https://flood{i}.example/" if flood else "https://www.google.com/",
        "utm": {
            "utm_source": "zalo",
            "utm_medium": "social",
            "utm_campaign": f"c{i}" if flood else "tet",
        },
    }
    language = LANGUAGES[i] if i is not None else "vi"
    with time_machine.travel(at, tick=False):
        api.hit(
            "portal",
            body=body,
            headers={"user-agent": agent, "accept-language": language},
            source_ip=ip,
        )


def top(api: Api, dimension: str) -> dict[str, int]:
    query = {"dimension": dimension, "from": "2025-06-15", "to": "2025-06-15", "limit": "100"}
    if dimension == "page":
        with time_machine.travel(NOW, tick=False):
            status, answer = api.call(
                "GET", "/v1/sites/portal/pages", query={**query, "limit": "100"}
            )
        assert status == 200, answer
        return {p["path"]: p["pageviews"] for p in answer["pages"]}
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call("GET", "/v1/sites/portal/breakdown", query=query)
    assert status == 200, answer
    return {r["value"]: r["pageviews"] for r in answer["rows"]}


def test_a_flood_of_new_values_cannot_keep_a_real_visit_out_of_the_top_lists(
    api: Api, streams: Streams, small_caps: Any
) -> None:
    api.register("portal")
    flooder = "Mozilla/5.0 (X11; Linux x86_64) Flood/1.0"
    for i in range(FLOOD):  # one visitor, one visit, a new value of every kind each hit
        hit(api, NOW + timedelta(seconds=i), flooder, "203.0.113.66", i)
    streams.drain()
    hit(
        api,
        NOW + timedelta(minutes=5),
        "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0",
        "198.51.100.7",
        None,
    )
    streams.drain()  # another batch: the day's cap is full, first come first served
    for dimension, value in REAL.items():
        assert value not in top(api, dimension), dimension  # crowded out, until...
    rebuilder = Rebuilder(default_service().storage, ArchiveReader(archive_bucket()))
    assert rebuilder.rebuild("portal", NOW.date()).hits == FLOOD + 1
    for dimension, value in REAL.items():
        rows = top(api, dimension)
        assert rows[value] == 1, (dimension, rows)
        # Exact all the same: every page view is in a row or in (other).
        assert sum(rows.values()) == FLOOD + 1, (dimension, rows)
        assert len(rows) == (PAGE_CAP if dimension == "page" else CAP) + 1, (dimension, rows)
