"""Segments over the archive on the local run: GET /segment over 30 days and over a year of a
site with 30,000 page views a day (SPEC: at most 2 s and 10 s, 2 cores).

The days are generated once (DuckDB, seeded) as the daily compaction leaves them, one object
a day, into BENCH_DATA (default /tmp/visit-counter-bench), and put into the local run's S3
(moto's server) on each run. Variety like a portal's: 6,000 paths (a few hot, a long tail),
40 sources, 12 browser / OS / device families, 25 countries, 8 languages, campaigns on 4% of
visits, 2.5 page views a visit with consistent engagement fields, events on 3% of hits.

    PYTHONPATH=src:. python -m bench.segments
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from counters.archive.schema import COLUMNS

SITE = "segbench"
PAGEVIEWS_A_DAY = 30_000
LAST_DAY = date(2026, 6, 30)
YEAR = 365
# v2: the rows carry visit ids (v1's data, without them, is made again).
DATA = Path(os.environ.get("BENCH_DATA", "/tmp/visit-counter-bench")) / "segments-v2"
FILTERS = {
    "none": "",
    "device==mobile|tablet;source!=Google": "device==mobile|tablet;source!=Google",
    "page==/tin-tuc/1|/van-ban/2": "page==/tin-tuc/1|/van-ban/2",
    "event==download": "event==download",
}
RUNS = 3

# A visit (v) and its k-th hit (k): deterministic draws from hash(v, k, salt).
_U = "(hash({v}, {k}, {salt}) % 1000003) / 1000003.0"
_PATH = (
    "list_extract(['/tin-tuc/', '/van-ban/', '/thu-tuc/', '/lien-he/', '/su-kien/', '/'], "
    "1 + CAST(floor(pow({u}, 2) * 6) AS INT)) || CAST(floor(pow({u2}, 3) * 1000) AS INT)"
)


def _path(v: str, k: str) -> str:
    return _PATH.format(u=_U.format(v=v, k=k, salt=1), u2=_U.format(v=v, k=k, salt=2))


def _pick(options: list[str], u: str, skew: int = 2) -> str:
    quoted = ", ".join("'" + o.replace("'", "''") + "'" for o in options)
    return f"list_extract([{quoted}], 1 + CAST(floor(pow({u}, {skew}) * {len(options)}) AS INT))"


SOURCES = ["direct", "Google", "Zalo", "Facebook", "Cốc Cốc", "Bing", "YouTube", "TikTok"]
SOURCES += [f"site{i}.vn" for i in range(32)]
FAMILIES = [
    (b, o, d)
    for b, o, d in [
        ("Chrome", "Android", "mobile"), ("Chrome", "Windows", "desktop"),
        ("Safari", "iOS", "mobile"), ("Cốc Cốc", "Windows", "desktop"),
        ("Samsung Internet", "Android", "mobile"), ("Safari", "iOS", "tablet"),
        ("Edge", "Windows", "desktop"), ("Firefox", "Windows", "desktop"),
        ("Chrome", "Mac OS X", "desktop"), ("Safari", "Mac OS X", "desktop"),
        ("Zalo", "Android", "mobile"), ("Facebook", "iOS", "mobile"),
    ]
    for _ in range(3)
]  # fmt: skip
COUNTRIES = ["VN", "US", "JP", "KR", "SG", "AU", "DE", "FR", "GB", "CN", "TW", "TH", "LA", "KH"]
COUNTRIES += ["MY", "ID", "PH", "IN", "CA", "RU", "NL", "IT", "ES", "BR", "(unknown)"]
LANGUAGES = ["vi", "en", "ja", "ko", "zh", "fr", "de", "(unknown)"]


def _day_sql(day: date, path: str) -> str:
    visits = int(PAGEVIEWS_A_DAY / 2.5) + 500
    seed = day.toordinal()
    u = lambda salt: _U.format(v="v", k=0, salt=salt + seed * 10)  # noqa: E731 - a visit's draw
    family = f"CAST(floor(pow({u(3)}, 2) * {len(FAMILIES)}) AS INT) + 1"
    values = {
        "hour": "least(23, CAST(floor((start + k * 90) / 3600) AS INT))",
        "visit": "CAST(k = 0 AS INT)",
        "pageview": "CAST(NOT ev AS INT)",
        "path": "p",
        "in_visit": "CAST(NOT ev AS INT)",
        "bounces": "CASE WHEN ev THEN 0 WHEN k = 0 THEN 1 WHEN k = 1 THEN -1 ELSE 0 END",
        "duration_ms": "CASE WHEN k = 0 OR ev THEN 0 ELSE 90000 END",
        "entry_page": "CASE WHEN ev THEN NULL ELSE entry END",
        "left_page": "CASE WHEN ev OR k = 0 THEN NULL ELSE previous END",
        # 16 characters a visit, as counters.counting.visits.visit_id makes them.
        "visit_id": f"substr(md5('{seed}-' || CAST(v AS VARCHAR)), 1, 16)",
        "source": "CASE WHEN ev THEN NULL WHEN k = 0 THEN src ELSE '(internal)' END",
        "campaign": "CASE WHEN k = 0 AND NOT ev THEN camp END",
        "browser": "CASE WHEN ev THEN NULL ELSE families[fam][1] END",
        "os": "CASE WHEN ev THEN NULL ELSE families[fam][2] END",
        "device": "CASE WHEN ev THEN NULL ELSE families[fam][3] END",
        "country": "CASE WHEN ev THEN NULL ELSE country END",
        "language": "CASE WHEN ev THEN NULL ELSE lang END",
        "bot": "NULL",
        "event": "CASE WHEN ev THEN 'download' END",
        "download": "CASE WHEN ev THEN '/files/' || CAST(v % 200 AS VARCHAR) || '.pdf' END",
        "outbound": "NULL",
        "is_event": "CAST(ev AS INT)",
        "properties": "CAST([] AS VARCHAR[])",
        "goals": "CAST([] AS VARCHAR[])",
        "goal_visits": "CAST([] AS VARCHAR[])",
        "token": f"'{seed}-' || CAST(v AS VARCHAR) || '-' || CAST(k AS VARCHAR) || "
        "CASE WHEN ev THEN 'e' ELSE '' END",
        "shard": "'s000000000000'",
        "seq": "lpad(CAST(row_number() OVER () AS VARCHAR), 40, '0')",
    }
    names = [column.name for column in COLUMNS]
    assert set(values) == set(names), set(names) ^ set(values)
    selects = ", ".join(
        f"CAST({values[n]} AS {c.duckdb}) AS {n}" for n, c in zip(names, COLUMNS, strict=True)
    )
    families = "[" + ", ".join(f"['{b}', '{o}', '{d}']" for b, o, d in FAMILIES) + "]"
    return f"""
        COPY (
          WITH visits AS (
            SELECT v, CAST(floor({u(4)} * 84000) AS INT) AS start,
                   1 + CAST(floor(pow({u(5)}, 1.6) * 5) AS INT) AS n,
                   {family} AS fam, {_pick(SOURCES, u(6), 3)} AS src,
                   {_pick(COUNTRIES, u(7), 4)} AS country, {_pick(LANGUAGES, u(8), 3)} AS lang,
                   CASE WHEN {u(9)} < 0.04 THEN {_pick(["tet", "he", "khai-giang"], u(10))} END
                     AS camp
            FROM range({visits}) t(v)
          ),
          hits AS (
            SELECT visits.*, k, false AS ev, {_path("v", "k")} AS p,
                   {_path("v", "0")} AS entry, {_path("v", "k - 1")} AS previous
            FROM visits, range(n) r(k)
            ORDER BY v, k
            LIMIT {PAGEVIEWS_A_DAY}
          ),
          events AS (
            SELECT * REPLACE (true AS ev) FROM hits WHERE {_U.format(v="v", k="k", salt=11)} < 0.03
          ),
          rows AS (SELECT *, {families} AS families FROM (SELECT * FROM hits UNION ALL
                   SELECT * FROM events))
          SELECT {selects} FROM rows
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd)
    """


def day_key(day: date) -> str:
    first, last = "0" * 40, "9" * 40
    return f"site={SITE}/date={day.isoformat()}/compacted-{first}-{last}.parquet"


def generate() -> list[Path]:
    """The year's daily objects, made once (their folder kept between runs)."""
    from counters.archive.writer import duckdb_connection

    DATA.mkdir(parents=True, exist_ok=True)
    days = [LAST_DAY - timedelta(days=n) for n in range(YEAR)]
    files = [DATA / f"{day.isoformat()}.parquet" for day in days]
    connection = duckdb_connection()
    for day, file in zip(days, files, strict=True):
        if not file.exists():
            partial = file.with_suffix(".part")
            connection.execute(_day_sql(day, str(partial)))
            partial.rename(file)
    connection.close()
    return files


@dataclass
class Timing:
    days: int
    name: str
    seconds: list[float]
    visits: int
    objects: int
    size_mb: float


def measure() -> tuple[list[Timing], float]:
    import requests

    from local.server import start_local_api

    started = time.monotonic()
    files = generate()
    made = time.monotonic() - started
    found: list[Timing] = []
    with start_local_api(demo=False, quiet=True) as api:
        from counters.storage.archive_bucket import archive_bucket

        bucket = archive_bucket()
        for file in files:
            bucket.put(day_key(date.fromisoformat(file.stem)), file.read_bytes())
        assert requests.put(f"{api.url}/v1/sites/{SITE}", json={"timezone": "UTC"}, timeout=10).ok
        for days in (30, YEAR):
            first = LAST_DAY - timedelta(days=days - 1)
            size = sum(f.stat().st_size for f in files if f.stem >= first.isoformat()) / 1e6
            for name, text in FILTERS.items():
                query = {"from": first.isoformat(), "to": LAST_DAY.isoformat(), "filter": text}
                seconds, answer = [], {}
                for _ in range(RUNS):
                    began = time.perf_counter()
                    reply = requests.get(f"{api.url}/v1/sites/{SITE}/segment", params=query,
                                         timeout=120)  # fmt: skip
                    seconds.append(time.perf_counter() - began)
                    answer = reply.json()
                    assert reply.status_code == 200, answer
                found.append(
                    Timing(
                        days, name, seconds, answer["summary"]["visits"], answer["objects"], size
                    )
                )
    return found, made


def report() -> list[str]:
    timings, made = measure()
    out = [
        f"segments on the local run (GET /segment over HTTP, moto's S3, one compacted object a "
        f"day of {PAGEVIEWS_A_DAY:,} page views; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f}; data made or found in {made:.1f} s; median of {RUNS})"
    ]
    for t in timings:
        budget = 2.0 if t.days <= 30 else 10.0
        median = statistics.median(t.seconds)
        verdict = "within" if median <= budget else f"OVER by {median - budget:.1f} s"
        out.append(
            f"  {t.days:3} days ({t.objects} objects, {t.size_mb:.0f} MB) {t.name:40} "
            f"{median:6.2f} s (min {min(t.seconds):.2f})  {t.visits:>9,} visits  "
            f"budget {budget:g} s: {verdict}"
        )
    return out


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print("\n".join(report()))
