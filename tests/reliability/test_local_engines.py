"""The local run on other DynamoDB engines (AWS_ENDPOINT_URL_DYNAMODB): one whose table
has no stream gets one as the template declares; one without DynamoDB Streams still
counts, and says in one line at start-up what will not run and why.

The engines are moto's server behind a filter that answers as such an engine does:
DynamoDB Streams calls are unknown operations, and (for the strictest) a
StreamSpecification in CreateTable or UpdateTable is refused.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests

from local.cloudformation import tables
from local.moto_server import MotoServer, WsgiApp
from tests.conftest import REPO
from tests.reliability.conftest import ANSWER_SECONDS, Harness, _reset

CONSUMERS = ["DayAggregateFunction", "ReportAggregateFunction", "ArchiveFunction"]
FIGURES = ("today", "yesterday", "month", "year", "total", "online")


def _refusal(start_response: Callable[..., Any], kind: str, message: str) -> list[bytes]:
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
    return [
        json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message}
        ).encode()
    ]


def without_streams(*, refuse_specification: bool) -> Callable[[WsgiApp], WsgiApp]:
    """moto as an engine without DynamoDB Streams (and, if asked, refusing to create one)."""

    def middleware(app: WsgiApp) -> WsgiApp:
        def engine(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            target = environ.get("HTTP_X_AMZ_TARGET", "")
            if target.startswith("DynamoDBStreams_"):
                return _refusal(start_response, "UnknownOperationException", "no streams here")
            if refuse_specification and target.endswith((".CreateTable", ".UpdateTable")):
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                if "StreamSpecification" in json.loads(body):
                    return _refusal(
                        start_response, "ValidationException", "StreamSpecification not supported"
                    )
                environ["wsgi.input"] = io.BytesIO(body)
            return app(environ, start_response)

        return engine

    return middleware


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., MotoServer]]:
    """Starts an engine (moto's server, maybe behind a middleware) the local run is pointed at."""
    started: list[MotoServer] = []

    def start(middleware: Callable[[WsgiApp], WsgiApp] | None = None) -> MotoServer:
        server = MotoServer(middleware)
        started.append(server)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
        return server

    _reset()
    try:
        yield start
    finally:
        for server in started:
            server.stop()
        _reset()


def _post_hit(url: str, site: str, visitor: int, path: str = "/") -> dict[str, Any]:
    answer = requests.post(
        f"{url}/v1/sites/{site}/hits",
        json={"path": path},
        headers={
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
            "X-Forwarded-For": f"198.51.100.{visitor}",
        },
        timeout=ANSWER_SECONDS,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.parametrize(
    ("refuse_specification", "reason"),
    [
        (False, "no DynamoDB Streams at http://127.0.0.1:"),
        (True, "has no stream and UpdateTable could not add one"),
    ],
    ids=["streams-api-missing", "stream-specification-refused"],
)
def test_an_engine_without_streams_counts_and_says_once_what_will_not_run(
    engine: Callable[..., MotoServer],
    caplog: pytest.LogCaptureFixture,
    refuse_specification: bool,
    reason: str,
) -> None:
    engine(without_streams(refuse_specification=refuse_specification))
    from local.server import start_local_api

    with start_local_api(demo=False, quiet=True, trust_forwarded_for=True) as api:
        harness = Harness(api)
        assert api.streams is not None and api.streams.pollers == []
        assert len(api.notices) == 1 and "\n" not in api.notices[0]
        notice = api.notices[0]
        assert notice.startswith(
            "pages, breakdowns, high-traffic sites and the event archive will not run (their "
            "stream consumers DayAggregateFunction, ReportAggregateFunction, ArchiveFunction "
            "are off): "
        )
        assert reason in notice and notice.endswith("Hits and the five figures are counted.")
        if refuse_specification:  # says how to enable it
            assert (
                f"aws dynamodb update-table --endpoint-url {api.dynamodb_endpoint} "
                "--table-name CountersTable --stream-specification "
                "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES"
            ) in notice
        logged = [r.getMessage() for r in caplog.records if "will not run" in r.getMessage()]
        assert logged == [notice]

        harness.register("plain")
        answers = [_post_hit(api.url, "plain", v) for v in (1, 2, 1)]  # 2 visitors, 3 views
        assert [a["counted"] for a in answers] == [True, True, False]
        assert [a["today"] for a in answers] == [1, 2, 2]
        stats = requests.get(f"{api.url}/v1/sites/plain/stats", timeout=ANSWER_SECONDS).json()
        assert {k: stats[k] for k in FIGURES} == {
            "today": 2,
            "yesterday": 0,
            "month": 2,
            "year": 2,
            "total": 2,
            "online": 2,
        }
        api.drain_streams()  # nothing to drain, and nothing fails


def test_a_table_without_a_stream_gets_the_templates_and_its_consumers_run(
    engine: Callable[..., MotoServer],
) -> None:
    server = engine()
    client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1")
    (counters,) = tables()
    del counters["StreamSpecification"]
    client.create_table(**counters)  # as a user may have made it, on another engine
    assert "LatestStreamArn" not in client.describe_table(TableName="CountersTable")["Table"]
    from local.server import start_local_api

    with start_local_api(demo=False, quiet=True, trust_forwarded_for=True) as api:
        harness = Harness(api)
        table = client.describe_table(TableName="CountersTable")["Table"]
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        assert api.notices == []
        assert api.streams is not None
        assert [p.consumer.function for p in api.streams.pollers] == CONSUMERS
        # A high-traffic site counts only through the stream's consumers.
        harness.register("busy", mode="buffered")
        for visitor, path in ((1, "/a"), (2, "/a"), (3, "/b")):
            assert _post_hit(api.url, "busy", visitor, path)["buffered"]
        api.drain_streams()
        stats = requests.get(f"{api.url}/v1/sites/busy/stats", timeout=ANSWER_SECONDS).json()
        assert (stats["today"], stats["total"]) == (3, 3)
        pages = requests.get(f"{api.url}/v1/sites/busy/pages", timeout=ANSWER_SECONDS).json()
        assert {p["path"]: p["pageviews"] for p in pages["pages"]} == {"/a": 2, "/b": 1}


def test_a_stream_without_new_images_is_left_alone_and_said(
    engine: Callable[..., MotoServer],
) -> None:
    server = engine()
    client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1")
    (counters,) = tables()
    counters["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    client.create_table(**counters)  # the consumers' filters need NewImage
    from local.server import start_local_api

    with start_local_api(demo=False, quiet=True, trust_forwarded_for=True) as api:
        harness = Harness(api)
        assert api.streams is not None and api.streams.pollers == []
        (notice,) = api.notices
        assert "table CountersTable's stream is KEYS_ONLY, without new images; " in notice
        assert "disable it (StreamEnabled=false), then: aws dynamodb update-table " in notice
        table = client.describe_table(TableName="CountersTable")["Table"]
        assert table["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
        harness.register("plain")
        assert _post_hit(api.url, "plain", 1)["today"] == 1


class CommandLine:
    """``python -m local.server --port 0 --quiet``, as a user starts it: its banner, then
    stopped with Ctrl-C; ``out`` and ``err`` hold all it printed."""

    def __init__(self, endpoint: str | None, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}:{REPO}"}
        env.pop("LOCAL_STREAM_WINDOW", None)
        env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        if endpoint:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        command = [sys.executable, "-m", "local.server", "--port", "0", "--quiet", *args]
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.banner: list[str] = []
        self.out = self.err = ""

    def __enter__(self) -> CommandLine:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.banner.append(line)
            if "Ctrl-C to stop" in line:
                break
        return self

    @property
    def url(self) -> str:
        return self.banner[0].split(" running at ")[1].split("/ ")[0]

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGINT)
        self.out, self.err = self.process.communicate(timeout=ANSWER_SECONDS)


def test_the_command_line_on_an_engine_without_streams_prints_one_line_and_counts(
    engine: Callable[..., MotoServer],
) -> None:
    server = engine(without_streams(refuse_specification=False))
    with CommandLine(server.url) as run:
        # A first hit on a new table answers 1 for each period, whatever the day.
        first = _post_hit(run.url, "demo", 1)
        assert {k: first[k] for k in FIGURES} == {
            "today": 1,
            "yesterday": 0,
            "month": 1,
            "year": 1,
            "total": 1,
            "online": 1,
        }
    assert run.process.returncode == 0, run.err
    assert not any(line.lstrip().startswith("stream ") for line in run.banner)  # no consumers
    notices = [line for line in run.err.splitlines() if "will not run" in line]
    assert len(notices) == 1, run.err
    assert notices[0].startswith(
        "WARNING local.server: pages, breakdowns, high-traffic sites and the event archive "
        "will not run"
    )
    assert all(line.startswith("WARNING local.server: ") for line in run.err.splitlines())
    assert "Traceback" not in run.err + run.out


def test_the_command_line_batches_streams_for_1_s_as_make_run_does() -> None:
    """`python -m local.server` is `make run`: reports a second behind, not five minutes."""
    with CommandLine(None) as run:
        pass
    assert run.process.returncode == 0, run.err
    windows = [line.split() for line in run.banner if line.lstrip().startswith("stream ")]
    assert windows == [
        ["stream", "DayAggregateFunction,", "batching", "window", "1", "s"],
        ["stream", "ReportAggregateFunction,", "batching", "window", "1", "s"],
        ["stream", "ArchiveFunction,", "batching", "window", "1", "s"],
    ]


def test_the_stream_window_is_the_environments_or_the_templates_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from local.cli import _parser

    monkeypatch.delenv("LOCAL_STREAM_WINDOW", raising=False)
    assert _parser().parse_args([]).stream_window == 1.0
    assert _parser().parse_args(["--stream-window", "0.5"]).stream_window == 0.5
    assert _parser().parse_args(["--stream-window", "template"]).stream_window is None
    monkeypatch.setenv("LOCAL_STREAM_WINDOW", "30")
    assert _parser().parse_args([]).stream_window == 30.0
