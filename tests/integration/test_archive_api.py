"""Export and rebuild routes over the event archive, through the handlers on moto: hits
counted by the hit handler, carried to the archive by the stream, read back."""

from __future__ import annotations

import base64
import csv
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
import duckdb
import pytest
import time_machine

from counters.archive import export as export_module
from tests.conftest import Api, Streams, table_dump

NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
DAY = "2026-03-10"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PATHS = ["/a", "/b", "/a", "/van-ban/1", "/a"]  # from five visitors (five addresses)


def traffic(api: Api, streams: Streams, site: str, **settings: Any) -> None:
    api.register(site, **settings)
    with time_machine.travel(NOON, tick=False):
        for i, path in enumerate(PATHS):
            api.hit(site, body={"path": path}, source_ip=f"203.0.113.{i + 1}",
                    headers={"user-agent": FIREFOX})  # fmt: skip
    streams.drain()


def get(api: Api, path: str, token: str | None = None, **query: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with time_machine.travel(NOON, tick=False):
        return api.call("GET", path, headers=headers, query=query)


def test_an_operator_exports_a_range_as_csv(api: Api, streams: Streams) -> None:
    traffic(api, streams, "laichau")
    status, text = get(api, "/v1/sites/laichau/export", **{"from": DAY, "to": DAY})
    assert status == 200, text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert Counter(row["path"] for row in rows) == {"/a": 3, "/b": 1, "/van-ban/1": 1}
    assert {(row["site"], row["date"], row["hour"]) for row in rows} == {("laichau", DAY, "12")}
    assert [row["visit"] for row in rows] == ["1"] * 5  # five visitors
    assert {row["browser"] for row in rows} == {"Firefox"}
    assert "token" not in rows[0] and "seq" not in rows[0]
    # Another day has nothing.
    status, text = get(
        api, "/v1/sites/laichau/export", **{"from": "2026-03-11", "to": "2026-03-11"}
    )
    assert status == 200 and text.strip().count("\n") == 0  # the header only


def test_a_parquet_export_reads_back(api: Api, streams: Streams, tmp_path: Any) -> None:
    traffic(api, streams, "laichau")
    status, body = get(
        api, "/v1/sites/laichau/export", **{"from": DAY, "to": DAY, "format": "parquet"}
    )
    assert status == 200, body
    data = base64.b64decode(body)  # a binary answer is base64 in a Lambda answer
    path = tmp_path / "export.parquet"
    path.write_bytes(data)
    connection = duckdb.connect()
    paths = connection.execute(f"SELECT path FROM read_parquet('{path}') ORDER BY path").fetchall()
    assert [p for (p,) in paths] == sorted(PATHS)


def test_a_large_export_is_a_link_to_a_file(
    api: Api, streams: Streams, monkeypatch: pytest.MonkeyPatch
) -> None:
    traffic(api, streams, "laichau")
    monkeypatch.setattr(export_module, "INLINE_BYTES", 10)
    status, answer = get(api, "/v1/sites/laichau/export", **{"from": DAY, "to": DAY})
    assert status == 200, answer
    assert answer["rows"] == 5 and answer["filename"] == f"laichau-{DAY}-{DAY}.csv"
    assert "X-Amz-Signature=" in answer["url"] and answer["expires_in"] == 900
    s3 = boto3.client("s3", region_name="us-east-1")
    (key,) = [
        entry["Key"]
        for entry in s3.list_objects_v2(Bucket="local-archivebucket", Prefix="exports/")["Contents"]
    ]
    assert key.startswith("exports/laichau/") and key in answer["url"]
    text = s3.get_object(Bucket="local-archivebucket", Key=key)["Body"].read().decode()
    assert len(list(csv.DictReader(io.StringIO(text)))) == 5


def test_a_read_token_exports_a_private_site_only(api: Api, streams: Streams) -> None:
    traffic(api, streams, "closed", reports="private")
    traffic(api, streams, "open")
    dates = {"from": DAY, "to": DAY}
    status, answer = get(api, "/v1/sites/closed/reports/export", **dates)
    assert status == 401, answer
    status, answer = get(api, "/v1/sites/closed/reports/export", "not-a-token-at-all-x", **dates)
    assert status == 403, answer
    with time_machine.travel(NOON, tick=False):
        status, issued = api.call("POST", "/v1/sites/closed/tokens", {"label": "x"})
    assert status == 201
    status, text = get(api, "/v1/sites/closed/reports/export", issued["token"], **dates)
    assert status == 200 and len(list(csv.DictReader(io.StringIO(text)))) == 5
    status, answer = get(api, "/v1/sites/open/reports/export", issued["token"], **dates)
    assert status == 403 and "operators" in answer["message"], answer


@pytest.mark.parametrize(
    ("first", "last"), [("2026-03-10", "2026-03-09"), ("2025-01-01", "2026-03-10")]
)
def test_an_export_range_is_bounded(api: Api, first: str, last: str) -> None:
    api.register("laichau")
    status, answer = get(api, "/v1/sites/laichau/export", **{"from": first, "to": last})
    assert status == 400 and "message" in answer, answer


def test_unknown_sites_export_nothing(api: Api) -> None:
    status, answer = get(api, "/v1/sites/nowhere/export", **{"from": DAY, "to": DAY})
    assert status == 404, answer


def reports(client: Any) -> list[dict[str, Any]]:
    return [item for item in table_dump(client) if item["pk"]["S"].startswith("REPORT#")]


def test_rebuild_restores_a_day_whose_report_items_were_lost(
    api: Api, streams: Streams, dynamodb: Any
) -> None:
    traffic(api, streams, "laichau")
    whole = reports(dynamodb)
    assert any(item["sk"]["S"] == f"{DAY}#/van-ban/1" for item in whole)
    # Pages lost (a batch given up on, say): three of the day's page items deleted.
    for item in whole:
        if item["pk"]["S"].startswith("REPORT#laichau#page#") and item["sk"]["S"] != f"{DAY}#":
            dynamodb.delete_item(
                TableName="CountersTable", Key={"pk": item["pk"], "sk": item["sk"]}
            )
    assert reports(dynamodb) != whole
    with time_machine.travel(NOON, tick=False):
        status, answer = api.call("POST", "/v1/sites/laichau/rebuild", {"date": DAY})
    assert status == 200, answer
    assert answer["hits"] == 5 and answer["date"] == DAY
    assert reports(dynamodb) == whole
    # Rebuilding again changes nothing.
    with time_machine.travel(NOON, tick=False):
        assert api.call("POST", "/v1/sites/laichau/rebuild", {"date": DAY})[0] == 200
    assert reports(dynamodb) == whole
