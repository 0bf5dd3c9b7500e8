"""What a stream batch adds to which item, each hit once (counters.aggregation.batches, pure).

Expected values are literals: the rules of docs/aggregation.md, one case each.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from counters.aggregation.batches import (
    MAX_PAGES_PER_DAY,
    MAX_VALUES_PER_DAY,
    NotedHit,
    after,
    by_day,
    by_report,
    guard_of,
    increment_of,
    report_parts,
    report_values,
    totals,
    value_cap,
)
from counters.aggregation.notes import HitNote
from counters.storage import Guard, Increment

DAY = date(2025, 6, 15)
NOTE = HitNote(
    token="abcdefgh1234",
    day=DAY,
    hour=9,
    visits=1,
    pageviews=1,
    window=100,
    first_in_window=1,
    new_since_previous=1,
    path="/a",
    facts={"browser": "Firefox"},
)
BOT = replace(NOTE, visits=0, pageviews=0, first_in_window=0, new_since_previous=0, path=None)


def noted(sequence: int, shard: str = "s1", site: str = "news", **note: object) -> NotedHit:
    return NotedHit(site, replace(NOTE, **note), shard, sequence, buffered=True)  # type: ignore[arg-type]


def test_a_guard_spans_each_shards_first_to_last_sequence() -> None:
    hits = [noted(7), noted(3, "s2"), noted(5), noted(9, "s2"), noted(6)]
    assert guard_of(hits) == Guard({"s1": (5, 7), "s2": (3, 9)})
    # A tag names the shards apart (a day item taking a sealed day's hits too).
    assert guard_of(hits[:1], "@2025-06-15") == Guard({"s1@2025-06-15": (7, 7)})
    assert guard_of([]) == Guard({})


def test_only_hits_past_what_an_item_added_of_their_shard_are_sent_again() -> None:
    hits = [noted(0), noted(4), noted(5), noted(6), noted(5, "s2")]
    # Added up to 5 of s1: 6 is new; s2 was never added, so all of it (from sequence 0 on) is.
    assert after(hits, {"s1": 5}) == [noted(6), noted(5, "s2")]
    assert after(hits, {}) == hits
    assert after(hits, {"s1@d": 5}, "@d") == [noted(6), noted(5, "s2")]
    assert after(hits, {"s1": 5}, "@d") == hits  # another tag's mark says nothing of these


def test_a_batch_adds_its_visits_page_views_and_online_tallies_per_window() -> None:
    hits = [
        noted(1, bounces=1),
        noted(2, visits=0, first_in_window=0, new_since_previous=0, bounces=-1, duration_ms=7),
        noted(3, window=101, first_in_window=1, new_since_previous=0, bounces=1),
        noted(4, window=101, visits=0, first_in_window=0, new_since_previous=1, duration_ms=5),
    ]
    assert increment_of(hits) == Increment(
        counts={"visits": 2, "pageviews": 4},
        windows={100: (1, 1), 101: (1, 1)},
        engagement={"bounces": 1, "duration_ms": 12},
    )
    assert increment_of([]) == Increment(
        counts={"visits": 0, "pageviews": 0},
        windows={},
        engagement={"bounces": 0, "duration_ms": 0},
    )


def test_day_counters_take_high_traffic_page_views_per_site_and_day_oldest_day_first() -> None:
    later = noted(1, site="a", day=date(2025, 6, 16))  # first by site, last by day
    b, c = noted(2, site="b"), noted(3, site="c")
    direct = replace(noted(4), buffered=False)  # its day item already has it
    bot = replace(noted(5), note=BOT)
    groups = by_day([later, c, direct, b, bot, noted(6, site="c")])
    assert list(groups) == [("b", DAY, True), ("c", DAY, True), ("a", date(2025, 6, 16), True)]
    assert groups[("c", DAY, True)] == [c, noted(6, site="c")]


def test_a_hit_counts_under_its_facts_its_hour_and_its_page_a_bot_only_under_its_facts() -> None:
    assert dict(report_values(NOTE)) == {"browser": "Firefox", "hour": "09", "page": "/a"}
    assert dict(report_values(replace(NOTE, path=None, hour=17))) == {
        "browser": "Firefox",
        "hour": "17",
    }
    assert report_values(replace(BOT, facts={"bot": "Googlebot"})) == [("bot", "Googlebot")]
    # An event's properties: several values of one dimension.
    event = replace(BOT, facts={"event": "e", "property#0": "e / a: 1", "property#1": "e / b: 2"})
    assert sorted(report_values(event)) == [
        ("event", "e"),
        ("property", "e / a: 1"),
        ("property", "e / b: 2"),
    ]


def test_report_items_group_hits_by_site_dimension_day_and_value() -> None:
    one, two = noted(1), noted(2, path="/b", facts={})
    other_day = noted(3, day=date(2025, 6, 16), facts={})
    counts = {"v": 1, "p": 1}
    assert by_report([one, two, other_day]) == {
        ("news", "browser", DAY): {"Firefox": [(one, counts)]},
        ("news", "hour", DAY): {"09": [(one, counts), (two, counts)]},
        ("news", "page", DAY): {"/a": [(one, counts)], "/b": [(two, counts)]},
        ("news", "hour", date(2025, 6, 16)): {"09": [(other_day, counts)]},
        ("news", "page", date(2025, 6, 16)): {"/a": [(other_day, counts)]},
    }


def test_a_hit_of_a_visit_moves_its_exit_and_changes_its_entry_pages_figures() -> None:
    # A visit's third page: 40 s after its second (on /b), entered on /a.
    third = replace(
        NOTE,
        visits=0,
        path="/c",
        facts={},
        in_visit=True,
        duration_ms=40_000,
        entry="/a",
        left="/b",
    )
    assert report_parts(third) == {
        ("hour", "09"): {"v": 0, "p": 1},
        ("page", "/c"): {"v": 0, "p": 1, "x": 1},
        ("page", "/b"): {"v": 0, "p": 0, "x": -1},
        ("page", "/a"): {"v": 0, "p": 0, "ev": 0, "eb": 0, "ed": 40_000},
    }
    # A visit's first page: an entry, a bounce and an exit, all on its own page.
    first = replace(NOTE, facts={}, in_visit=True, bounces=1, entry="/a")
    assert report_parts(first)[("page", "/a")] == {
        "v": 1, "p": 1, "x": 1, "ev": 1, "eb": 1, "ed": 0
    }  # fmt: skip
    # Not in a visit (a page view with no visitor item): its page view only.
    assert report_parts(replace(first, in_visit=False))[("page", "/a")] == {"v": 1, "p": 1}


def test_report_totals_count_a_bots_note_as_one_page_view_and_no_visit() -> None:
    hits = [noted(1), noted(2, visits=0), replace(noted(3), note=BOT)]
    parts = [(hit, report_parts(hit.note)[("browser", "Firefox")]) for hit in hits[:2]]
    parts.append((hits[2], {"v": 0, "p": 1}))
    assert totals(parts) == {"v": 1, "p": 3}
    assert totals([]) == {"v": 0, "p": 0}
    assert totals([(hits[0], {"v": 0, "p": 0, "x": -1}), (hits[1], {"x": 1, "ed": 5})]) == {
        "v": 0, "p": 0, "x": 0, "ed": 5
    }  # fmt: skip


def test_a_day_keeps_more_distinct_pages_than_values_of_other_dimensions() -> None:
    assert (MAX_PAGES_PER_DAY, MAX_VALUES_PER_DAY) == (2000, 500)
    assert value_cap("page") == 2000
    assert value_cap("browser") == value_cap("bot") == 500
