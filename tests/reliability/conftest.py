"""The local HTTP API (local.server on moto's threaded server) with test hooks.

Handlers run in-process, in the server's request threads, so a test can steer
them per request: `X-Test-Clock` (epoch seconds) sets the counter's clock for
that request, and `X-Test-Id` names the request to storage hooks running in
the same thread (see test_faults).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from local.server import LocalApi, start_local_api
from tests.conftest import reset_warm_state, table_dump

# A fixed instant for requests without X-Test-Clock: real time could cross a
# local midnight mid-test and make exact figures flaky.
DEFAULT_INSTANT = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Asia/Ho_Chi_Minh


class RequestContext(threading.local):
    now: datetime | None = None
    request_id: str | None = None
    function: str | None = None  # the template function serving the request


class Harness:
    def __init__(self, api: LocalApi) -> None:
        from counters.counting.service import default_service

        self.api = api
        self.url = api.url
        self.context = RequestContext()
        self.counter = default_service()
        self.counter.clock = self._clock
        self.dynamodb = boto3.client(
            "dynamodb", endpoint_url=api.dynamodb_endpoint, region_name="us-east-1"
        )
        invoke = api.invoke

        def steered(route: Any, event: dict[str, Any]) -> Any:
            headers = event.get("headers") or {}
            clock = headers.get("x-test-clock")
            self.context.now = datetime.fromtimestamp(float(clock), UTC) if clock else None
            self.context.request_id = headers.get("x-test-id")
            self.context.function = route.function
            try:
                return invoke(route, event)
            finally:
                self.context.now = self.context.request_id = self.context.function = None

        api.invoke = steered  # type: ignore[method-assign]
        for poller in api.streams.pollers if api.streams else []:
            poller.handler = self._as_function(poller.consumer.function, poller.handler)

    def _as_function(self, function: str, handler: Any) -> Any:
        """A stream consumer's handler, recorded as its function's (like a route's)."""

        def consumer(event: dict[str, Any], context: Any) -> Any:
            self.context.function = function
            try:
                return handler(event, context)
            finally:
                self.context.function = None

        return consumer

    def _clock(self) -> datetime:
        return self.context.now or DEFAULT_INSTANT

    def dump(self) -> list[dict[str, Any]]:
        return table_dump(self.dynamodb)

    def register(self, site: str, timezone: str = "Asia/Ho_Chi_Minh", **settings: Any) -> None:
        import requests

        answer = requests.put(
            f"{self.url}/v1/sites/{site}", json={"timezone": timezone, **settings}, timeout=10
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def visitor_caps(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Sets new_visitors_per_address_minute and unchecked_visitors_per_address for one test."""
    from counters.settings import settings

    def set_caps(cap: int, unchecked: int) -> None:
        monkeypatch.setenv("NEW_VISITORS_PER_ADDRESS_MINUTE", str(cap))
        monkeypatch.setenv("UNCHECKED_VISITORS_PER_ADDRESS", str(unchecked))
        settings.cache_clear()

    yield set_caps
    monkeypatch.undo()
    settings.cache_clear()


def _reset() -> None:
    from handlers import hits

    reset_warm_state()
    hits._idempotency.cache_clear()


@pytest.fixture
def local_api() -> Iterator[Harness]:
    """A fresh local HTTP API and table; X-Forwarded-For sets the client IP."""
    _reset()
    api = start_local_api(demo=False, trust_forwarded_for=True, quiet=True)
    try:
        assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == api.dynamodb_endpoint
        yield Harness(api)
    finally:
        api.stop()
        _reset()


# The local API answers a request in milliseconds, even with 16 clients at once on a
# busy 2-core machine; a request without an answer in this long is a failure (a hung
# or runaway handler), never a slow pass.
ANSWER_SECONDS = 10
