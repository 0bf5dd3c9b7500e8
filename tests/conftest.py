"""Shared fixtures: the environment the template gives the functions, and moto tables made from it."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local.ast_guard import serialize_ast_parse
from local.cloudformation import create_tables, load_template, routes, stream_consumers
from local.streams import StreamPoller, matches

# moto servers and the local API run threads that format tracebacks; see local/ast_guard.py.
serialize_ast_parse()

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "events"

# The functions' environment, exactly as the template sets it (TABLE_NAME -> the table's logical id).
for _name, _value in routes()[0].environment.items():
    os.environ[_name] = _value
os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_DEV="false",
)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ.pop("AWS_PROFILE", None)


class LambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def reset_warm_state() -> None:
    """Forget what a warm function instance keeps (clients, cached settings)."""
    from counters import service

    service.default_service.cache_clear()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A moto DynamoDB whose tables are the template's."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client)
        reset_warm_state()
        yield client
        reset_warm_state()


def table_dump(client: Any) -> list[dict[str, Any]]:
    """Every item of the counters table, in key order."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": os.environ["TABLE_NAME"], "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def handler_for(event: dict[str, Any]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The handler the template gives this event: by routeKey, or the stream consumer whose
    filter takes every record (the narrowest, when several do)."""
    if event.get("routeKey") == "$default" and ".lambda-url." in str(
        event.get("requestContext", {}).get("domainName")
    ):  # a Function URL: the function its AWS::Lambda::Url targets
        handlers = function_url_handlers()
    elif "routeKey" in event:
        handlers = [r.handler for r in routes() if r.route_key == event["routeKey"]]
    else:
        takers = [
            consumer
            for consumer in stream_consumers()
            if all(
                any(matches(pattern, record) for pattern in consumer.filters)
                for record in event["Records"]
            )
        ]
        takers.sort(key=lambda consumer: -len(json.dumps(consumer.filters)))
        handlers = [consumer.handler for consumer in takers]
    if not handlers:
        raise LookupError("no function in the template takes this event")
    return import_handler(handlers[0])


def function_url_handlers() -> list[str]:
    resources = load_template()["Resources"]
    return [
        resources[url["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0]]["Properties"]["Handler"]
        for url in resources.values()
        if url["Type"] == "AWS::Lambda::Url"
    ]


def import_handler(handler: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    module, _, function = handler.rpartition(".")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def moto_streams_endpoint() -> Iterator[str]:
    """moto's server in this process, for DynamoDB Streams calls only.

    The in-process mock answers DescribeStream with 404 "Not yet implemented" (moto
    5.2.5); its server, sharing the same in-process state, answers it.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class Streams:
    """The template's stream consumers on the moto table, fed on demand (local.streams)."""

    def __init__(self, client: Any, endpoint: str) -> None:
        import boto3

        streams = boto3.client("dynamodbstreams", region_name="us-east-1", endpoint_url=endpoint)
        arn = client.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["LatestStreamArn"]
        self.pollers = {
            consumer.function: StreamPoller(
                consumer, import_handler(consumer.handler), streams, arn
            )
            for consumer in stream_consumers()
        }

    def drain(self) -> None:
        """Every record written so far, added by every consumer."""
        for poller in self.pollers.values():
            poller.drain()


@pytest.fixture
def streams(dynamodb: Any, moto_streams_endpoint: str) -> Streams:
    return Streams(dynamodb, moto_streams_endpoint)


class Api:
    """Calls the handlers with HTTP API (payload 2.0) events built from the sample events."""

    def __init__(self) -> None:
        self.template = load_event("hit.json")

    def event(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        source_ip: str = "203.0.113.7",
    ) -> dict[str, Any]:
        route = next(r for r in routes() if r.method == method and _matches(r.path, path))
        event = json.loads(json.dumps(self.template))
        event["routeKey"] = event["requestContext"]["routeKey"] = route.route_key
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["sourceIp"] = source_ip
        event["pathParameters"] = _path_parameters(route.path, path)
        event["headers"] = {
            "user-agent": event["headers"]["user-agent"],
            "content-type": "application/json",
            **{k.lower(): v for k, v in (headers or {}).items()},
        }
        event["requestContext"]["http"]["userAgent"] = event["headers"].get("user-agent", "")
        event.pop("body", None)
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        if query:
            event["queryStringParameters"] = query
            event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
        if route.iam_auth:
            event["requestContext"]["authorizer"] = load_event("put-site.json")["requestContext"][
                "authorizer"
            ]
        return event

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        event = self.event(method, path, body, **kwargs)
        answer = handler_for(event)(event, LambdaContext())
        text = answer.get("body") or ""
        is_json = "json" in (answer.get("headers") or {}).get("Content-Type", "")
        return answer["statusCode"], json.loads(text) if is_json and text else text

    def register(self, site: str, timezone: str = "Asia/Ho_Chi_Minh", **settings: Any) -> None:
        status, answer = self.call("PUT", f"/v1/sites/{site}", {"timezone": timezone, **settings})
        assert status == 200, answer

    def hit(self, site: str, **kwargs: Any) -> dict[str, Any]:
        status, answer = self.call("POST", f"/v1/sites/{site}/hits", **kwargs)
        assert status == 200, answer
        return answer  # type: ignore[no-any-return]

    def stats(self, site: str) -> dict[str, Any]:
        status, answer = self.call("GET", f"/v1/sites/{site}/stats")
        assert status == 200, answer
        return answer  # type: ignore[no-any-return]


def _matches(pattern: str, path: str) -> bool:
    a, b = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(a) == len(b) and all(p.startswith("{") or p == q for p, q in zip(a, b, strict=True))


def _path_parameters(pattern: str, path: str) -> dict[str, str]:
    return {
        p.strip("{}"): q
        for p, q in zip(pattern.strip("/").split("/"), path.strip("/").split("/"), strict=True)
        if p.startswith("{")
    }


@pytest.fixture
def api(dynamodb: Any) -> Api:
    return Api()
