"""`visit-counter history` against the local API's real history route, read back from /series."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import midday_timezone
from tests.e2e.test_cli import run, run_json

pytestmark = pytest.mark.e2e

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def series(url: str, site: str, granularity: str, start: str, end: str) -> dict[str, Any]:
    answer = requests.get(
        f"{url}/v1/sites/{site}/series",
        params={"granularity": granularity, "from": start, "to": end},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {p["period"]: p for p in answer.json()["points"]}


def site_today(url: str, site: str) -> date:
    """The site's today, from the API (which runs in real time)."""
    answer = requests.get(f"{url}/v1/sites/{site}/stats", timeout=10)
    assert answer.status_code == 200, answer.text
    return date.fromisoformat(answer.json()["date"])


def figures(points: dict[str, Any], metric: str = "visits") -> dict[str, Any]:
    return {period: point[metric] for period, point in points.items()}


def test_json_and_csv_history_files(capsys: Any, local_api: Any, tmp_path: Path) -> None:
    url = local_api.url
    run_json(capsys, url, "site", "set", "cli-history", "--timezone", midday_timezone())
    year = site_today(url, "cli-history").year
    old, then = year - 3, year - 2
    periods = tmp_path / "history.json"
    periods.write_text(
        json.dumps(
            {
                "rows": [
                    {"period": str(old), "visits": 50_000, "pageviews": 90_000},
                    {"period": f"{then}-03", "visits": 4_000},
                ]
            }
        )
    )
    assert run_json(capsys, url, "history", "cli-history", str(periods))["written"] == 2
    days = tmp_path / "days.csv"  # an empty cell is unknown
    days.write_text(f"period,visits,pageviews\n{then}-03-01,100,\n{then}-03-02,200,250\n")
    answer = run_json(capsys, url, "history", "cli-history", str(days))
    assert (answer["periods"], answer["written"], answer["unchanged"]) == (2, 2, 0)

    years = series(url, "cli-history", "year", str(old), str(then))
    assert years[str(old)] == {**years[str(old)], "visits": 50_000, "pageviews": 90_000}
    assert years[str(old)]["imported"] is True
    months = series(url, "cli-history", "month", f"{old}-11", f"{then}-03")
    # Months of a year imported only as a total are unknown, not zero.
    assert figures(months)[f"{old}-11"] is None and figures(months)[f"{old}-12"] is None
    assert months[f"{then}-03"]["visits"] == 4_000 and months[f"{then}-03"]["imported"]
    assert months[f"{then}-03"]["pageviews"] is None  # the row gave visits only
    march = series(url, "cli-history", "day", f"{then}-03-01", f"{then}-03-04")
    assert figures(march) == {
        f"{then}-03-01": 100,
        f"{then}-03-02": 200,
        f"{then}-03-03": None,  # inside a month known only as a total
        f"{then}-03-04": None,
    }
    assert figures(march, "pageviews")[f"{then}-03-01"] is None
    assert figures(march, "pageviews")[f"{then}-03-02"] == 250

    # Sent again: nothing written. A bad row: the API's 422, with the row, and exit 1.
    again = run_json(capsys, url, "history", "cli-history", str(days))
    assert (again["written"], again["unchanged"]) == (0, 2)
    days.write_text(f"period,visits\n{then}-03-05,-1\n")
    code, _, err = run(capsys, url, "history", "cli-history", str(days))
    assert code == 1 and "HTTP 422" in err and f"{then}-03-05" in err


def nukeviet_dump(today: date, last_request: int) -> tuple[str, dict[tuple[str, str], int]]:
    """A NukeViet 4 nv4_counter table on `today` as `mysql -B` prints it, installed 4 years ago."""
    days = {d: 100 + d for d in range(1, today.day + 1)}
    months = {m: 3_000 + m for m in range(1, today.month)}
    months[today.month] = sum(days.values())
    years = {y: 40_000 + y for y in range(today.year - 4, today.year)}
    years[today.year] = sum(months.values())
    table = {("c_time", "start"): last_request - 4 * 366 * 86_400, ("c_time", "last"): last_request}
    table[("total", "hits")] = sum(years.values())
    for year in range(today.year - 4, today.year + 3):  # NukeViet creates years ahead, at 0
        table[("year", str(year))] = years.get(year, 0)
    for number, name in enumerate(MONTHS, start=1):
        table[("month", name)] = months.get(number, 0)
    for day in range(1, 32):
        table[("day", f"{day:02d}")] = days.get(day, 0)
    table[("hour", "09")] = days[today.day]
    table[("browser", "chrome")] = 12_345  # rows the import ignores
    lines = ["c_type\tc_val\tc_count"] + [f"{k}\t{v}\t{n}" for (k, v), n in table.items()]
    return "\n".join(lines) + "\n", table


def test_nukeviet_dump(capsys: Any, local_api: Any, tmp_path: Path) -> None:
    url = local_api.url
    # A zone at midday: the site's today cannot turn while the test runs.
    timezone = midday_timezone()
    run_json(capsys, url, "site", "set", "cli-nukeviet", "--timezone", timezone)
    today = site_today(url, "cli-nukeviet")
    # The dump's last counted request: today, a minute past the site's midnight (a dump's
    # day rows are of that request's local date, which the import checks).
    last_request = int(datetime.combine(today, time(0, 1), ZoneInfo(timezone)).timestamp())
    text, table = nukeviet_dump(today, last_request)
    dump = tmp_path / "counter.tsv"
    dump.write_text(text)
    code, _, err = run(capsys, url, "history", "cli-nukeviet", str(dump))
    assert code == 1 and "HTTP 422" in err  # without --nukeviet it is read as periods

    answer = run_json(
        capsys, url, "history", "cli-nukeviet", str(dump), "--nukeviet", today.isoformat()
    )
    assert answer["periods"] == 4 + (today.month - 1) + (today.day - 1)
    baseline = answer["baseline"]
    assert (baseline["date"], baseline["today"]) == (
        today.isoformat(),
        table[("day", f"{today.day:02d}")],
    )
    assert baseline["month"] == table[("month", MONTHS[today.month - 1])]
    assert baseline["year"] == table[("year", str(today.year))]
    assert baseline["total"] == table[("total", "hits")]
    stats = requests.get(f"{url}/v1/sites/cli-nukeviet/stats", timeout=10).json()
    assert (stats["today"], stats["total"]) == (baseline["today"], baseline["total"])

    years = series(url, "cli-nukeviet", "year", str(today.year - 5), str(today.year - 1))
    assert figures(years) == {
        str(today.year - 5): 0,
        **{str(y): table[("year", str(y))] for y in range(today.year - 4, today.year)},
    }
    # NukeViet counts visits only: page views unknown; last year's months known only in its total.
    assert figures(years, "pageviews")[str(today.year - 1)] is None
    months = series(url, "cli-nukeviet", "month", f"{today.year - 1}-12", f"{today:%Y-%m}")
    assert figures(months) == {
        f"{today.year - 1}-12": None,
        **{f"{today.year}-{m:02d}": table[("month", MONTHS[m - 1])] for m in range(1, today.month)},
        f"{today:%Y-%m}": baseline["month"],
    }
    days = series(url, "cli-nukeviet", "day", f"{today:%Y-%m}-01", today.isoformat())
    assert figures(days) == {
        f"{today:%Y-%m}-{d:02d}": table[("day", f"{d:02d}")] for d in range(1, today.day + 1)
    }
