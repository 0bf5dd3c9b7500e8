"""The table's stream for the local run's consumers: found, enabled, or explained.

``AWS_ENDPOINT_URL_DYNAMODB`` may name any engine that speaks DynamoDB. The
template's aggregators read the table's stream; a table without one gets one as
the template declares it (UpdateTable), and where no stream can be had (an
engine without DynamoDB Streams, UpdateTable refused) :class:`NoStream` says
why and how to get one: the local run then counts without the aggregators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.cfn_template import resources
from local.cloudformation import StreamConsumer, stream_consumers
from local.streams import Handler, StreamPoller

# What the aggregators feed, for the one line that says what will not run.
NOT_RUNNING = "pages, breakdowns, high-traffic sites and the event archive"
# The consumers read NewImage (their filters match on it).
_USABLE_VIEWS = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")


class NoStream(Exception):
    """No usable stream on a table: the message says why, and how to get one."""


def notice(reason: NoStream, consumers: list[str]) -> str:
    """The start-up line: what will not run, and why (one line, whatever the engine said)."""
    line = (
        f"{NOT_RUNNING} will not run (their stream consumers {', '.join(consumers)} are off): "
        f"{reason}. Hits and the five figures are counted."
    )
    return " ".join(line.split())


def pollers(
    template: Mapping[str, Any],
    table_names: Mapping[str, str],
    clients: tuple[Any, Any],
    handler: Callable[[StreamConsumer], Handler],
    window: float | None,
) -> tuple[list[StreamPoller], list[str]]:
    """A poller for each of the template's stream consumers whose table has a stream to
    read, and a notice (see :func:`notice`) for each table that has none.

    ``clients`` are boto3's ``dynamodb`` and ``dynamodbstreams``; ``handler`` gives a
    consumer's handler; ``window`` (seconds) replaces the template's batching windows.
    """
    client, streams = clients
    consumers = stream_consumers(template)
    arns, notices = {}, []
    for table in dict.fromkeys(consumer.table for consumer in consumers):
        declared = resources(template, "AWS::DynamoDB::Table")[table].get("StreamSpecification")
        view_type = (declared or {}).get("StreamViewType", "NEW_AND_OLD_IMAGES")
        try:
            arns[table] = stream_arn(
                client, streams, table_names[table], view_type, client.meta.endpoint_url
            )
        except NoStream as reason:
            notices.append(notice(reason, [c.function for c in consumers if c.table == table]))
    found = [
        StreamPoller(consumer, handler(consumer), streams, arns[consumer.table], window=window)
        for consumer in consumers
        if consumer.table in arns
    ]
    return found, notices


def stream_arn(client: Any, streams: Any, table_name: str, view_type: str, endpoint: str) -> str:
    """The ARN of ``table_name``'s stream, enabled with ``view_type`` if the table has none;
    raises :class:`NoStream` if there is none to read with the ``streams`` client."""
    table = client.describe_table(TableName=table_name)["Table"]
    spec = table.get("StreamSpecification") or {}
    how = (
        f"aws dynamodb update-table --endpoint-url {endpoint} --table-name {table_name} "
        f"--stream-specification StreamEnabled=true,StreamViewType={view_type}"
    )
    if not spec.get("StreamEnabled"):
        table = _enable(client, table_name, view_type, how)
    elif spec.get("StreamViewType") not in _USABLE_VIEWS:
        raise NoStream(
            f"table {table_name}'s stream is {spec.get('StreamViewType')}, without new images; "
            f"disable it (StreamEnabled=false), then: {how}"
        )
    arn = table.get("LatestStreamArn")
    if not arn:
        raise NoStream(f"the engine enabled no stream on table {table_name}; try: {how}")
    try:  # an engine may keep stream ARNs in its tables and have no Streams API
        streams.describe_stream(StreamArn=arn, Limit=1)
    except (BotoCoreError, ClientError) as exc:
        raise NoStream(f"no DynamoDB Streams at {streams.meta.endpoint_url} ({exc})") from exc
    return str(arn)


def _enable(client: Any, table_name: str, view_type: str, how: str) -> dict[str, Any]:
    """Adds the template's stream to a table that has none; the table's description after."""
    try:
        client.update_table(
            TableName=table_name,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
        )
        waiter = client.get_waiter("table_exists")  # ACTIVE again
        waiter.wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    except (BotoCoreError, ClientError) as exc:
        raise NoStream(
            f"table {table_name} has no stream and UpdateTable could not add one ({exc}); "
            f"enable it with: {how}"
        ) from exc
    table: dict[str, Any] = client.describe_table(TableName=table_name)["Table"]
    return table
