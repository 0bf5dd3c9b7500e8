"""Shared fixtures: the environment the template gives the functions, and moto tables made from it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local.ast_guard import serialize_ast_parse
from local.buckets import create_buckets
from local.cloudformation import create_tables, load_template, routes, stream_consumers
from local.functions import import_handler
from local.lambda_env import InProcessApi, use_template_environment
from local.lambda_env import LambdaContext as LambdaContext  # the tests' context
from local.stream_records import matches
from local.streams import StreamPoller

# moto servers and the local API run threads that format tracebacks; see local/ast_guard.py.
serialize_ast_parse()

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "events"

# The functions' environment, exactly as the template sets it, with fake credentials.
use_template_environment()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow tests first: pytest-xdist hands out whole files in this order, so the
    longest start at once instead of running alone at the end (minutes off `make test`)."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        # The mixed-traffic model run is the longest by far (measured): it starts first.
        return (
            0 if item.path.name == "test_mixed_traffic.py" else int(item.path not in slow_files) + 1
        )

    items.sort(key=rank)  # stable: the order within a rank is kept


def reset_warm_state() -> None:
    """Forget what a warm function instance keeps (clients, cached settings)."""
    from counters.counting import service
    from counters.storage import archive_bucket

    service.default_service.cache_clear()
    archive_bucket.archive_bucket.cache_clear()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A moto DynamoDB whose tables are the template's (and its S3 buckets, the archive's)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client)
        create_buckets(boto3.client("s3", region_name="us-east-1"))
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


class Api(InProcessApi):
    """Calls the handlers with HTTP API (payload 2.0) events, as the local server builds them,
    from the User-Agent of the sample events (a desktop Chrome)."""

    user_agent = load_event("hit.json")["headers"]["user-agent"]


@pytest.fixture
def api(dynamodb: Any) -> Api:
    return Api()
