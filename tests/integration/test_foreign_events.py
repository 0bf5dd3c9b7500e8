"""Events written elsewhere, not by our event builder: SAM CLI's own samples
(`sam local generate-event ...`, kept verbatim next to this file), as a hand-run
`sam local invoke` or a misconfigured stream filter would deliver them."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, LambdaContext, import_handler, table_dump

HERE = Path(__file__).parent
# `sam local generate-event dynamodb update`: another table's keys; INSERT, MODIFY, REMOVE;
# no shard, no window.
STREAM_SAMPLE = json.loads((HERE / "sam_dynamodb_update.json").read_text())
# `sam local generate-event apigateway http-api-proxy --path v1/sites/portal/hits
#  --body '{"path": "/tin-tuc/a"}'`: route key $default, a base64 body with no content type,
# no User-Agent header (only requestContext.http.userAgent), sourceIp "192.168.0.1/32".
HIT_SAMPLE = json.loads((HERE / "sam_http_api_hit.json").read_text())
HITS = "handlers.hits.lambda_handler"


@pytest.mark.parametrize(
    "handler", ["handlers.aggregate.days_handler", "handlers.aggregate.reports_handler"]
)
def test_foreign_stream_records_are_skipped_and_nothing_is_written(
    dynamodb: Any, handler: str
) -> None:
    before = table_dump(dynamodb)
    answer = import_handler(handler)(copy.deepcopy(STREAM_SAMPLE), LambdaContext())
    assert answer == {"batchItemFailures": []}
    assert table_dump(dynamodb) == before


def test_sam_sample_hit_without_user_agent_answers_figures_and_counts_nothing(api: Api) -> None:
    api.register("portal")
    answer = import_handler(HITS)(copy.deepcopy(HIT_SAMPLE), LambdaContext())
    assert answer["statusCode"] == 200, answer
    figures = json.loads(answer["body"])
    assert figures["counted"] is False
    assert figures["today"] == 0
    assert api.stats("portal")["today"] == 0


def test_sam_sample_hit_with_a_browser_user_agent_counts_once(api: Api) -> None:
    api.register("portal")
    event = copy.deepcopy(HIT_SAMPLE)
    event["headers"]["User-Agent"] = api.user_agent  # as API Gateway passes it: any case
    first = import_handler(HITS)(copy.deepcopy(event), LambdaContext())
    assert first["statusCode"] == 200, first
    assert json.loads(first["body"])["counted"] is True
    again = import_handler(HITS)(event, LambdaContext())
    assert json.loads(again["body"])["counted"] is False  # the same visitor, inside its visit
    assert api.stats("portal")["today"] == 1
    assert json.loads(base64.b64decode(HIT_SAMPLE["body"])) == {"path": "/tin-tuc/a"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain;charset=UTF-8", '{"path": "/tin-tuc/b"}'),  # the widget's, or a beacon's
        ("application/x-www-form-urlencoded", "path=%2Ftin-tuc%2Fb"),
        ("Application/JSON", '{"path": "/tin-tuc/b"}'),
    ],
)
def test_header_names_and_types_in_any_case_count(api: Api, content_type: str, body: str) -> None:
    # API Gateway lower-cases header names; SAM CLI's samples (and `sam local`) need not.
    api.register("portal")
    event = copy.deepcopy(HIT_SAMPLE)
    event["headers"].update({"User-Agent": api.user_agent, "Content-Type": content_type})
    event["body"] = base64.b64encode(body.encode()).decode()
    answer = import_handler(HITS)(event, LambdaContext())
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["counted"] is True
