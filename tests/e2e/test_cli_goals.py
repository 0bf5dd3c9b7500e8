"""visit-counter goals against the local API: add, replace, remove, list and report."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import USER_AGENT, midday_timezone
from tests.e2e.test_cli import run, run_json

pytestmark = pytest.mark.e2e


def test_goals_added_replaced_removed_and_reported(capsys: Any, local_api: Any) -> None:
    url = local_api.url
    site = "cli-goals"
    run_json(capsys, url, "site", "set", site, "--timezone", midday_timezone())
    run_json(capsys, url, "goals", "add", site, "Tải văn bản", "--event", "download")
    run_json(capsys, url, "goals", "add", site, "DVC", "--page", "/dvc/*")
    goals = run_json(capsys, url, "goals", "add", site, "DVC", "--page", "/dich-vu-cong/*")
    assert goals == [
        {"name": "Tải văn bản", "event": "download", "page": None},
        {"name": "DVC", "event": None, "page": "/dich-vu-cong/*"},
    ]
    # `site set` keeps the goals it was not told about.
    run_json(capsys, url, "site", "set", site, "--count", "pageviews")
    assert [g["name"] for g in run_json(capsys, url, "goals", "list", site)] == [
        "Tải văn bản",
        "DVC",
    ]
    code, _, err = run(capsys, url, "goals", "remove", site, "nope")
    assert code == 2 and "no goal named 'nope'" in err
    code, _, err = run(capsys, url, "goals", "add", site, "x", "--page", "no-slash")
    assert code == 1 and "page" in err
    assert run_json(capsys, url, "goals", "remove", site, "DVC") == [
        {"name": "Tải văn bản", "event": "download", "page": None}
    ]
    hit = requests.post(
        f"{url}/v1/sites/{site}/hits",
        json={"path": "/"},
        headers={"User-Agent": USER_AGENT},
        timeout=10,
    )
    assert hit.json()["counted"]
    answer = requests.post(
        f"{url}/v1/sites/{site}/events",
        json={"name": "download", "url": f"{url}/a.pdf"},
        headers={"User-Agent": USER_AGENT},
        timeout=10,
    )
    assert answer.json() == {"counted": True}
    local_api.drain_streams()
    report = run_json(capsys, url, "goals", "report", site)
    assert report["visits"] == 1
    assert report["goals"] == [
        {
            "name": "Tải văn bản",
            "event": "download",
            "page": None,
            "conversions": 1,
            "events": 1,
            "conversion_rate": 1.0,
        }
    ]
