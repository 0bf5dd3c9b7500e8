"""Page paths: one page is one row, bounded to fit a sort key; ranking and range limits."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counters.reports.pages import (
    MAX_PATH_BYTES,
    MAX_PATH_CHARS,
    PageCount,
    PagesRangeError,
    check_range,
    normalise_path,
    top_pages,
)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("/tin-tuc/a", "/tin-tuc/a"),
        ("/tin-tuc/a?utm_source=x&id=1", "/tin-tuc/a"),
        ("/tin-tuc/a#binh-luan", "/tin-tuc/a"),
        ("/tin-tuc/a/", "/tin-tuc/a"),
        ("//tin-tuc///a", "/tin-tuc/a"),
        ("tin-tuc/a", "/tin-tuc/a"),
        ("/tin-t%E1%BB%A9c/a", "/tin-tức/a"),
        ("/tin-tức/a", "/tin-tức/a"),
        ("/a/./b/../c", "/a/c"),
        ("/../../etc/passwd", "/etc/passwd"),
        ("https://laichau.gov.vn/tin-tuc/a?x=1", "/tin-tuc/a"),
        ("/bad%ZZ%E1", "/bad%ZZ\ufffd"),
        ("/a%00b%0Ac\td", "/abcd"),
        ("", "/"),
        ("   ", "/"),
        ("?q=1", "/"),
        ("#top", "/"),
        ("/", "/"),
        ("/a\ud800b", "/a\ufffdb"),
        ("/\ud83d\ude00", "/\U0001f600"),
    ],
)
def test_normalised_paths(raw: str, path: str) -> None:
    assert normalise_path(raw) == path


def test_long_paths_are_cut_to_fit_a_sort_key() -> None:
    assert len(normalise_path("/" + "a" * 3000)) == MAX_PATH_CHARS
    wide = normalise_path("/" + "ữ" * 3000)
    assert len(wide.encode()) <= MAX_PATH_BYTES
    assert wide.startswith("/ữ") and wide.endswith("ữ")


@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=3000))
def test_any_input_gives_a_bounded_absolute_path(raw: str) -> None:
    path = normalise_path(raw)
    assert path.startswith("/")
    assert len(path) <= MAX_PATH_CHARS
    assert len(path.encode()) <= MAX_PATH_BYTES  # no lone surrogate left either
    assert "//" not in path
    assert path == "/" or not path.endswith("/")
    assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path)


def test_top_pages_sums_days_and_ranks_ties_by_path() -> None:
    counts = [("/b", 2), ("/a", 1), ("/c", 5), ("/a", 1), ("/b", 1), ("/d", 3)]
    assert top_pages(counts, 3) == [PageCount("/c", 5), PageCount("/b", 3), PageCount("/d", 3)]
    assert top_pages(counts, 100)[-1] == PageCount("/a", 2)
    assert top_pages([], 10) == []


def test_ranges_are_bounded() -> None:
    check_range(date(2025, 4, 1), date(2025, 7, 1))  # 92 days
    with pytest.raises(PagesRangeError, match="93 days"):
        check_range(date(2025, 4, 1), date(2025, 7, 2))
    with pytest.raises(PagesRangeError, match="after"):
        check_range(date(2025, 7, 2), date(2025, 7, 1))
