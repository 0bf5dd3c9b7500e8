"""Imported history carries into the five figures when no baseline was imported.

Handlers on moto, the clock frozen. Expected figures are literals worked out by hand
from the rows below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from tests.conftest import Api

TZ = "Asia/Ho_Chi_Minh"
FIGURES = ("today", "yesterday", "month", "year", "total")

# Imported on 2025-06-15: an earlier year's month and an earlier year, this year's months
# before June (6,000 visits), June's days before the 15th (10 x day: 1,050, the 14th 140).
ROWS: list[dict[str, Any]] = [
    {"period": "2023-12", "visits": 300, "pageviews": 900},
    {"period": "2024", "visits": 5000, "pageviews": 15000},
    *({"period": f"2025-{m:02d}", "visits": 900 + 100 * m, "pageviews": 2000} for m in range(1, 6)),
    *({"period": f"2025-06-{d:02d}", "visits": 10 * d, "pageviews": 30 * d} for d in range(1, 15)),
]


def at(*args: int, tz: str = TZ) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[misc]


IMPORTED = at(2025, 6, 15, 11)


def post(api: Api, site: str, path: str, body: Any, when: datetime) -> tuple[int, Any]:
    with time_machine.travel(when, tick=False):
        return api.call("POST", f"/v1/sites/{site}/{path}", body)


def imports(api: Api, site: str, rows: list[dict[str, Any]], when: datetime = IMPORTED) -> Any:
    status, answer = post(api, site, "history", {"rows": rows}, when)
    assert status == 200, answer
    return answer


def figures(answer: dict[str, Any]) -> tuple[int, ...]:
    return tuple(answer[name] for name in FIGURES)


def stats(api: Api, site: str, when: datetime) -> tuple[int, ...]:
    with time_machine.travel(when, tick=False):
        return figures(api.stats(site))


def hit(api: Api, site: str, when: datetime, ip: str = "198.51.100.7") -> tuple[int, ...]:
    with time_machine.travel(when, tick=False):
        return figures(api.hit(site, source_ip=ip))


def series(api: Api, site: str, granularity: str, start: str, end: str, when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/{site}/series",
            query={"granularity": granularity, "from": start, "to": end},
        )
    assert status == 200, answer
    return {p["period"]: p["visits"] for p in answer["points"]}


def test_imported_months_and_days_carry_into_the_footer(api: Api) -> None:
    api.register("portal", TZ)
    imports(api, "portal", ROWS)
    # Before the first hit: today 0, yesterday the 14th, June's days, this year's months
    # and days (6,000 + 1,050), and all of it with 2024 and 2023's December for the total.
    assert stats(api, "portal", at(2025, 6, 15, 11, 30)) == (0, 140, 1050, 7050, 12350)
    assert hit(api, "portal", at(2025, 6, 15, 12)) == (1, 140, 1051, 7051, 12351)
    when = at(2025, 6, 15, 13)
    assert stats(api, "portal", when) == (1, 140, 1051, 7051, 12351)
    # The dashboard agrees with the footer.
    assert series(api, "portal", "month", "2025-05", "2025-06", when) == {
        "2025-05": 1400,
        "2025-06": 1051,
    }
    assert series(api, "portal", "year", "2023", "2025", when) == {
        "2023": 300,
        "2024": 5000,
        "2025": 7051,
    }
    assert series(api, "portal", "day", "2025-06-14", "2025-06-15", when) == {
        "2025-06-14": 140,
        "2025-06-15": 1,
    }
    # Counting goes on from there: the next day's yesterday is the 15th's one visit.
    assert hit(api, "portal", at(2025, 6, 16, 9)) == (1, 1, 1052, 7052, 12352)


def test_page_views_carry_too(api: Api) -> None:
    api.register("views", TZ, count="pageviews")
    imports(api, "views", ROWS)
    # 30 x day in June (3,150; the 14th 420), 5 x 2,000 this year, 15,000 + 900 before it.
    assert hit(api, "views", at(2025, 6, 15, 12)) == (1, 420, 3151, 13151, 29051)


def test_idle_days_between_the_history_and_the_first_hit(api: Api) -> None:
    api.register("idle", TZ)
    imports(api, "idle", ROWS)
    # First hit on July 2: no imported July 1 (yesterday 0, as the series says), a new
    # month, and June's days still in the year.
    when = at(2025, 7, 2, 9)
    assert hit(api, "idle", when) == (1, 0, 1, 7051, 12351)
    assert series(api, "idle", "day", "2025-06-30", "2025-07-02", when) == {
        "2025-06-30": 0,
        "2025-07-01": 0,
        "2025-07-02": 1,
    }
    assert series(api, "idle", "month", "2025-06", "2025-07", when) == {
        "2025-06": 1050,
        "2025-07": 1,
    }
    assert series(api, "idle", "year", "2025", "2025", when) == {"2025": 7051}
    assert stats(api, "idle", at(2025, 7, 3, 9)) == (0, 1, 1, 7051, 12351)


def test_history_imported_after_todays_first_hits(api: Api) -> None:
    api.register("late", TZ)
    assert hit(api, "late", at(2025, 6, 15, 8), "198.51.100.1") == (1, 0, 1, 1, 1)
    assert hit(api, "late", at(2025, 6, 15, 9), "198.51.100.2") == (2, 0, 2, 2, 2)
    imports(api, "late", ROWS)
    assert stats(api, "late", at(2025, 6, 15, 11, 30)) == (2, 140, 1052, 7052, 12352)
    # A corrected row the same day moves the figures with it.
    imports(api, "late", [{"period": "2025-06-14", "visits": 150}], at(2025, 6, 15, 12))
    assert stats(api, "late", at(2025, 6, 15, 12, 30)) == (2, 150, 1062, 7062, 12362)
    # Once a later day has begun, the first day's figures are carried on: rows that would
    # change them are refused, naming the row, and nothing changes.
    assert hit(api, "late", at(2025, 6, 16, 9)) == (1, 2, 1063, 7063, 12363)
    status, answer = post(
        api,
        "late",
        "history",
        {"rows": [{"period": "2025-06-14", "visits": 160}]},
        at(2025, 6, 16, 10),
    )
    assert status == 422, answer
    assert answer["errors"][0]["field"] == "row 1 (2025-06-14)"
    assert "have 150 yesterday" in answer["errors"][0]["problem"]
    assert stats(api, "late", at(2025, 6, 16, 11)) == (1, 2, 1063, 7063, 12363)


# A baseline holds the same figures for visits and page views: these rows have no page views.
VISITS = [{"period": row["period"], "visits": row["visits"]} for row in ROWS]
BASELINE = {
    "date": "2025-06-15",
    "today": 50,
    "yesterday": 140,
    "month": 2000,
    "year": 9000,
    "total": 20000,
}


def test_a_baseline_imported_later_wins(api: Api) -> None:
    api.register("base", TZ)
    imports(api, "base", VISITS)
    assert hit(api, "base", at(2025, 6, 15, 12)) == (1, 140, 1051, 7051, 12351)
    status, answer = post(api, "base", "baseline", BASELINE, at(2025, 6, 15, 13))
    assert status == 200, answer
    assert figures(answer) == (50, 140, 2000, 9000, 20000)
    assert hit(api, "base", at(2025, 6, 15, 14)) == (51, 140, 2001, 9001, 20001)
    # Rows that agree with the baseline import, and leave its figures as they are.
    imports(api, "base", [{"period": "2025-06-13", "visits": 131}], at(2025, 6, 15, 15))
    assert stats(api, "base", at(2025, 6, 15, 16)) == (51, 140, 2001, 9001, 20001)
    # Rows that disagree with it are still refused, named.
    status, answer = post(
        api,
        "base",
        "history",
        {"rows": [{"period": "2024", "visits": 11001}]},
        at(2025, 6, 15, 17),
    )
    assert status == 422, answer
    assert answer["errors"][0]["field"] == "imported earlier (2023-12), row 1 (2024)"
    assert "over the total before 2025" in answer["errors"][0]["problem"]


def test_a_baseline_before_the_first_hit_wins(api: Api) -> None:
    api.register("early", TZ)
    imports(api, "early", VISITS)
    status, answer = post(api, "early", "baseline", BASELINE, at(2025, 6, 15, 12))
    assert status == 200, answer
    assert hit(api, "early", at(2025, 6, 15, 13)) == (51, 140, 2001, 9001, 20001)


def test_new_year_in_the_sites_timezone_has_no_earlier_months(api: Api) -> None:
    api.register("newyear", TZ)
    # 00:30 on 2026-01-01 in Ho Chi Minh City is still 2025-12-31 in UTC.
    when = at(2026, 1, 1, 0, 30)
    rows = [
        {"period": "2024", "visits": 5000},
        {"period": "2025-11", "visits": 400},
        {"period": "2025-12-30", "visits": 30},
        {"period": "2025-12-31", "visits": 31},
    ]
    imports(api, "newyear", rows, when)
    # Last year (400 + 61) and 2024 go in the total only.
    assert hit(api, "newyear", at(2026, 1, 1, 0, 40)) == (1, 31, 1, 1, 5462)
    assert series(api, "newyear", "year", "2025", "2026", when) == {"2025": 461, "2026": 1}


def test_first_of_the_month_has_no_earlier_days(api: Api) -> None:
    tz = "Europe/Berlin"
    api.register("berlin", tz)
    # 00:30 on July 1 in summer time (UTC+2) is still June 30 in UTC.
    when = at(2025, 7, 1, 0, 30, tz=tz)
    rows = [
        {"period": "2025-05", "visits": 1400},
        {"period": "2025-06-29", "visits": 5},
        {"period": "2025-06-30", "visits": 7},
    ]
    imports(api, "berlin", rows, when)
    assert hit(api, "berlin", at(2025, 7, 1, 0, 40, tz=tz)) == (1, 7, 1, 1413, 1413)
    assert series(api, "berlin", "month", "2025-06", "2025-07", when) == {
        "2025-06": 12,
        "2025-07": 1,
    }


def test_an_import_racing_the_sites_first_hit(api: Api, monkeypatch: Any) -> None:
    """The first hit reads the history before an import stores its rows, and opens the day
    after the import looked for it: the hit reads the history again and carries it."""
    from counters.storage.day_items import DayItems

    api.register("race", TZ)
    real_open = DayItems.open

    def open_after_an_import(self: DayItems, *args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(DayItems, "open", real_open)
        imports(api, "race", ROWS, at(2025, 6, 15, 12))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(DayItems, "open", open_after_an_import)
    assert hit(api, "race", at(2025, 6, 15, 12)) == (1, 140, 1051, 7051, 12351)


def test_a_first_hit_racing_an_import(api: Api, monkeypatch: Any) -> None:
    """The first hit opens the day (with no history yet) after the import looked for it and
    before it stores its rows: the import finds the day afterwards and carries the rows."""
    from counters.storage.imported_items import ImportedItems

    api.register("race", TZ)
    real_put = ImportedItems.put

    def put_after_a_hit(self: ImportedItems, *args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(ImportedItems, "put", real_put)
        assert hit(api, "race", at(2025, 6, 15, 11)) == (1, 0, 1, 1, 1)
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(ImportedItems, "put", put_after_a_hit)
    answer = imports(api, "race", ROWS, at(2025, 6, 15, 11))
    assert answer["written"] == len(ROWS) + 1  # the rows, and the day's bases
    assert stats(api, "race", at(2025, 6, 15, 12)) == (1, 140, 1051, 7051, 12351)


def test_a_failed_second_read_of_the_history_leaves_the_first_hit_counted(
    api: Api, monkeypatch: Any
) -> None:
    """The first hit has counted once its day is open: a failure after that answers its
    figures, as read before opening, and the next import of the rows sets them again."""
    from botocore.exceptions import ClientError

    from counters.storage.imported_items import ImportedItems

    api.register("faulty", TZ)
    imports(api, "faulty", ROWS)
    real_periods = ImportedItems.periods
    reads: list[str] = []

    def second_read_fails(self: ImportedItems, *args: Any, **kwargs: Any) -> Any:
        reads.append("periods")
        if len(reads) == 2:
            raise ClientError({"Error": {"Code": "InternalServerError"}}, "Query")
        return real_periods(self, *args, **kwargs)

    monkeypatch.setattr(ImportedItems, "periods", second_read_fails)
    assert hit(api, "faulty", at(2025, 6, 15, 12)) == (1, 140, 1051, 7051, 12351)
    assert reads == ["periods", "periods"]
    assert hit(api, "faulty", at(2025, 6, 15, 12, 1)) == (1, 140, 1051, 7051, 12351)  # one visit
