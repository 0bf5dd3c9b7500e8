"""Imported history, pure: rows, NukeViet's table, roll-up and unknowns, the checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counters.counting.figures import Bases, DayRecord, Tally
from counters.imported.checks import HistoryConflictError, check_import
from counters.imported.nukeviet import convert
from counters.imported.rows import (
    HistoryRowsError,
    ImportedHistory,
    ImportedPeriod,
    parse_period,
    periods_from_rows,
    rows_from_csv,
    rows_from_json,
)
from counters.reports.series import period_range, series

TODAY = date(2025, 6, 15)


def period(text: str, visits: int | None = None, pageviews: int | None = None) -> ImportedPeriod:
    granularity, start = parse_period(text)
    return ImportedPeriod(granularity, start, visits, pageviews)


def problems(exc: pytest.ExceptionInfo[HistoryRowsError]) -> list[tuple[str, str]]:
    return exc.value.problems


def test_periods_and_their_keys() -> None:
    assert period("2019").key == "Y#2019" and period("2019").end == date(2019, 12, 31)
    assert period("2024-02").key == "M#2024-02" and period("2024-02").end == date(2024, 2, 29)
    assert period("2024-02-29").key == "D#2024-02-29"
    for bad in ("19", "2019-1", "2019-02-30", "2019/02", "2019-02-01T00"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_csv_with_commas_semicolons_or_tabs_and_empty_cells() -> None:
    for sep in (",", ";", "\t"):
        text = (
            f"\ufeffPeriod{sep}visits{sep}pageviews\r\n2019{sep}10{sep}\r\n\r\n2020{sep}{sep}7\r\n"
        )
        rows = rows_from_csv(text)
        assert [p for _, p in periods_from_rows(rows)] == [
            period("2019", 10),
            period("2020", None, 7),
        ]
    with pytest.raises(HistoryRowsError):
        rows_from_csv("")
    with pytest.raises(HistoryRowsError):
        rows_from_csv("period,visits\n")  # a header and no rows


def test_json_rows() -> None:
    assert rows_from_json('{"rows": [{"period": "2019", "visits": 1}]}') == [
        {"period": "2019", "visits": 1}
    ]
    assert rows_from_json('[{"period": "2019", "visits": 1}]') == [{"period": "2019", "visits": 1}]
    for bad in ("{", '{"rows": {}}', '{"rows": [1]}', "5", '{"rows": []}'):
        with pytest.raises(HistoryRowsError):
            rows_from_json(bad)


def test_every_bad_row_is_named() -> None:
    rows: list[dict[str, Any]] = [
        {"period": "2019", "visits": "12"},
        {"period": "2019-13", "visits": 1},
        {"period": "2020", "visits": True},
        {"period": "2021", "visits": "1e3"},
        {"visits": 1},
        {"period": "2019", "visits": 1},
    ]
    with pytest.raises(HistoryRowsError) as exc:
        periods_from_rows(rows)
    assert [row for row, _ in problems(exc)] == [
        "row 2 (2019-13)",
        "row 3 (2020)",
        "row 4 (2021)",
        "row 5",
        "row 6 (2019)",
    ]


def test_roll_up_and_unknown() -> None:
    history = ImportedHistory(
        [
            period("2019", 100, 200),
            period("2020-03", 30),
            period("2020-04-01", 1, 2),
            period("2020-04-02", 2, 3),
        ]
    )
    assert history.lookup("year", date(2019, 1, 1)) == {"visits": 100, "pageviews": 200}
    assert history.lookup("month", date(2019, 5, 1)) == {"visits": None, "pageviews": None}
    assert history.lookup("day", date(2019, 5, 1)) == {"visits": None, "pageviews": None}
    # 2020: no total; its months roll up (March's page views are unknown).
    assert history.lookup("year", date(2020, 1, 1)) == {"visits": 33, "pageviews": None}
    assert history.lookup("month", date(2020, 4, 1)) == {"visits": 3, "pageviews": 5}
    assert history.lookup("day", date(2020, 3, 9)) == {"visits": None, "pageviews": None}
    assert history.lookup("day", date(2020, 4, 9)) is None  # April has no total: not imported
    assert history.lookup("month", date(2020, 5, 1)) is None
    assert history.lookup("year", date(2021, 1, 1)) is None


def test_series_prefers_counted_days_then_imported_then_zero() -> None:
    counted = DayRecord(
        day=date(2025, 6, 10), tallies={"visits": Tally(5, Bases(month=40, year=400, total=4000))}
    )
    history = ImportedHistory([period("2024", 360), period("2025-05", 60)])
    span = period_range("month", "2024-12", "2025-06", TODAY)
    points = {p.period: (p.visits, p.imported) for p in series([counted], span, history)}
    assert points == {
        "2024-12": (None, True),
        "2025-01": (0, False),
        "2025-02": (0, False),
        "2025-03": (0, False),
        "2025-04": (0, False),
        "2025-05": (60, True),
        "2025-06": (45, False),
    }


def test_checks_refuse_open_periods_overlaps_and_sums_over() -> None:
    anchor = DayRecord(
        day=date(2025, 3, 10),
        tallies={
            m: Tally(1, Bases(yesterday=4, month=20, year=50, total=100))
            for m in ("visits", "pageviews")
        },
    )
    with pytest.raises(HistoryRowsError, match="not over yet"):
        check_import([("row 1 (2025)", period("2025", 1))], [], TODAY, None)
    with pytest.raises(HistoryConflictError, match="row 1"):
        check_import([("row 1 (2025-03-10)", period("2025-03-10", 1))], [], TODAY, anchor)
    cases = [
        ([period("2025-03-09", 5)], "have 4 yesterday"),
        ([period("2025-03-02", 21)], "over the month to date before 2025-03-10 (20)"),
        ([period("2025-02", 31)], "over the year before 2025-03 (30)"),
        ([period("2024", 51)], "over the total before 2025 (50)"),
    ]
    for periods, message in cases:
        with pytest.raises(HistoryRowsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            check_import([(f"row {i}", p) for i, p in enumerate(periods, 1)], [], TODAY, anchor)
    # Against what was imported before: the earlier rows are named as such.
    with pytest.raises(HistoryRowsError) as exc:
        check_import([("row 1 (2023)", period("2023", 5))], [period("2023-01", 6)], TODAY, None)
    assert problems(exc) == [("row 1 (2023)", "its months sum to 6 visits, over its own 5")]
    with pytest.raises(HistoryRowsError) as exc:
        check_import(
            [("row 1 (2023-01-01)", period("2023-01-01", 9))], [period("2023-01", 6)], TODAY, None
        )
    assert problems(exc)[0][0] == "imported earlier (2023-01)"
    # Rows that fit, with unknown page views, pass; a corrected row replaces its period.
    merged = check_import(
        [("row 1", period("2025-03-09", 4)), ("row 2", period("2024", 50, None))],
        [period("2024", 10, 10)],
        TODAY,
        anchor,
    )
    assert sorted(p.label for p in merged) == ["2024", "2025-03-09"]
    assert period("2024", 50, None) in merged


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=31))
def test_days_summing_to_their_month_always_pass(days: list[int]) -> None:
    rows = [(f"row {d}", period(f"2024-01-{d:02d}", n)) for d, n in enumerate(days, 1)]
    rows.append(("month", period("2024-01", sum(days))))
    rows.append(("year", period("2024", sum(days))))
    assert len(check_import(rows, [], TODAY, None)) == len(days) + 2
    rows[-2] = ("month", period("2024-01", sum(days) - 1))
    if sum(days):
        with pytest.raises(HistoryRowsError, match="days sum to"):
            check_import(rows, [], TODAY, None)


NUKEVIET = [
    {
        "c_type": "c_time",
        "c_val": "last",
        "c_count": str(int(datetime(2025, 6, 15, 3, tzinfo=UTC).timestamp())),
    },
    {"c_type": "total", "c_val": "hits", "c_count": "1000"},
    {"c_type": "year", "c_val": "2024", "c_count": "700"},
    {"c_type": "year", "c_val": "2025", "c_count": "300"},
    {"c_type": "year", "c_val": "2026", "c_count": "0"},
    {"c_type": "month", "c_val": "May", "c_count": "200"},
    {"c_type": "month", "c_val": "Jun", "c_count": "100"},
    {"c_type": "month", "c_val": "Jul", "c_count": "0"},
    {"c_type": "day", "c_val": "14", "c_count": "60"},
    {"c_type": "day", "c_val": "15", "c_count": "40"},
    {"c_type": "day", "c_val": "31", "c_count": "0"},
    {"c_type": "hour", "c_val": "09", "c_count": "40"},
    {"c_type": "browser", "c_val": "chrome", "c_count": "999999"},
]


def test_nukeviet_rows_become_history_before_the_date_and_its_baseline() -> None:
    periods, baseline = convert(NUKEVIET, TODAY, "Asia/Ho_Chi_Minh")
    assert [(label, p) for label, p in periods] == [
        ("row 3 (year/2024)", ImportedPeriod("year", date(2024, 1, 1), visits=700)),
        ("row 6 (month/May)", ImportedPeriod("month", date(2025, 5, 1), visits=200)),
        ("row 9 (day/14)", ImportedPeriod("day", date(2025, 6, 14), visits=60)),
    ]
    assert baseline.model_dump() == {
        "date": TODAY,
        "today": 40,
        "yesterday": 60,
        "month": 100,
        "year": 300,
        "total": 1000,
    }


def test_nukeviet_rows_that_cannot_be_imported() -> None:
    bad = [dict(row) for row in NUKEVIET]
    bad[4]["c_count"] = "3"  # a year after the dump
    bad[10]["c_count"] = "1"  # a day after it
    bad[5]["c_count"] = "-1"
    with pytest.raises(HistoryRowsError) as exc:
        convert(bad, TODAY, "Asia/Ho_Chi_Minh")
    assert [row for row, _ in problems(exc)] == [
        "row 5 (year/2026)",
        "row 6 (month/May)",
        "row 11 (day/31)",
    ]
    # In UTC the last request was still the 15th; in a zone 12 hours behind, the 14th.
    with pytest.raises(HistoryRowsError, match="date=2025-06-14"):
        convert(NUKEVIET, TODAY, "Etc/GMT+12")
    small_june = [row | {"c_count": "10"} if row["c_val"] == "Jun" else row for row in NUKEVIET]
    with pytest.raises(HistoryRowsError, match="today is larger than the month"):
        convert(small_june, TODAY, "UTC")


def test_every_bad_nukeviet_row_is_named_with_its_problem() -> None:
    without_total = [row for row in NUKEVIET if row["c_type"] != "total"]
    bad = [
        *without_total,
        {"c_type": "day", "c_val": "01"},
        {"c_type": "day", "c_val": "02", "c_count": "many"},
        {"c_type": "day", "c_val": "03", "c_count": str(10**15 + 1)},
        {"c_type": "day", "c_val": "04", "c_count": "1" * 17},
        {"c_type": "c_time", "c_val": "last", "c_count": "9" * 16},
        {"c_type": "month", "c_val": "Aug", "c_count": "5"},
        {"c_type": "year", "c_val": "2027", "c_count": "3"},
        {"c_type": "day", "c_val": "20", "c_count": "1"},
        {"c_type": "day", "c_val": "31", "c_count": "2"},
        # Zero after the date, odd values and unread kinds are no problem.
        {"c_type": "day", "c_val": "21", "c_count": "0"},
        {"c_type": "day", "c_val": "32", "c_count": "9"},
        {"c_type": "month", "c_val": "june", "c_count": "9"},
        {"c_type": "year", "c_val": "99", "c_count": "9"},
        {"c_type": "c_time", "c_val": "last", "c_count": "0"},
        {"c_type": "c_time", "c_val": "start", "c_count": "9" * 16},
    ]
    first = len(without_total) + 1
    with pytest.raises(HistoryRowsError) as exc:
        convert(bad, TODAY, "Asia/Ho_Chi_Minh")
    assert problems(exc) == [
        (f"row {first} (day/01)", "expected the columns c_type, c_val, c_count"),
        (f"row {first + 1} (day/02)", "c_count must be a whole number, not 'many'"),
        (f"row {first + 2} (day/03)", "c_count is over 1000000000000000"),
        (f"row {first + 3} (day/04)", "c_count must be a whole number, not '11111111111111111'"),
        (f"row {first + 4} (c_time/last)", "9999999999999999 is not a Unix time"),
        (f"row {first + 5} (month/Aug)", "5 visits in a month after 2025-06-15"),
        (f"row {first + 6} (year/2027)", "3 visits in a year after 2025-06-15"),
        (f"row {first + 7} (day/20)", "1 visits on a day after 2025-06-15"),
        (f"row {first + 8} (day/31)", "2 visits on a day not in the month of 2025-06-15"),
        ("total/hits", "the row is missing: dump every row of the table"),
    ]
    # Each problem of a row is named on its own, whatever the row order.
    with pytest.raises(HistoryRowsError) as exc:
        convert([NUKEVIET[1], bad[-10]], TODAY, "UTC")
    assert problems(exc) == [("row 2 (month/Aug)", "5 visits in a month after 2025-06-15")]


def test_a_nukeviet_dump_of_the_first_of_the_month_and_year() -> None:
    first = date(2025, 1, 1)
    rows = [
        {"c_type": "total", "c_val": "hits", "c_count": "900"},
        {"c_type": "year", "c_val": "2024", "c_count": "890"},
        {"c_type": "year", "c_val": "2025", "c_count": "10"},
        {"c_type": "month", "c_val": "Jan", "c_count": "10"},
        {"c_type": "month", "c_val": "Dec", "c_count": "0"},
        {"c_type": "day", "c_val": "1", "c_count": "10"},
        {"c_type": "day", "c_val": "31", "c_count": "0"},
    ]
    periods, baseline = convert(rows, first, "UTC")
    assert periods == [("row 2 (year/2024)", ImportedPeriod("year", date(2024, 1, 1), visits=890))]
    assert baseline.model_dump() == {
        "date": first,
        "today": 10,
        "yesterday": 0,
        "month": 10,
        "year": 10,
        "total": 900,
    }


def test_every_problem_of_a_merged_history_is_named_in_order() -> None:
    anchor = DayRecord(
        day=date(2025, 3, 10),
        tallies={
            "visits": Tally(1, Bases(yesterday=4, month=20, year=50, total=100)),
            "pageviews": Tally(2, Bases(yesterday=9, month=30, year=70, total=200)),
        },
    )
    new = [
        *[(f"row {d}", period(f"2025-03-0{d}", 3, 5)) for d in range(1, 10)],
        ("row 10", period("2025-01", 12, None)),
        ("row 11", period("2025-02", 30, 40)),
        ("row 12", period("2025-02-03", 31, 1)),
        ("row 13", period("2024-06-01", 7, 7)),
        ("row 14", period("2023", 40, 100)),
        ("row 15", period("2022-05", None, 90)),
    ]
    stored = [
        period("2024-06", 5, 8),
        period("2024", 60, None),
        period("2022", 10, 80),
        period("2021-01-05", 1, 1),
    ]
    with pytest.raises(HistoryRowsError) as exc:
        check_import(new, stored, TODAY, anchor)
    earlier = (
        "imported earlier (2024-06), imported earlier (2024), imported earlier (2022), "
        "imported earlier (2021-01-05), row 13 and 2 more"
    )
    days = "row 1, row 2, row 3, row 4, row 5 and 4 more"
    assert problems(exc) == [
        ("imported earlier (2024-06)", "its days sum to 7 visits, over its own 5"),
        ("imported earlier (2022)", "its months sum to 90 pageviews, over its own 80"),
        ("row 11", "its days sum to 31 visits, over its own 30"),
        ("row 9", "3 visits, but the figures of 2025-03-10 have 4 yesterday"),
        (days, "their visits sum to 27, over the month to date before 2025-03-10 (20)"),
        ("row 10, row 11, row 12", "their visits sum to 42, over the year before 2025-03 (30)"),
        (earlier, "their visits sum to 111, over the total before 2025 (50)"),
        ("row 9", "5 pageviews, but the figures of 2025-03-10 have 9 yesterday"),
        (days, "their pageviews sum to 45, over the month to date before 2025-03-10 (30)"),
        (earlier, "their pageviews sum to 181, over the total before 2025 (130)"),
    ]
    assert str(exc.value).startswith(
        "10 row(s) cannot be imported: imported earlier (2024-06): its days sum to 7 visits, "
        "over its own 5; imported earlier (2022): "
    )


@pytest.mark.parametrize(
    "row",
    [
        {"c_type": "year", "c_val": "0000", "c_count": "5"},
        {"c_type": "year", "c_val": "²⁰²⁴", "c_count": "5"},
        {"c_type": "day", "c_val": "¹", "c_count": "5"},
        {"c_type": "day", "c_val": "١٤", "c_count": "5"},  # Arabic-Indic 14
        {"c_type": "day", "c_val": "1" * 5000, "c_count": "5"},  # over int()'s 4,300 digits
    ],
)
def test_nukeviet_rows_naming_no_period_are_not_read(row: dict[str, str]) -> None:
    # Like hours or browsers: not a period this importer reads (it used to raise a 500).
    assert convert([*NUKEVIET, row], TODAY, "Asia/Ho_Chi_Minh") == convert(
        NUKEVIET, TODAY, "Asia/Ho_Chi_Minh"
    )


def test_nukeviet_period_values_with_leading_zeros_are_read() -> None:
    rows = [
        *NUKEVIET,
        {"c_type": "year", "c_val": "0999", "c_count": "7"},
        {"c_type": "day", "c_val": "0013", "c_count": "8"},
        {"c_type": "year", "c_val": "99", "c_count": "9"},  # not a year: not read
        {"c_type": "year", "c_val": "02024", "c_count": "9"},
    ]
    periods, _ = convert(rows, TODAY, "Asia/Ho_Chi_Minh")
    assert periods[-2:] == [
        ("row 14 (year/0999)", ImportedPeriod("year", date(999, 1, 1), visits=7)),
        ("row 15 (day/0013)", ImportedPeriod("day", date(2025, 6, 13), visits=8)),
    ]
