"""Storage faults injected at the DynamoDB clients: answers stay 200 or JSON 503, figures exact.

Every DynamoDB call of the hit path passes a botocore `before-send` hook that,
for a seeded random 12% of calls, fails it in one of these ways:

| fault              | reaches DynamoDB? | what the client sees                      |
|--------------------|-------------------|-------------------------------------------|
| throttled          | no                | 400 ProvisionedThroughputExceededException|
| throttling         | no                | 400 ThrottlingException                   |
| internal error     | no                | 500 InternalServerError                   |
| connect timeout    | no                | ConnectTimeoutError                       |
| read timeout       | no                | ReadTimeoutError (outcome unknown to it)  |
| lost response      | yes, applied      | ReadTimeoutError after the write landed   |

The hook sends the other calls itself and, since handlers run in the request's
thread, records per request (X-Test-Id) which writes DynamoDB applied. A page
view ADD that landed twice for one request is a double count; a visitor with
counted hits but no landed visit is a lost visit.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from tests.reliability.conftest import ANSWER_SECONDS, DEFAULT_INSTANT, Harness

FAULT_RATE = 0.12
FAULTS = ["throttled", "throttling", "internal", "connect-timeout", "read-timeout", "lost-response"]
HITS = 800
VISITORS = 160
THREADS = 16


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _error(url: str, status: int, code: str) -> AWSResponse:
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code})
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
    return AWSResponse(url, status, headers, _Raw(body.encode()))


@dataclass
class Request:
    day_adds: list[tuple[int, int]] = field(default_factory=list)  # landed (page views, visits)
    visitor_landed: bool = False
    unseen: bool = False  # a landed undo of the visitor write
    faults: list[str] = field(default_factory=list)


@dataclass
class Injector:
    harness: Harness
    seed: int = 6
    enabled: bool = False
    injected: Counter[str] = field(default_factory=Counter)
    requests: dict[str, Request] = field(default_factory=lambda: defaultdict(Request))

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.lock = threading.Lock()
        storage = self.harness.counter.storage
        for client in (storage.client,):
            client.meta.events.register("before-send.dynamodb", self._hook(client))

    def _hook(self, client: Any) -> Any:
        def before_send(request: Any, **_: Any) -> AWSResponse:
            target = request.headers.get("X-Amz-Target", b"")
            operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
            with self.lock:
                fault = (
                    self.random.choice(FAULTS)
                    if self.enabled and self.random.random() < FAULT_RATE
                    else None
                )
                if fault:
                    self.injected[fault] += 1
                    if self.harness.context.request_id is not None:
                        self.requests[self.harness.context.request_id].faults.append(
                            f"{operation}:{fault}"
                        )
            if fault == "throttled":
                return _error(request.url, 400, "ProvisionedThroughputExceededException")
            if fault == "throttling":
                return _error(request.url, 400, "ThrottlingException")
            if fault == "internal":
                return _error(request.url, 500, "InternalServerError")
            if fault == "connect-timeout":
                raise ConnectTimeoutError(endpoint_url=request.url)
            if fault == "read-timeout":
                raise ReadTimeoutError(endpoint_url=request.url)
            response: AWSResponse = client._endpoint.http_session.send(request)
            if response.status_code == 200:
                self._record(operation, json.loads(request.body or b"{}"))
            if fault == "lost-response":
                raise ReadTimeoutError(endpoint_url=request.url)
            return response

        return before_send

    def _record(self, operation: str, body: dict[str, Any]) -> None:
        request_id = self.harness.context.request_id
        if request_id is None:
            return
        sk = body.get("Key", {}).get("sk", {}).get("S", "")
        expression = body.get("UpdateExpression", "")
        values = body.get("ExpressionAttributeValues", {})
        with self.lock:
            record = self.requests[request_id]
            if operation == "UpdateItem" and sk.startswith("DAY#") and " ADD " in f" {expression}":
                adds = dict(re.findall(r"\b([vp]) (:v\d+)", expression.split("ADD", 1)[1]))
                amount = {m: int(values[adds[m]]["N"]) if m in adds else 0 for m in "pv"}
                record.day_adds.append((amount["p"], amount["v"]))
            elif body.get("Key", {}).get("pk", {}).get("S", "").startswith("VISITOR#"):
                if operation == "UpdateItem" and "SET prev" in expression:
                    record.visitor_landed = True
                else:
                    record.unseen = True


def hit(harness: Harness, i: int) -> tuple[int, dict[str, Any], str]:
    v = i % VISITORS
    headers = {
        "X-Forwarded-For": f"198.51.100.{v % 200}" if v < 200 else f"2001:db8:{v}::7",
        "User-Agent": f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{120 + v}.0",
        # Clock time: 2 s between hits, all inside one visit of every visitor.
        "X-Test-Clock": repr((DEFAULT_INSTANT + timedelta(seconds=i / 10)).timestamp()),
        "X-Test-Id": str(i),
    }
    answer = requests.post(
        f"{harness.url}/v1/sites/faulty/hits", headers=headers, timeout=ANSWER_SECONDS
    )
    return answer.status_code, answer.json(), answer.headers.get("Content-Type", "")


@pytest.mark.slow
def test_injected_storage_faults_never_lose_or_double_count(local_api: Harness) -> None:
    local_api.register("faulty", count="pageviews")
    injector = Injector(local_api)
    injector.enabled = True
    with ThreadPoolExecutor(THREADS) as pool:
        answers = dict(enumerate(pool.map(lambda i: hit(local_api, i), range(HITS))))
    injector.enabled = False

    # Every answer is a 200, or a 503 with a JSON message: never a 500.
    statuses = Counter(status for status, _, _ in answers.values())
    assert set(statuses) <= {200, 503}, statuses
    for status, body, content_type in answers.values():
        assert content_type.startswith("application/json")
        if status == 503:
            assert "storage" in body["message"]

    # Page views: a 200's ADD landed exactly once. A 503's landed at most once, and only
    # if a write's answer was lost after it landed: no other fault reaches DynamoDB.
    landed = {i: injector.requests[str(i)] for i in answers}
    for i, (status, _, _) in answers.items():
        pageviews = sum(p for p, _ in landed[i].day_adds)
        lost = any(fault.endswith(":lost-response") for fault in landed[i].faults)
        assert (pageviews == 1) if status == 200 else (pageviews <= int(lost)), (
            i,
            status,
            landed[i],
        )
    answered_counted = sum(status == 200 for status, _, _ in answers.values())
    # 503s whose ADD had landed: the one ambiguity left, counted once, never twice.
    ambiguous = sum(
        status == 503 and bool(landed[i].day_adds) for i, (status, _, _) in answers.items()
    )

    after = {"X-Test-Clock": repr((DEFAULT_INSTANT + timedelta(minutes=5)).timestamp())}
    stats = requests.get(f"{local_api.url}/v1/sites/faulty/stats", headers=after, timeout=10).json()
    assert stats["today"] == stats["total"] == answered_counted + ambiguous

    # Visits: every visitor with a counted hit has exactly one landed visit, unless one of
    # its failed requests marked it seen and then could not say whether it counted.
    visits = Counter()
    excused = set()
    counted_visitors = set()
    for i, (status, _, _) in answers.items():
        visits[i % VISITORS] += sum(v for _, v in landed[i].day_adds)
        if status == 200:
            counted_visitors.add(i % VISITORS)
        elif landed[i].visitor_landed and not landed[i].day_adds and not landed[i].unseen:
            excused.add(i % VISITORS)
    doubled = [v for v, n in visits.items() if n > 1]
    assert not doubled, [
        (i, answers[i][0], landed[i]) for i in answers if i % VISITORS in doubled[:1]
    ]
    missing = {v for v in counted_visitors if visits[v] == 0}
    assert missing <= excused, (missing - excused, injector.injected)
    local_api.register("faulty", count="visits")
    shown = requests.get(f"{local_api.url}/v1/sites/faulty/stats", headers=after, timeout=10).json()
    assert shown["total"] == sum(visits.values())

    assert sum(injector.injected.values()) > HITS * 0.15  # faults did happen, of every kind
    assert set(injector.injected) == set(FAULTS)
    print(
        f"{HITS} hits, {THREADS} threads, faults {dict(injector.injected)}: answers "
        f"{dict(statuses)}, {ambiguous} ambiguous 503s counted once, "
        f"{len(missing)} visits lost of {len(counted_visitors)}"
    )
