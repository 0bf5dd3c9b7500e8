"""The segment filter syntax: what parses, what it means, what is refused (with a message)."""

from __future__ import annotations

import pytest

from counters.archive.segments import SegmentFilterError, parse_segment


def test_filters_parse_into_dimensions_operators_and_values() -> None:
    segment = parse_segment("source==Google|Zalo;device!=mobile;page==/van-ban/1")
    assert [(f.dimension, f.operator, f.values) for f in segment.filters] == [
        ("source", "is", ("Google", "Zalo")),
        ("device", "is not", ("mobile",)),
        ("page", "is", ("/van-ban/1",)),
    ]
    assert segment.text() == "source==Google|Zalo;device!=mobile;page==/van-ban/1"
    assert not segment.whole_visits()  # source and page are hit-level
    assert parse_segment("device==mobile;entry!=/").whole_visits()
    assert parse_segment("").filters == () and parse_segment(None).whole_visits()


def test_a_backslash_escapes_the_separators_and_reads_back() -> None:
    segment = parse_segment(r"page==/a\;b|/c\|d\\e;campaign==x=y")
    assert [f.values for f in segment.filters] == [("/a;b", "/c|d\\e"), ("x=y",)]
    assert parse_segment(segment.text()) == segment


def test_the_condition_binds_values_as_parameters() -> None:
    where, parameters = parse_segment("country!=VN|US;event==download").where()
    assert parameters == ["VN", "US", "download"]
    assert "'VN'" not in where and where.count("?") == 3
    # A filter on what an event's row does not say keeps page views only.
    assert '(coalesce(is_event, 0) = 0 AND ("country" IS NULL OR "country" NOT IN (?, ?)))' in where


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("user==x", "unknown dimension 'user'"),
        ("source=Google", "is not DIMENSION==VALUE"),
        ("source==", "an empty value"),
        ("source==a||b", "an empty value"),
        ("source==a\\", "lone backslash"),
        (";".join(["device==mobile"] * 11), "at most 10"),
        ("source==" + "|".join(str(i) for i in range(21)), "source:"),
        ("page==" + "x" * 2001, "at most 2000"),
    ],
)
def test_a_bad_filter_is_refused_with_a_message(text: str, says: str) -> None:
    with pytest.raises(SegmentFilterError, match=None) as refused:
        parse_segment(text)
    assert says in str(refused.value)
