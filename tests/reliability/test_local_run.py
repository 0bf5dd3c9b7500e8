"""The local run is the whole stack, and no call leaves the machine."""

from __future__ import annotations

import time
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import boto3
import requests

from counters.archive.reader import ONCE, ArchiveReader
from counters.storage.archive_bucket import archive_bucket
from local.server import start_local_api
from tests.conftest import reset_warm_state
from tests.reliability.conftest import ANSWER_SECONDS
from tests.zones import midday_timezone


def wait_for_today(stats: str, wanted: int) -> int:
    """Reads `today` until it is `wanted` or ANSWER_SECONDS have passed; the last read."""
    deadline = time.monotonic() + ANSWER_SECONDS
    while True:
        today = requests.get(stats, timeout=ANSWER_SECONDS).json()["today"]
        if today == wanted or time.monotonic() > deadline:
            return int(today)
        time.sleep(0.05)  # between reads of an observable condition, not a wait to pass


def test_a_high_traffic_site_counts_end_to_end_and_no_call_leaves_the_machine() -> None:
    contacted: list[str] = []

    def record(request: Any, **_: Any) -> None:
        contacted.append(request.url)

    reset_warm_state()
    boto3.setup_default_session()  # every client the run makes hears this hook
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-send", record)
    try:
        with start_local_api(demo=True, quiet=True, trust_forwarded_for=True) as api:
            site = f"{api.url}/v1/sites/busy"
            # Real time: a zone at midday, so the site's today cannot turn mid-test.
            settings = {"timezone": midday_timezone(), "mode": "buffered"}
            assert requests.put(site, json=settings, timeout=ANSWER_SECONDS).status_code == 200
            for i in range(12):
                headers = {
                    "User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) Firefox/{120 + i % 4}.0",
                    "X-Forwarded-For": f"198.51.100.{i % 4}",
                }
                answer = requests.post(
                    f"{site}/hits",
                    json={"path": f"/p{i % 2}"},
                    headers=headers,
                    timeout=ANSWER_SECONDS,
                )
                assert answer.status_code == 200 and answer.json()["buffered"], answer.text
            api.drain_streams()  # what the pollers do every window, now
            stats = requests.get(f"{site}/stats", timeout=ANSWER_SECONDS).json()
            assert (stats["today"], stats["online"]) == (4, 4)  # 4 visitors, 12 page views
            pages = requests.get(f"{site}/pages", timeout=ANSWER_SECONDS).json()["pages"]
            assert {p["path"]: p["pageviews"] for p in pages} == {"/p0": 6, "/p1": 6}
            # The event archive's consumer ran too: every hit in moto's S3, read back.
            day = date.fromisoformat(stats["date"])
            with ArchiveReader(archive_bucket()).open("busy", day, day) as archive:
                rows = archive.query(f"SELECT path, sum(visit), count(*) FROM {ONCE} GROUP BY 1")
            assert sorted(rows) == [("/p0", 2, 6), ("/p1", 2, 6)]
            # The pollers also run on their own, with the template's windows: a late hit
            # is added by them alone, seen on /stats within a bounded wait.
            late = requests.post(
                f"{site}/hits",
                headers={"User-Agent": "Mozilla/5.0 Late/1.0"},
                timeout=ANSWER_SECONDS,
            )
            assert late.status_code == 200 and late.json()["buffered"], late.text
            assert wait_for_today(f"{site}/stats", 5) == 5
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-send", record)
        reset_warm_state()
    assert contacted, "the hook saw no request"
    hosts = {urlsplit(url).hostname for url in contacted}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
