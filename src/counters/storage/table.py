"""One DynamoDB table and the retry policy of every request sent to it.

The client must not retry by itself (total_max_attempts=1): ADDs to counters are
not idempotent, and a re-send after a lost response would count a hit twice.
`Table.send` re-sends an ADD only after errors that prove nothing was written
(throttling, no connection); every other request is idempotent and retried on
any transient error, with full jitter like the SDK's standard mode. One client,
not two: a second costs ~25 ms of cold start.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, cast

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

Item = dict[str, Any]


class OutcomeUnknownError(Exception):
    """An ADD failed in a way that leaves unknown whether DynamoDB applied it.

    Such a write is never re-sent (ADD is not idempotent): the hit may have been
    counted once, never twice. Answered like any storage failure (503).
    """


# Errors that DynamoDB answers before writing anything: safe to re-send an ADD.
NOT_WRITTEN_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# ...and failures to reach DynamoDB at all.
NOT_SENT_ERRORS = (ConnectTimeoutError, EndpointConnectionError)
# Server errors: worth another try, but a write may have been applied before them.
TRANSIENT_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
Verdict = Literal["answer", "resend", "unknown"]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _verdict(exc: ClientError | BotoCoreError, adds: bool) -> Verdict:
    """What a failed request means: an answer to raise, worth re-sending, or an unknown outcome."""
    if isinstance(exc, NOT_SENT_ERRORS):
        return "resend"
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in NOT_WRITTEN_CODES:
            return "resend"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code not in TRANSIENT_CODES and status < 500:
            return "answer"  # not a failure: a refused condition, a bad request
    # A server error, a read timeout, a dropped connection: the response may be all that
    # was lost, so an ADD may have been applied.
    return "unknown" if adds else "resend"


def n(value: int) -> dict[str, str]:
    """A DynamoDB number attribute."""
    return {"N": str(value)}


def int_of(item: Item, name: str) -> int:
    attr = item.get(name)
    return int(attr["N"]) if attr else 0


def refused_item(refused: ClientError) -> Item:
    """The item a refused conditional write answered, {} if none (or absent)."""
    return cast(Item, cast(dict[str, Any], refused.response).get("Item") or {})


class Table:
    def __init__(self, client: DynamoDBClient, name: str, attempts: int = 4) -> None:
        self.client = client
        self.name = name
        self.attempts = attempts

    def send(self, operation: str, *, adds: bool = False, **request: Any) -> Any:
        """One request; `adds` marks a non-idempotent ADD (see the module docstring)."""
        call = getattr(self.client, operation)
        for attempt in range(1, self.attempts + 1):
            try:
                return call(**request)
            except (ClientError, BotoCoreError) as exc:
                verdict = _verdict(exc, adds)
                if verdict == "unknown":
                    reason = error_code(exc) if isinstance(exc, ClientError) else exc
                    raise OutcomeUnknownError(f"counter write failed: {reason}") from exc
                if verdict == "answer" or attempt == self.attempts:
                    raise
            # Full jitter, as the SDK's standard mode: 25 ms, 50 ms, 100 ms caps.
            time.sleep(random.uniform(0, 0.025 * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")

    def refused_item(self, refused: ClientError, key: Item) -> Item:
        """The item a conditional write was refused by, when its condition passes on an
        absent item (so the item exists).

        DynamoDB returns it with the refusal (ReturnValuesOnConditionCheckFailure);
        engines that ignore that option answer without it, and it is read instead.
        Callers decide on attributes that only ever grow (stream marks, `sealed_by`,
        value tallies), so an item read a moment later tells them the same.
        """
        response = cast(dict[str, Any], refused.response)
        if "Item" in response:
            return cast(Item, response["Item"])
        answer = self.send("get_item", TableName=self.name, Key=key, ConsistentRead=True)
        return cast(Item, answer.get("Item") or {})

    def query_all(self, **kwargs: Any) -> Iterator[Item]:
        """Every item of a Query, page after page."""
        while True:
            answer = self.send("query", TableName=self.name, **kwargs)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def get_many(self, keys: list[Item], *, consistent: bool = True) -> list[Item]:
        """The items of these keys that exist: BatchGetItem, 100 keys a request."""
        found: list[Item] = []
        for start in range(0, len(keys), 100):
            pending: Any = {
                self.name: {"Keys": keys[start : start + 100], "ConsistentRead": consistent}
            }
            for attempt in range(1, self.attempts + 2):
                answer = self.send("batch_get_item", RequestItems=pending)
                found += answer.get("Responses", {}).get(self.name, [])
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
                if attempt > self.attempts:
                    raise RuntimeError("DynamoDB left keys unprocessed; try again")
                time.sleep(random.uniform(0, 0.025 * 2 ** (attempt - 1)))
        return found
