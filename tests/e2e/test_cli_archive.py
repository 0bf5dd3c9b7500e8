"""`visit-counter export` and `visit-counter rebuild` against the local run (moto's
DynamoDB and S3, the archive written by its stream consumer): no call leaves the machine."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import requests

from counters.archive import export as export_module
from tests.e2e.conftest import Operator
from tests.e2e.test_cli import run

PATHS = ["/a", "/b", "/a"]


def traffic(local_api: Any, site: str) -> str:
    """Three page views from three visitors; the site's today."""
    Operator(local_api.url).register(site)
    for i, path in enumerate(PATHS):
        answer = requests.post(
            f"{local_api.url}/v1/sites/{site}/hits",
            json={"path": path},
            headers={"User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) Firefox/13{i}.0"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    local_api.drain_streams()
    stats = requests.get(f"{local_api.url}/v1/sites/{site}/stats", timeout=10).json()
    return str(stats["date"])


def paths_in(file: Path) -> list[str]:
    return sorted(row["path"] for row in csv.DictReader(io.StringIO(file.read_text())))


def test_export_writes_the_range_to_a_file(capsys: Any, local_api: Any, tmp_path: Path) -> None:
    today = traffic(local_api, "cli-export")
    out = tmp_path / "hits.csv"
    code, printed, err = run(
        capsys,
        local_api.url,
        "export",
        "cli-export",
        "--from",
        today,
        "--to",
        today,
        "-o",
        str(out),
    )
    assert code == 0, err
    assert f"wrote {out}" in printed
    assert paths_in(out) == sorted(PATHS)


def test_a_large_export_is_fetched_from_its_link(
    capsys: Any, local_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = traffic(local_api, "cli-large")
    monkeypatch.setattr(export_module, "INLINE_BYTES", 10)  # every export is "large"
    out = tmp_path / "large.csv"
    code, _, err = run(
        capsys, local_api.url, "export", "cli-large", "--from", today, "--to", today, "-o", str(out)
    )
    assert code == 0, err
    assert paths_in(out) == sorted(PATHS)  # from moto's S3, through the presigned link


def test_rebuild_goes_day_by_day(capsys: Any, local_api: Any) -> None:
    today = traffic(local_api, "cli-rebuild")
    before = requests.get(f"{local_api.url}/v1/sites/cli-rebuild/pages", timeout=10).json()
    code, printed, err = run(
        capsys, local_api.url, "rebuild", "cli-rebuild", "--from", today, "--to", today
    )
    assert code == 0, err
    assert printed.strip().startswith(f"{today}: 3 hits")
    after = requests.get(f"{local_api.url}/v1/sites/cli-rebuild/pages", timeout=10).json()
    assert after == before and {p["path"]: p["pageviews"] for p in after["pages"]} == {
        "/a": 2,
        "/b": 1,
    }
    code, _, err = run(
        capsys, local_api.url, "rebuild", "cli-rebuild", "--from", today, "--to", "2020-01-01"
    )
    assert code == 2 and "--to is before --from" in err
