"""Importing a previous counter's history through the handlers, on moto, with time frozen."""

from __future__ import annotations

import calendar
import random
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from counters.imported.rows import MAX_ROWS
from tests.conftest import Api, table_dump

TZ = "Asia/Ho_Chi_Minh"
DUMP_DATE = date(2025, 6, 15)
# Imported on the dump's date, 11:00 local; the last counted request was at 10:00.
NOW = datetime(2025, 6, 15, 11, tzinfo=ZoneInfo(TZ))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def nukeviet_table(seed: int = 7, installed: int = 2012) -> dict[tuple[str, str], int]:
    """A NukeViet 4 counter table as it stands on 2025-06-15, installed in 2012.

    Years 2012..2025 (and 2026..2020+ pre-created at install, zero), months Jan..Jun
    of 2025 (Jul..Dec zero), days 01..15 of June (16..31 zero), today's hours, and
    the rows this importer ignores (dayofweek, browser, os, country, bots).
    """
    rng = random.Random(seed)
    days = {d: rng.randint(3_000, 6_000) for d in range(1, 16)}
    months = {m: rng.randint(90_000, 180_000) for m in range(1, 6)}
    months[6] = sum(days.values())
    years = {y: rng.randint(500_000, 2_000_000) for y in range(installed, 2025)}
    years[2025] = sum(months.values())
    hours = dict.fromkeys(range(24), 0)
    for _ in range(days[15]):
        hours[rng.randint(0, 10)] += 1
    table = {("c_time", "start"): 1325376000, ("c_time", "last"): int(NOW.timestamp()) - 3600}
    table[("total", "hits")] = sum(years.values())
    for year in range(installed, 2029):
        table[("year", str(year))] = years.get(year, 0)
    for number, name in enumerate(MONTHS, start=1):
        table[("month", name)] = months.get(number, 0)
    for day in range(1, 32):
        table[("day", f"{day:02d}")] = days.get(day, 0)
    for name in ("Sunday", "Monday", "Tuesday"):
        table[("dayofweek", name)] = rng.randint(0, 10**6)
    for hour, count in hours.items():
        table[("hour", f"{hour:02d}")] = count
    for kind, value in [("browser", "chrome"), ("os", "win"), ("country", "VN"), ("bot", "")]:
        table[(kind, value)] = rng.randint(0, 10**7)
    return table


def mysql_batch(table: dict[tuple[str, str], int]) -> str:
    """What `mysql -B -e "SELECT c_type, c_val, c_count FROM nv4_counter"` prints."""
    lines = ["c_type\tc_val\tc_count"] + [f"{k}\t{v}\t{n}" for (k, v), n in table.items()]
    return "\n".join(lines) + "\n"


def post(api: Api, site: str, body: Any, when: datetime = NOW, **query: str) -> tuple[int, Any]:
    headers = {"content-type": "text/csv"} if isinstance(body, str) else None
    with time_machine.travel(when, tick=False):
        return api.call(
            "POST", f"/v1/sites/{site}/history", body, headers=headers, query=query or None
        )


def series(
    api: Api, site: str, granularity: str, start: str, end: str, when: datetime = NOW
) -> Any:
    with time_machine.travel(when, tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/{site}/series",
            query={"granularity": granularity, "from": start, "to": end},
        )
    assert status == 200, answer
    return answer


def values(answer: Any, metric: str = "visits") -> dict[str, int | None]:
    return {p["period"]: p[metric] for p in answer["points"]}


def imported(answer: Any) -> dict[str, bool]:
    return {p["period"]: p["imported"] for p in answer["points"]}


def hit_at(api: Api, site: str, instant: datetime, ip: str) -> dict[str, Any]:
    with time_machine.travel(instant, tick=False):
        return api.hit(site, source_ip=ip)


def import_dump(api: Api, table: dict[tuple[str, str], int], site: str = "portal") -> Any:
    status, answer = post(api, site, mysql_batch(table), format="nukeviet", date="2025-06-15")
    assert status == 200, answer
    return answer


# -- NukeViet ------------------------------------------------------------------------------


def test_a_nukeviet_dump_imports_to_series_equal_to_it_and_counting_continues(api: Api) -> None:
    api.register("portal", TZ)
    table = nukeviet_table()
    answer = import_dump(api, table)
    # History before the dump's date: 13 years, 5 months, 14 days; the rest is the baseline.
    assert answer["periods"] == 13 + 5 + 14 and answer["written"] == 13 + 5 + 14 + 1
    baseline = answer["baseline"]
    assert baseline["today"] == table[("day", "15")]
    assert baseline["yesterday"] == table[("day", "14")]
    assert baseline["month"] == table[("month", "Jun")]
    assert baseline["year"] == table[("year", "2025")]
    assert baseline["total"] == table[("total", "hits")]

    years = series(api, "portal", "year", "2011", "2025")
    assert values(years) == {
        "2011": 0,
        **{str(y): table[("year", str(y))] for y in range(2012, 2026)},
    }
    assert imported(years) == {"2011": False, **{str(y): y < 2025 for y in range(2012, 2026)}}
    # NukeViet counts visits only: imported page views are unknown, not zero.
    assert values(years, "pageviews")["2019"] is None

    months = series(api, "portal", "month", "2024-12", "2025-06")
    assert values(months) == {
        "2024-12": None,  # inside 2024, known only as a total
        **{f"2025-{m:02d}": table[("month", MONTHS[m - 1])] for m in range(1, 7)},
    }
    assert imported(months)["2024-12"] and imported(months)["2025-05"]
    assert not imported(months)["2025-06"]

    days = series(api, "portal", "day", "2025-05-31", "2025-06-16")
    assert values(days) == {
        "2025-05-31": None,  # inside May, known only as a total
        **{f"2025-06-{d:02d}": table[("day", f"{d:02d}")] for d in range(1, 16)},
        "2025-06-16": 0,
    }

    # Counting continues from the dump: the next midnight, month end and year end.
    tz = ZoneInfo(TZ)
    moments = [
        datetime(2025, 6, 15, 23, 59, tzinfo=tz),
        datetime(2025, 6, 16, 0, 1, tzinfo=tz),
        datetime(2025, 6, 30, 23, 59, tzinfo=tz),
        datetime(2025, 7, 1, 0, 1, tzinfo=tz),
        datetime(2025, 12, 31, 23, 59, tzinfo=tz),
        datetime(2026, 1, 1, 0, 1, tzinfo=tz),
    ]
    figures = [hit_at(api, "portal", m, f"198.51.100.{i}") for i, m in enumerate(moments)]
    total = table[("total", "hits")]
    june = table[("month", "Jun")]
    year = table[("year", "2025")]
    assert figures[0]["today"] == table[("day", "15")] + 1
    assert figures[1]["yesterday"] == table[("day", "15")] + 1 and figures[1]["today"] == 1
    assert figures[1]["month"] == june + 2
    assert figures[2]["month"] == june + 3
    assert figures[3]["month"] == 1 and figures[3]["year"] == year + 4
    assert figures[4]["year"] == year + 5
    assert figures[5] | {"online": 0} == figures[5] | {
        "today": 1,
        "yesterday": 1,
        "month": 1,
        "year": 1,
        "total": total + 6,
        "online": 0,
    }
    later = datetime(2026, 1, 2, 12, tzinfo=tz)
    assert values(series(api, "portal", "year", "2023", "2026", later)) == {
        "2023": table[("year", "2023")],
        "2024": table[("year", "2024")],
        "2025": year + 5,
        "2026": 1,
    }
    months = series(api, "portal", "month", "2025-05", "2025-07", later)
    assert values(months) == {"2025-05": table[("month", "May")], "2025-06": june + 3, "2025-07": 1}
    days = series(api, "portal", "day", "2025-06-14", "2025-06-16", later)
    assert values(days) == {
        "2025-06-14": table[("day", "14")],
        "2025-06-15": table[("day", "15")] + 1,
        "2025-06-16": 1,
    }


def test_reimporting_a_dump_changes_nothing(api: Api, dynamodb: Any) -> None:
    api.register("portal", TZ)
    table = nukeviet_table()
    import_dump(api, table)
    hit_at(api, "portal", NOW + timedelta(minutes=5), "198.51.100.1")
    before = table_dump(dynamodb)
    again = import_dump(api, table)
    assert again["written"] == 0 and again["unchanged"] == again["periods"]
    # The hit after the first import stays counted.
    assert again["baseline"]["today"] == table[("day", "15")] + 1
    assert table_dump(dynamodb) == before


def _refused(api: Api, dynamodb: Any, table: dict[tuple[str, str], int]) -> list[dict[str, str]]:
    before = table_dump(dynamodb)
    status, answer = post(api, "portal", mysql_batch(table), format="nukeviet", date="2025-06-15")
    assert status == 422, answer
    assert table_dump(dynamodb) == before
    assert answer["message"]
    return answer["errors"]  # type: ignore[no-any-return]


def test_inconsistent_dumps_are_422_with_the_rows_named(api: Api, dynamodb: Any) -> None:
    api.register("portal", TZ)
    table = nukeviet_table()
    rows = list(table)

    def row(key: tuple[str, str]) -> str:
        return f"row {rows.index(key) + 1} ({key[0]}/{key[1]})"

    months_over = {**table, ("month", "Jan"): table[("month", "Jan")] + 10**7}
    errors = _refused(api, dynamodb, months_over)
    assert row(("month", "Jan")) in errors[0]["field"]
    assert "over the year before 2025-06" in errors[0]["problem"]

    days_over = {**table, ("day", "03"): table[("day", "03")] + 10**6}
    errors = _refused(api, dynamodb, days_over)
    assert row(("day", "03")) in errors[0]["field"]
    assert "over the month to date before 2025-06-15" in errors[0]["problem"]

    negative = {**table, ("year", "2019"): -5}
    assert _refused(api, dynamodb, negative)[0]["field"] == row(("year", "2019"))

    future = {**table, ("year", "2026"): 12, ("day", "20"): 3}
    errors = _refused(api, dynamodb, future)
    assert [e["field"] for e in errors] == [row(("year", "2026")), row(("day", "20"))]

    years_over = {**table, ("total", "hits"): table[("year", "2025")] + 5}
    assert "over the total before 2025" in _refused(api, dynamodb, years_over)[0]["problem"]

    stale = {**table, ("c_time", "last"): int(NOW.timestamp()) - 86_400}
    errors = _refused(api, dynamodb, stale)
    assert errors[0]["field"] == row(("c_time", "last"))
    assert "date=2025-06-14" in errors[0]["problem"]

    no_total = {k: v for k, v in table.items() if k != ("total", "hits")}
    assert _refused(api, dynamodb, no_total)[0]["field"] == "total/hits"


def test_a_dump_needs_its_date(api: Api, dynamodb: Any) -> None:
    api.register("portal", TZ)
    status, answer = post(api, "portal", mysql_batch(nukeviet_table()), format="nukeviet")
    assert status == 422 and answer["errors"][0]["field"] == "date"
    status, answer = post(
        api, "portal", mysql_batch(nukeviet_table()), format="nukeviet", date="2025-06-16"
    )
    assert status == 422 and "after the site's today" in answer["message"]
    assert [i["sk"]["S"] for i in table_dump(dynamodb) if i["pk"]["S"] != "SITES"] == ["CONFIG"]


def test_a_dump_overlapping_counted_days_is_409(api: Api, dynamodb: Any) -> None:
    api.register("portal", TZ)
    hit_at(api, "portal", NOW - timedelta(days=3), "198.51.100.1")
    before = table_dump(dynamodb)
    status, answer = post(
        api, "portal", mysql_batch(nukeviet_table()), format="nukeviet", date="2025-06-15"
    )
    assert status == 409, answer
    assert "counted traffic from 2025-06-12" in answer["message"]
    assert "day/12" in answer["message"] and "day/11" not in answer["message"]
    assert table_dump(dynamodb) == before


def test_a_dump_older_than_counted_days_is_409(api: Api, dynamodb: Any) -> None:
    api.register("portal", TZ)
    hit_at(api, "portal", NOW + timedelta(days=1), "198.51.100.1")
    before = table_dump(dynamodb)
    status, answer = post(
        api,
        "portal",
        mysql_batch(nukeviet_table()),
        when=NOW + timedelta(days=1, hours=1),
        format="nukeviet",
        date="2025-06-15",
    )
    assert (status, answer) == (
        409,
        {"message": "the site has counted traffic on 2025-06-16, after the dump's date 2025-06-15"},
    )
    assert table_dump(dynamodb) == before


# -- rows, as JSON and CSV -------------------------------------------------------------------


def test_rows_as_json_and_csv_roll_up_and_unknown_is_null(api: Api, dynamodb: Any) -> None:
    api.register("json", TZ)
    api.register("csv", TZ)
    rows = [
        {"period": "2022", "visits": 1000, "pageviews": 3000},
        {"period": "2023-01", "visits": 100, "pageviews": 250},
        {"period": "2023-02-01", "visits": 7},
        {"period": "2023-02-02", "visits": 8, "pageviews": 20},
    ]
    status, answer = post(api, "json", {"rows": rows})
    assert status == 200 and answer["written"] == 4 and answer["baseline"] is None
    text = "period,visits,pageviews\n" + "\n".join(
        f"{r['period']},{r['visits']},{r.get('pageviews', '')}" for r in rows
    )
    status, answer = post(api, "csv", text)
    assert status == 200 and answer["written"] == 4
    for site in ("json", "csv"):
        years = series(api, site, "year", "2021", "2023")
        # 2023: its months rolled up (January, and February's two days); page views of
        # February are unknown (one day has none), so the year's are too.
        assert values(years) == {"2021": 0, "2022": 1000, "2023": 115}
        assert values(years, "pageviews") == {"2021": 0, "2022": 3000, "2023": None}
        assert imported(years) == {"2021": False, "2022": True, "2023": True}
        months = series(api, site, "month", "2022-12", "2023-03")
        assert values(months) == {"2022-12": None, "2023-01": 100, "2023-02": 15, "2023-03": 0}
        days = series(api, site, "day", "2023-01-31", "2023-02-03")
        assert values(days) == {
            "2023-01-31": None,  # inside January, imported as a total
            "2023-02-01": 7,
            "2023-02-02": 8,
            "2023-02-03": 0,  # February has no total: its days are all there is
        }
        assert values(days, "pageviews")["2023-02-01"] is None
    stored = sorted(i["sk"]["S"] for i in table_dump(dynamodb) if i["pk"]["S"] == "SITE#csv")
    assert stored == [
        "CONFIG",
        "IMPORT#D#2023-02-01",
        "IMPORT#D#2023-02-02",
        "IMPORT#M#2023-01",
        "IMPORT#Y#2022",
    ]


def test_corrected_rows_replace_the_earlier_import(api: Api) -> None:
    api.register("site", TZ)
    assert post(api, "site", {"rows": [{"period": "2024-03", "visits": 10}]})[0] == 200
    status, answer = post(
        api,
        "site",
        {"rows": [{"period": "2024-03", "visits": 12}, {"period": "2024", "visits": 50}]},
    )
    assert status == 200 and answer["written"] == 2 and answer["unchanged"] == 0
    assert values(series(api, "site", "month", "2024-03", "2024-03")) == {"2024-03": 12}
    # A year under its earlier imported months is refused, naming both sides.
    status, answer = post(api, "site", {"rows": [{"period": "2024", "visits": 11}]})
    assert status == 422
    assert answer["errors"][0]["field"] == "row 1 (2024)"
    assert "months sum to 12 visits, over its own 11" in answer["errors"][0]["problem"]


@pytest.mark.parametrize(
    ("rows", "field", "problem"),
    [
        ([{"period": "2024-13", "visits": 1}], "row 1 (2024-13)", "not a valid date"),
        ([{"period": "last year", "visits": 1}], "row 1 (last year)", "not a period"),
        ([{"period": "2024", "visits": -1}], "row 1 (2024)", "negative"),
        ([{"period": "2024", "visits": 1.5}], "row 1 (2024)", "whole number"),
        ([{"period": "2024"}], "row 1 (2024)", "neither visits nor pageviews"),
        ([{"period": "2024", "visits": 1, "hits": 2}], "row 1 (2024)", "unknown column"),
        ([{"period": "2025-06-15", "visits": 1}], "row 1 (2025-06-15)", "not over yet"),
        ([{"period": "2025", "visits": 1}], "row 1 (2025)", "not over yet"),
        ([{"period": "2031-01", "visits": 1}], "row 1 (2031-01)", "not over yet"),
        (
            [{"period": "2024-05", "visits": 10}, {"period": "2024-05-02", "visits": 11}],
            "row 1 (2024-05)",
            "days sum to 11 visits",
        ),
        (
            [{"period": "2024", "visits": 1}, {"period": "2024", "visits": 1}],
            "row 2 (2024)",
            "the same period as row 1",
        ),
    ],
)
def test_bad_rows_are_422_and_named(
    api: Api, dynamodb: Any, rows: list[dict[str, Any]], field: str, problem: str
) -> None:
    api.register("site", TZ)
    before = table_dump(dynamodb)
    status, answer = post(api, "site", {"rows": rows})
    assert status == 422, answer
    assert answer["errors"][0]["field"] == field
    assert problem in answer["errors"][0]["problem"]
    assert table_dump(dynamodb) == before


def test_rows_meeting_a_baseline_must_agree_with_it(api: Api) -> None:
    api.register("site", TZ)
    baseline = {
        "date": "2025-06-15",
        "today": 10,
        "yesterday": 20,
        "month": 100,
        "year": 1000,
        "total": 5000,
    }
    with time_machine.travel(NOW, tick=False):
        assert api.call("POST", "/v1/sites/site/baseline", baseline)[0] == 200
    status, answer = post(api, "site", {"rows": [{"period": "2025-06-14", "visits": 21}]})
    assert status == 422 and "have 20 yesterday" in answer["message"]
    status, answer = post(api, "site", {"rows": [{"period": "2025-06-01", "visits": 91}]})
    assert status == 422 and "over the month to date before 2025-06-15 (90)" in answer["message"]
    status, answer = post(api, "site", {"rows": [{"period": "2025-05", "visits": 901}]})
    assert status == 422 and "(900)" in answer["message"]
    status, answer = post(api, "site", {"rows": [{"period": "2024", "visits": 4001}]})
    assert status == 422 and "(4000)" in answer["message"]
    # Agreeing rows import; a month of the baseline's month reaches counted traffic.
    rows = [{"period": "2025-06-14", "visits": 20}, {"period": "2024", "visits": 4000}]
    assert post(api, "site", {"rows": rows})[0] == 200
    status, answer = post(api, "site", {"rows": [{"period": "2025-06", "visits": 100}]})
    assert status == 422  # not over yet on the baseline's date
    later = NOW + timedelta(days=30)
    status, answer = post(api, "site", {"rows": [{"period": "2025-06", "visits": 100}]}, later)
    assert status == 409 and "counted traffic from 2025-06-15" in answer["message"]


def test_bounds_content_types_and_auth_shape(api: Api, dynamodb: Any) -> None:
    api.register("site", TZ)
    status, answer = post(api, "site", "x" * 1_000_001)
    assert status == 413 and answer["message"]
    many = "period,visits\n" + "\n".join(f"2001-01-01,{i}" for i in range(MAX_ROWS + 1))
    status, answer = post(api, "site", many)
    assert status == 422 and f"at most {MAX_ROWS}" in answer["message"]
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call(
            "POST", "/v1/sites/site/history", "<rows/>", headers={"content-type": "text/xml"}
        )
    assert status == 415 and answer["message"]
    assert post(api, "site", '{"rows": 5}')[0] == 422
    assert post(api, "site", {"rows": []})[0] == 422
    status, answer = post(api, "unknown", {"rows": [{"period": "2020", "visits": 1}]})
    assert status == 404
    assert [i["sk"]["S"] for i in table_dump(dynamodb) if i["pk"]["S"] != "SITES"] == ["CONFIG"]


def test_twenty_years_of_days_import_in_one_request(api: Api, dynamodb: Any) -> None:
    """At most one write per period, 25 to a request: the figures the README quotes."""
    from counters.counting.service import default_service

    api.register("site", TZ)
    rows: list[dict[str, Any]] = []
    for year in range(2005, 2025):
        year_total = 0
        for month in range(1, 13):
            length = calendar.monthrange(year, month)[1]
            days = range(1, length + 1)
            rows += [{"period": f"{year}-{month:02d}-{d:02d}", "visits": d} for d in days]
            rows.append({"period": f"{year}-{month:02d}", "visits": sum(days)})
            year_total += sum(days)
        rows.append({"period": str(year), "visits": year_total})
    assert len(rows) == 7305 + 240 + 20
    calls: list[str] = []
    default_service().storage.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    started = time.perf_counter()
    status, answer = post(api, "site", {"rows": rows})
    elapsed = time.perf_counter() - started
    assert status == 200, answer
    assert answer["written"] == len(rows)
    batches = calls.count("BatchWriteItem")
    assert batches == -(-len(rows) // 25)
    assert {c for c in calls if c != "BatchWriteItem"} <= {"GetItem", "Query"}
    print(
        f"\n20 years of days: {len(rows)} periods, {batches} BatchWriteItem, "
        f"{len(calls) - batches} other requests, {elapsed:.2f} s on moto"
    )
    calls.clear()
    status, answer = post(api, "site", {"rows": rows})
    assert status == 200 and answer["written"] == 0 and "BatchWriteItem" not in calls
    years = series(api, "site", "year", "2005", "2024")
    leap = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    assert values(years)["2016"] == sum(n * (n + 1) // 2 for n in leap)


def test_a_baseline_after_history_must_agree_with_it(api: Api, dynamodb: Any) -> None:
    api.register("site", TZ)
    rows = [{"period": "2025-06-14", "visits": 20}, {"period": "2025-05", "visits": 500}]
    assert post(api, "site", {"rows": rows})[0] == 200
    baseline = {
        "date": "2025-06-15",
        "today": 10,
        "yesterday": 21,
        "month": 100,
        "year": 1000,
        "total": 5000,
    }
    before = table_dump(dynamodb)
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call("POST", "/v1/sites/site/baseline", baseline)
        assert status == 422, answer
        assert answer["errors"][0]["field"] == "imported earlier (2025-06-14)"
        assert table_dump(dynamodb) == before
        # A baseline dated inside imported history would overlap it.
        status, answer = api.call(
            "POST", "/v1/sites/site/baseline", baseline | {"date": "2025-05-20", "yesterday": 0}
        )
        assert status == 409, answer
        status, answer = api.call("POST", "/v1/sites/site/baseline", baseline | {"yesterday": 20})
        assert status == 200, answer
    assert values(series(api, "site", "day", "2025-06-13", "2025-06-15")) == {
        "2025-06-13": 0,
        "2025-06-14": 20,
        "2025-06-15": 10,
    }


def test_a_twenty_year_nukeviet_dump_costs_a_write_per_period(api: Api) -> None:
    from counters.counting.service import default_service

    api.register("portal", TZ)
    calls: list[str] = []
    default_service().storage.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    answer = import_dump(api, nukeviet_table(installed=2006))
    # 19 years, 5 months, 14 days: two batches; then the baseline's day item.
    assert answer["periods"] == 19 + 5 + 14 and answer["written"] == 38 + 1
    writes = [c for c in calls if c not in ("GetItem", "Query")]
    assert writes == ["BatchWriteItem", "BatchWriteItem", "PutItem"], calls
    print(f"\n20-year NukeViet dump: {len(calls)} requests: {sorted(calls)}")


def test_a_wrong_file_names_its_first_hundred_rows(api: Api) -> None:
    api.register("portal", TZ)
    # A NukeViet dump posted without format=nukeviet: every row has unknown columns.
    many = {("browser", f"b{i}"): i for i in range(300)}
    status, answer = post(api, "portal", mysql_batch({**nukeviet_table(), **many}))
    assert status == 422
    assert len(answer["errors"]) == 100 and "unknown column" in answer["errors"][0]["problem"]
    assert answer["message"].startswith(f"{len(nukeviet_table()) + 300} row(s) cannot be imported")


def test_a_dump_as_json_imports_like_its_csv(api: Api) -> None:
    api.register("from-csv", TZ)
    api.register("from-json", TZ)
    table = nukeviet_table()
    as_csv = import_dump(api, table, "from-csv")
    rows = [{"c_type": k, "c_val": v, "c_count": n} for (k, v), n in table.items()]
    status, as_json = post(api, "from-json", {"rows": rows}, format="nukeviet", date="2025-06-15")
    assert status == 200, as_json
    assert as_json | {"site": "from-csv"} == as_csv | {"baseline": as_json["baseline"]}
    assert as_json["baseline"] | {"site": "from-csv"} == as_csv["baseline"]
    for granularity, start, end in [("year", "2012", "2025"), ("day", "2025-06-01", "2025-06-15")]:
        assert values(series(api, "from-json", granularity, start, end)) == values(
            series(api, "from-csv", granularity, start, end)
        )
