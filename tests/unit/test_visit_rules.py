"""Visits, "online" windows, visitor ids and the calendar: rules of the counting core, pure.

Expected values are literals (see the product contract: a visit ends after the site's timeout
of silence; "online" is whoever was seen in the current 5-minute window or the one before).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest

from counters.counting.figures import DayRecord, Tally, figures_answer
from counters.counting.periods import (
    local_date,
    month_end,
    month_start,
    months,
    same_month,
    same_year,
)
from counters.counting.visits import (
    WINDOW_SECONDS,
    PageView,
    address_id,
    online,
    sighting,
    skip_reason,
    viewer_address,
    visitor_id,
    window,
)
from counters.models import Site

T0 = 1_749_956_400.0  # 2025-06-15 03:00:00 UTC: the start of a 5-minute window
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_windows_are_five_minutes_long_and_start_on_the_clock() -> None:
    assert WINDOW_SECONDS == 300
    assert window(T0) == 5_833_188
    assert window(T0 + 299.999) == 5_833_188
    assert window(T0 + 300) == 5_833_189
    assert window(T0 - 0.001) == 5_833_187


@pytest.mark.parametrize(
    ("last_seen", "now", "expected"),
    [
        # (new visit, window, first in window, new since the window before)
        (None, T0 + 10, (True, 5_833_188, 1, 1)),
        (T0, T0 + 10, (False, 5_833_188, 0, 0)),  # seen in this window
        (T0 + 10, T0 + 310, (False, 5_833_189, 1, 0)),  # seen in the window before
        (T0 + 10, T0 + 610, (False, 5_833_190, 1, 1)),  # two windows back: new to "online"
        (T0, T0 + 1799.999, (False, 5_833_193, 1, 1)),  # one millisecond short of the timeout
        (T0, T0 + 1800, (True, 5_833_194, 1, 1)),  # exactly the timeout: a new visit
    ],
)
def test_a_sighting_opens_a_visit_after_the_timeout_and_flags_new_online_visitors(
    last_seen: float | None, now: float, expected: tuple[bool, int, int, int]
) -> None:
    seen = sighting(last_seen, now, 1800)
    assert (seen.new_visit, seen.window, seen.first_in_window, seen.new_since_previous) == expected


def test_online_is_the_window_before_plus_those_new_since_it() -> None:
    current = window(T0)
    first = {current - 2: 50, current - 1: 7, current: 3}
    new = {current - 1: 40, current: 2, current + 1: 9}
    assert online(first, new, T0) == 7 + 2
    assert online({}, {}, T0) == 0


def test_a_visitor_id_is_a_keyed_hash_of_site_address_and_agent() -> None:
    salt = b"s" * 32
    ids = {
        visitor_id(salt, "news", "198.51.100.1", FIREFOX),
        visitor_id(salt, "blog", "198.51.100.1", FIREFOX),
        visitor_id(salt, "news", "198.51.100.2", FIREFOX),
        visitor_id(salt, "news", "198.51.100.1", FIREFOX + " x"),
        visitor_id(b"t" * 32, "news", "198.51.100.1", FIREFOX),
    }
    assert len(ids) == 5
    # HMAC-SHA-256 of the fields joined by the unit separator, its first 128 bits in
    # URL-safe base64 without padding: stable, so a deploy mid-day finds its visitors again.
    message = "\x1f".join(("news", "198.51.100.1", FIREFOX)).encode()
    digest = hmac.new(salt, message, hashlib.sha256).digest()[:16]
    model = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert visitor_id(salt, "news", "198.51.100.1", FIREFOX) == model
    assert len(model) == 22


def test_an_address_id_is_a_keyed_hash_of_site_and_address_22_characters() -> None:
    salt = b"s" * 32
    one = address_id(salt, "news", "198.51.100.1")
    digest = hmac.new(salt, b"news\x1faddress\x1f198.51.100.1", hashlib.sha256).digest()[:16]
    assert one == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert one != address_id(salt, "blog", "198.51.100.1")
    assert one != address_id(b"t" * 32, "news", "198.51.100.1")
    assert one != visitor_id(salt, "news", "198.51.100.1", "")


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("198.51.100.10:46532", "198.51.100.10"),
        ("2001:db8::1:46532", "2001:db8::1"),
        ("198.51.100.10", None),  # no port: "100.10" is no address
        ("198.51.100.10:", None),
        ("not-an-address:443", None),
        (":443", None),
    ],
)
def test_cloudfronts_viewer_address_is_an_address_then_a_port(
    value: str, address: str | None
) -> None:
    assert viewer_address(value) == address


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        (PageView("198.51.100.1", FIREFOX), None),
        (PageView("198.51.100.1", "x" * 513), "user-agent-too-long"),
        (PageView("198.51.100.1", "  "), "no-user-agent"),
        (PageView("198.51.100.1", FIREFOX, prefetch=True), "prefetch"),
        (PageView("198.51.100.1", "Googlebot/2.1 (+http://www.google.com/bot.html)"), "bot"),
    ],
)
def test_why_a_page_view_is_not_counted(view: PageView, reason: str | None) -> None:
    assert skip_reason(view) == reason


def test_a_user_agent_of_exactly_the_bound_is_still_counted() -> None:
    assert skip_reason(PageView("198.51.100.1", "Mozilla/5.0 " + "x" * 500)) is None


# -- the calendar -------------------------------------------------------------------------------


def test_months_and_years_are_of_one_year() -> None:
    assert same_month(date(2025, 6, 1), date(2025, 6, 30))
    assert not same_month(date(2024, 6, 10), date(2025, 6, 10))
    assert not same_month(date(2025, 5, 31), date(2025, 6, 1))
    assert same_year(date(2025, 1, 1), date(2025, 12, 31))
    assert not same_year(date(2024, 12, 31), date(2025, 12, 31))


def test_month_bounds() -> None:
    assert month_start(date(2025, 6, 15)) == date(2025, 6, 1)
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert month_end(date(9999, 12, 1)) == date(9999, 12, 31)


def test_months_run_to_the_last_month_there_is() -> None:
    assert list(months(date(9999, 11, 30), date(9999, 12, 31))) == [
        date(9999, 11, 1),
        date(9999, 12, 1),
    ]
    assert list(months(date(2025, 6, 30), date(2025, 6, 1))) == [date(2025, 6, 1)]
    assert list(months(date(2025, 7, 1), date(2025, 6, 30))) == []


def test_a_naive_instant_is_refused_saying_why() -> None:
    with pytest.raises(ValueError, match="^instant must be timezone-aware$"):
        local_date("UTC", datetime(2025, 1, 1))
    assert local_date("UTC", datetime(2025, 1, 1, tzinfo=UTC)) == date(2025, 1, 1)


# -- the answer's figures -----------------------------------------------------------------------


def test_an_answer_shows_the_sites_figure_its_day_and_who_is_online() -> None:
    site = Site(id="news", timezone="Asia/Ho_Chi_Minh", count="pageviews")
    current = window(T0)
    record = DayRecord(
        day=date(2025, 6, 15),
        tallies={"visits": Tally(count=3), "pageviews": Tally(count=8)},
        first_in_window={current - 1: 2},
        new_since_previous={current: 1},
    )
    assert figures_answer(site, record, date(2025, 6, 15), T0) == {
        "site": "news",
        "timezone": "Asia/Ho_Chi_Minh",
        "date": date(2025, 6, 15),
        "today": 8,
        "yesterday": 0,
        "month": 8,
        "year": 8,
        "total": 8,
        "online": 3,
    }
    assert figures_answer(site, None, date(2025, 6, 15), T0)["online"] == 0
