"""A hit body sent form-encoded, as `navigator.sendBeacon(url, new URLSearchParams(...))`
sends it (a CORS-simple content type, so no preflight): counted with its path, referrer
and utm tags, like the JSON body; what JSON would refuse is refused the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine

from tests.conftest import Api, Streams

NOW = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)
FORM = {"content-type": "application/x-www-form-urlencoded;charset=UTF-8"}


def form_hit(api: Api, fields: list[tuple[str, str]], ip: str = "203.0.113.5") -> tuple[int, Any]:
    with time_machine.travel(NOW, tick=False):
        return api.call(
            "POST", "/v1/sites/beacon/hits", urlencode(fields), headers=FORM, source_ip=ip
        )


def report(api: Api, route: str, **query: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/beacon/{route}",
            query={"from": "2025-06-15", "to": "2025-06-15", **query},
        )
    assert status == 200, answer
    return answer


def test_a_form_encoded_hit_counts_with_its_path_referrer_and_campaign(
    api: Api, streams: Streams
) -> None:
    api.register("beacon", "UTC")
    status, answer = form_hit(
        api,
        [
            ("path", "/tin-tuc/a"),
            ("referrer", "https://zalo.me/"),
            ("utm_source", "zalo"),
            ("utm_medium", "social"),
            ("utm_campaign", "tet"),
        ],
    )
    assert status == 200, answer
    assert answer["counted"] is True and answer["today"] == 1
    streams.drain()
    pages = report(api, "pages", limit="10")["pages"]
    assert [(page["path"], page["pageviews"]) for page in pages] == [("/tin-tuc/a", 1)]
    campaigns = report(api, "breakdown", dimension="campaign")["rows"]
    assert [row["value"] for row in campaigns] == ["zalo / social / tet"]


@pytest.mark.parametrize(
    "fields",
    [
        [("path", "/a"), ("path", "/b")],  # a repeated key: which page was it?
        [("path", "/a"), ("title", "Trang chủ")],  # a key JSON would refuse too
        [("utm_term", "x")],
        [("path", "x" * 2049)],
    ],
)
def test_what_json_would_refuse_is_refused_and_nothing_counted(
    api: Api, fields: list[tuple[str, str]]
) -> None:
    api.register("beacon", "UTC")
    status, answer = form_hit(api, fields)
    assert status == 422, answer
    assert answer["message"].startswith("invalid request")
    with time_machine.travel(NOW, tick=False):
        assert api.stats("beacon")["today"] == 0
