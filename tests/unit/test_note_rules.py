"""Hit notes and the stream records that carry them: rules the aggregators rely on (pure).

Expected values are literals, or hashlib as the model of a shard's name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from counters.aggregation.batches import noted_hit, shard_name
from counters.aggregation.notes import BadNoteError, HitNote, bot_note, counted_note
from counters.counting.visits import PageView
from counters.models import Site

NOTE = HitNote(
    token="abcdefgh1234",
    day=date(2025, 6, 15),
    hour=10,
    visits=1,
    pageviews=1,
    window=5_833_188,
    first_in_window=1,
    new_since_previous=1,
    path="/a",
    facts={"browser": "Firefox"},
)
T0 = 1_749_956_400.0  # 2025-06-15 03:00:00 UTC, window 5833188
DAY_ITEM = {"pk": "SITE#news", "sk": "DAY#2025-06-15"}
VISITOR = {"pk": "VISITOR#news#Yk3vQ0x7cA9rT2mL5nB8dw", "sk": "2025-06-15"}
LANE = {"pk": "LANE#news#17", "sk": "2025-06-15"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def record(keys: dict[str, str], note: HitNote = NOTE, **images: Any) -> Any:
    new = {"h": note.encode(), **images.get("new", {})}
    return noted_hit(keys, new, images.get("old"), "1200", "shardId-0001-aaaa")


def visitor(old_seen: Any, new_seen: Any, note: HitNote | None = None) -> Any:
    note = note or replace(NOTE, visits=0, first_in_window=0, new_since_previous=0)
    note = replace(note, visit_timeout=1800)
    old = None if old_seen is None else {"seen": old_seen, "h": "{}"}
    return record(VISITOR, note, new={"seen": new_seen}, old=old)


def test_a_day_items_note_is_a_direct_hit_a_visitor_or_lane_note_a_high_traffic_one() -> None:
    direct = record(DAY_ITEM)
    assert (direct.site, direct.buffered, direct.note) == ("news", False, NOTE)
    lane = record(LANE, replace(NOTE, pageviews=0, visits=0, path=None))
    assert (lane.site, lane.buffered) == ("news", True)
    assert visitor(None, Decimal(T0)).buffered is True
    with pytest.raises(BadNoteError, match="^a note on an item that takes none: 'SITE#news'$"):
        record({"pk": "SITE#news", "sk": "CONFIG"})
    with pytest.raises(BadNoteError):
        record({"pk": "SITE#news"})
    with pytest.raises(BadNoteError, match=f"^a note on an item that takes none: '{'Q' * 80}'$"):
        record({"pk": "Q" * 100, "sk": "x"})


def test_a_shards_name_is_stable_so_that_stored_marks_keep_meaning() -> None:
    shard = "shardId-00000001700000000000-0123abcd"
    assert shard_name(shard) == "s" + hashlib.sha256(shard.encode()).hexdigest()[:12]
    assert record(DAY_ITEM).shard == "s" + hashlib.sha256(b"shardId-0001-aaaa").hexdigest()[:12]


@pytest.mark.parametrize("length", [1, 65])
def test_shard_ids_of_one_to_65_characters_are_placed(length: int) -> None:
    hit = noted_hit(DAY_ITEM, {"h": NOTE.encode()}, None, "7", "x" * length)
    assert hit is not None and hit.shard == shard_name("x" * length)


def test_bad_places_are_named_in_the_error_and_bounded() -> None:
    with pytest.raises(BadNoteError, match=f"^not a shard id: '{'x' * 66}'$"):
        noted_hit(DAY_ITEM, {"h": NOTE.encode()}, None, "7", "x" * 66)
    with pytest.raises(BadNoteError, match=f"^not a shard id: '{'y' * 80}'$"):
        noted_hit(DAY_ITEM, {"h": NOTE.encode()}, None, "7", "y" * 200)
    with pytest.raises(BadNoteError, match="^not a shard id: ''$"):
        noted_hit(DAY_ITEM, {"h": NOTE.encode()}, None, "7", "")
    with pytest.raises(BadNoteError, match=f"^not a sequence number: '{'1' * 50}'$"):
        noted_hit(DAY_ITEM, {"h": NOTE.encode()}, None, "1" * 60, "s")


def test_a_visitors_flags_and_window_are_read_off_its_stored_sightings() -> None:
    # The note says window 5833188; the sighting it rode on was stored 10 minutes later.
    late = visitor(Decimal(T0 - 3600), Decimal(T0 + 600))
    assert (late.note.window, late.note.visits) == (5_833_190, 1)
    assert (late.note.first_in_window, late.note.new_since_previous) == (1, 1)
    again = visitor(Decimal(T0 + 600), Decimal(T0 + 610))  # seen in this window
    assert (again.note.visits, again.note.first_in_window, again.note.new_since_previous) == (
        0,
        0,
        0,
    )


@pytest.mark.parametrize("old_seen", [Decimal(0), Decimal(-5), Decimal(10**11), "abc", None])
def test_an_old_sighting_that_is_no_instant_counts_as_never_seen(old_seen: Any) -> None:
    hit = visitor(old_seen, Decimal(T0))
    assert (hit.note.visits, hit.note.first_in_window, hit.note.new_since_previous) == (1, 1, 1)


@pytest.mark.parametrize("new_seen", [Decimal(0), Decimal(10**11), "abc", None])
def test_a_visitor_note_whose_sighting_is_no_instant_is_bad(new_seen: Any) -> None:
    with pytest.raises(
        BadNoteError, match="^a visitor's note without its visit timeout or sighting$"
    ):
        visitor(None, new_seen)


def test_an_instant_just_inside_the_bounds_is_one() -> None:
    assert visitor(None, Decimal("99999999999.9")).note.visits == 1
    assert visitor(Decimal("0.001"), Decimal(T0)).note.visits == 1  # long ago: a new visit


def test_any_positive_time_is_a_sighting() -> None:
    hit = visitor(None, Decimal("0.5"))
    assert (hit.note.window, hit.note.visits) == (0, 1)


@pytest.mark.parametrize(
    ("path", "ok"), [("/" + "p" * 999, True), ("/" + "p" * 1000, False), ("/\ud800", False)]
)
def test_a_notes_page_is_a_path_of_at_most_1000_bytes(path: str, ok: bool) -> None:
    text = replace(NOTE, path=path).encode()
    if ok:
        assert HitNote.decode(text).path == path
    else:
        with pytest.raises(BadNoteError):
            HitNote.decode(text)


def test_a_visitor_note_that_is_no_page_view_is_no_visit() -> None:
    hit = visitor(None, Decimal(T0), replace(NOTE, pageviews=0, visits=0))
    assert hit.note.visits == 0


# -- what a note may hold -----------------------------------------------------------------------


@pytest.mark.parametrize("hour", [0, 23])
def test_every_hour_of_the_day_is_a_notes_hour(hour: int) -> None:
    note = replace(NOTE, hour=hour)
    assert HitNote.decode(note.encode()) == note


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            json.dumps({**json.loads(NOTE.encode()), "n": 2}),
            "not a hit note: not a hit note (version 1)",
        ),
        ("[1]", "not a hit note: not a hit note (version 1)"),
        ('{"n": 1}', "not a hit note: 't'"),
        (NOTE.encode().replace('"h":10', '"h":24'), "not a hit note: '" + '{"n":1,"t"'),
    ],
)
def test_what_is_not_a_note_of_this_code_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(BadNoteError) as refused:
        HitNote.decode(text)
    assert str(refused.value).startswith(message)


def test_a_refused_notes_text_is_quoted_at_most_200_characters() -> None:
    bad = replace(NOTE, hour=24, path="/" + "p" * 500).encode()  # no hour of a day
    with pytest.raises(BadNoteError) as refused:
        HitNote.decode(bad)
    assert str(refused.value) == f"not a hit note: {bad[:200]!r}"


@pytest.mark.parametrize(
    ("value", "ok"),
    [("v" * 300, True), ("v" * 301, False), ("ệ" * 100, True), ("ệ" * 101, False), ("", False)],
)
def test_a_fact_is_a_non_empty_string_of_at_most_300_bytes(value: str, ok: bool) -> None:
    text = replace(NOTE, facts={"browser": value}).encode()
    if ok:
        assert HitNote.decode(text).facts == {"browser": value}
    else:
        with pytest.raises(BadNoteError):
            HitNote.decode(text)


def test_a_fact_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(BadNoteError):
        HitNote.decode(NOTE.encode().replace("Firefox", "\\ud800"))


# -- the notes a hit writes ---------------------------------------------------------------------


def site(**settings: Any) -> Site:
    return Site(id="news", timezone="Asia/Ho_Chi_Minh", **settings)


AT = datetime(2025, 6, 15, 17, 30, tzinfo=UTC)  # 00:30 on the 16th in Ho Chi Minh City


def test_a_counted_hits_note_is_of_the_sites_local_day_and_hour_its_flags_not_known_yet() -> None:
    view = PageView("198.51.100.1", FIREFOX, path="/tin-tuc/a?x=1")
    note = counted_note(site(), view, AT)
    assert (note.day, note.hour, note.window) == (date(2025, 6, 16), 0, int(AT.timestamp() // 300))
    assert (note.visits, note.pageviews, note.first_in_window, note.new_since_previous) == (
        0,
        1,
        0,
        0,
    )
    assert note.path == "/tin-tuc/a"
    assert note.facts["browser"] == "Firefox" and "hour" not in note.facts
    assert note.visit_timeout is None  # a direct hit's flags are in its note
    assert len(note.token) >= 16 and note.token != counted_note(site(), view, AT).token
    assert counted_note(site(), PageView("198.51.100.1", FIREFOX), AT).path is None


def test_a_high_traffic_hits_note_carries_the_sites_visit_timeout_in_seconds() -> None:
    view = PageView("198.51.100.1", FIREFOX)
    note = counted_note(site(mode="buffered", visit_timeout_minutes=12), view, AT)
    assert note.visit_timeout == 720


def test_a_bots_note_is_no_page_view_and_names_only_its_family() -> None:
    note = bot_note(
        site(), "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", AT
    )
    assert (note.day, note.hour, note.window) == (date(2025, 6, 16), 0, int(AT.timestamp() // 300))
    assert (note.visits, note.pageviews, note.first_in_window, note.new_since_previous) == (
        0,
        0,
        0,
        0,
    )
    assert note.facts == {"bot": "Googlebot"} and note.path is None
    assert HitNote.decode(note.encode()) == note


def test_a_counted_hits_note_holds_the_categories_of_its_request() -> None:
    news = site(allowed_origins=["https://news.gov.vn"])
    common = {
        "utm": {"utm_source": "zalo", "utm_campaign": "tet"},
        "accept_language": "vi-VN,vi;q=0.9",
        "viewer_country": "VN",
    }
    from_google = PageView(
        "198.51.100.1", FIREFOX, referrer="https://www.google.com/?q=x", **common
    )
    assert counted_note(news, from_google, AT).facts == {
        "source": "Google",
        "browser": "Firefox",
        "os": "Linux",
        "device": "desktop",
        "country": "VN",
        "language": "vi",
        "campaign": "zalo / - / tet",
    }
    # A referrer of the site's own origin, or of the hit's Origin, is internal.
    own = PageView("198.51.100.1", FIREFOX, referrer="https://news.gov.vn/a")
    assert counted_note(news, own, AT).facts["source"] == "(internal)"
    mirror = PageView(
        "198.51.100.1",
        FIREFOX,
        origin="https://m.news.example",
        referrer="https://m.news.example/a",
    )
    assert counted_note(news, mirror, AT).facts["source"] == "(internal)"


def test_a_note_keeps_its_text_as_utf_8_not_escaped() -> None:
    # Notes ride on items billed by the kilobyte: "ứ" is 3 bytes, "\\u1ee9" would be 6.
    text = replace(NOTE, path="/tin-tức").encode()
    assert '"u":"/tin-tức"' in text
    assert HitNote.decode(text).path == "/tin-tức"
