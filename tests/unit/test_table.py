"""Table.send's retry policy: what is re-sent, what is raised, and after how many tries."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from counters.storage import table as table_module
from counters.storage.table import OutcomeUnknownError, Table


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "UpdateItem",
    )


class FakeClient:
    """Answers `update_item` with the next outcome: an exception is raised, anything else returned."""

    def __init__(self, outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls: list[dict[str, Any]] = []

    def update_item(self, **request: Any) -> Any:
        self.calls.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(table_module.time, "sleep", slept.append)
    return slept


def send(outcomes: list[Any], *, adds: bool) -> tuple[FakeClient, Any]:
    client = FakeClient(outcomes)
    return client, Table(client, "t", attempts=3).send("update_item", adds=adds, Key={"k": 1})


THROTTLED = client_error("ThrottlingException", 400)
SERVER_ERROR = client_error("InternalServerError", 500)
UNNAMED_5XX = client_error("SomethingNew", 503)
REFUSED = client_error("ConditionalCheckFailedException", 400)


def not_sent() -> list[Exception]:
    return [ConnectTimeoutError(endpoint_url="u"), EndpointConnectionError(endpoint_url="u")]


def read_timeout() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="u")


@pytest.mark.parametrize("adds", [False, True])
def test_an_answer_is_returned_and_the_request_passed_through(
    adds: bool, sleeps: list[float]
) -> None:
    client, answer = send([{"ok": 1}], adds=adds)
    assert answer == {"ok": 1} and client.calls == [{"Key": {"k": 1}}] and sleeps == []


@pytest.mark.parametrize("adds", [False, True])
@pytest.mark.parametrize(
    "first_failures",
    [[THROTTLED], [THROTTLED, client_error("RequestLimitExceeded", 400)], not_sent()],
)
def test_errors_that_prove_nothing_was_written_are_re_sent_even_for_adds(
    adds: bool, first_failures: list[Exception], sleeps: list[float]
) -> None:
    client, answer = send([*first_failures, {"ok": 1}], adds=adds)
    assert answer == {"ok": 1} and len(client.calls) == len(first_failures) + 1
    # Full jitter under caps of 25 ms, then 50 ms.
    assert len(sleeps) == len(first_failures)
    assert all(0 <= s <= 0.025 * 2**i for i, s in enumerate(sleeps))


@pytest.mark.parametrize("adds", [False, True])
@pytest.mark.parametrize(
    "failure",
    [THROTTLED, ConnectTimeoutError(endpoint_url="u"), EndpointConnectionError(endpoint_url="u")],
)
def test_the_last_attempt_raises_the_error_itself(
    adds: bool, failure: Exception, sleeps: list[float]
) -> None:
    with pytest.raises(type(failure)) as exc:
        send([failure] * 3, adds=adds)
    assert exc.value is failure and len(sleeps) == 2


@pytest.mark.parametrize("adds", [False, True])
def test_a_refusal_is_an_answer_and_never_re_sent(adds: bool, sleeps: list[float]) -> None:
    with pytest.raises(ClientError) as exc:
        send([REFUSED, {"ok": 1}], adds=adds)
    assert exc.value is REFUSED and sleeps == []


@pytest.mark.parametrize("failure", [SERVER_ERROR, UNNAMED_5XX])
def test_a_server_error_is_retried_for_idempotent_requests(
    failure: ClientError, sleeps: list[float]
) -> None:
    client, answer = send([failure, {"ok": 1}], adds=False)
    assert answer == {"ok": 1} and len(client.calls) == 2
    with pytest.raises(ClientError) as exc:
        send([failure] * 3, adds=False)
    assert exc.value is failure


@pytest.mark.parametrize(
    ("failure", "code"), [(SERVER_ERROR, "InternalServerError"), (UNNAMED_5XX, "SomethingNew")]
)
def test_a_server_error_on_an_add_leaves_the_outcome_unknown(
    failure: ClientError, code: str, sleeps: list[float]
) -> None:
    with pytest.raises(OutcomeUnknownError) as exc:
        send([failure, {"ok": 1}], adds=True)
    assert str(exc.value) == f"counter write failed: {code}"
    assert exc.value.__cause__ is failure and sleeps == []


def test_a_lost_response_is_retried_for_idempotent_requests_only(sleeps: list[float]) -> None:
    client, answer = send([read_timeout(), {"ok": 1}], adds=False)
    assert answer == {"ok": 1} and len(client.calls) == 2
    timeouts = [read_timeout() for _ in range(3)]
    with pytest.raises(ReadTimeoutError) as exc:
        send(list(timeouts), adds=False)
    assert exc.value is timeouts[-1]
    lost = read_timeout()
    with pytest.raises(OutcomeUnknownError) as unknown:
        send([lost, {"ok": 1}], adds=True)
    assert str(unknown.value) == f"counter write failed: {lost}"
    assert str(unknown.value) == 'counter write failed: Read timeout on endpoint URL: "u"'
    assert unknown.value.__cause__ is lost


class ReadingClient(FakeClient):
    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__([])
        self.item = item

    def get_item(self, **request: Any) -> Any:
        self.calls.append(request)
        return {"Item": self.item} if self.item is not None else {}


KEY = {"pk": {"S": "SITE#a"}, "sk": {"S": "DAY#2025-06-14"}}
SEALED = {**KEY, "sealed_by": {"S": "2025-06-15"}}


def test_a_refusal_that_carries_its_item_is_answered_without_a_request() -> None:
    client = ReadingClient(None)
    refused = client_error("ConditionalCheckFailedException", 400)
    refused.response["Item"] = SEALED  # type: ignore[typeddict-unknown-key]
    assert Table(client, "t").refused_item(refused, KEY) == SEALED
    assert client.calls == []


@pytest.mark.parametrize("stored", [SEALED, None])
def test_a_refusal_without_its_item_reads_it_consistently(stored: dict[str, Any] | None) -> None:
    # Engines that ignore ReturnValuesOnConditionCheckFailure answer without the item.
    client = ReadingClient(stored)
    refused = client_error("ConditionalCheckFailedException", 400)
    assert Table(client, "t").refused_item(refused, KEY) == (stored or {})
    assert client.calls == [{"TableName": "t", "Key": KEY, "ConsistentRead": True}]
