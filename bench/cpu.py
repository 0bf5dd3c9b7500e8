"""The hit handler's own CPU per warm hit, against a bare handler making the same calls.

Both run in this process on the same real botocore DynamoDB client with a
botocore Stubber answering canned responses, so both pay the same client-side
cost of the three UpdateItem calls (visitor, day counter, page) (parameter validation, serialisation, event
hooks) and neither waits on a network. What differs is our work: routing,
validation, CORS, counting logic, pydantic answers, logging and metrics.
Runs are interleaved (ours, bare, ours, bare, ...) and the figure is the median.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@dataclass(frozen=True)
class CpuFigures:
    ours_cpu_ms: float
    bare_cpu_ms: float
    ours_wall_ms: float
    bare_wall_ms: float
    iterations: int

    @property
    def ratio(self) -> float:
        return self.ours_cpu_ms / self.bare_cpu_ms


def _day_item(site: str, day: str, n: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": f"SITE#{site}"}, "sk": {"S": f"DAY#{day}"}}
    for prefix in ("v", "p"):
        item[prefix] = {"N": str(n)}
        for base in ("yesterday", "month", "year", "total"):
            item[f"{prefix}_{base}"] = {"N": "1000"}
    return item


def measure(iterations: int = 1500) -> CpuFigures:
    from botocore.stub import Stubber

    from counters.models import Site
    from counters.service import default_service
    from handlers.hits import lambda_handler
    from local.lambda_env import LambdaContext, api_event

    counter = default_service()
    client = counter.storage.client
    site = "portal"
    now = datetime.now(UTC)
    day = now.date().isoformat()
    # Warm state: the site's settings and the day's salt are cached, as after the first hit.
    counter._sites[site] = (float("inf"), Site(id=site, timezone="UTC"))
    counter._salts[now.date()] = b"s" * 32
    _, event = api_event(
        "POST", f"/v1/sites/{site}/hits", {"path": "/a"}, headers={"user-agent": FIREFOX}
    )
    context = LambdaContext()

    # The bare handler sends exactly the requests a hit sends (recorded from one hit),
    # so both pay the same SDK cost for them and the difference is our own work.
    requests: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        requests.append(copy.deepcopy(params))

    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", record)
    recorder = Stubber(client)
    with recorder, contextlib.redirect_stdout(io.StringIO()):
        recorder.add_response("update_item", {"Attributes": {"seen": {"N": f"{now.timestamp()}"}}})
        recorder.add_response("update_item", {"Attributes": _day_item(site, day, 0)})
        recorder.add_response("update_item", {})
        assert lambda_handler(event, context)["statusCode"] == 200
    client.meta.events.unregister("provide-client-params.dynamodb.UpdateItem", record)
    visitor_request, day_request, page_request = requests

    def bare(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        # The least a handler can do: read the request, make the same three calls, answer.
        body = json.loads(event.get("body") or "{}")
        site_id = event["pathParameters"]["site"]
        seen = client.update_item(**visitor_request)
        answer = client.update_item(**day_request)["Attributes"]
        client.update_item(**page_request)
        figures = {name: int(value["N"]) for name, value in answer.items() if "N" in value}
        return {
            "statusCode": 200,
            "body": json.dumps(
                {"site": site_id, "path": body.get("path"), "seen": bool(seen), **figures}
            ),
        }

    stubber = Stubber(client)

    def stub(n: int) -> None:
        stubber.add_response("update_item", {"Attributes": {"seen": {"N": f"{now.timestamp()}"}}})
        stubber.add_response("update_item", {"Attributes": _day_item(site, day, n)})
        stubber.add_response("update_item", {})  # the page's count

    ours_cpu: list[float] = []
    bare_cpu: list[float] = []
    ours_wall: list[float] = []
    bare_wall: list[float] = []
    sink = io.StringIO()
    with stubber, contextlib.redirect_stdout(sink):
        for n in range(iterations):
            for handler, cpu, wall in (
                (lambda_handler, ours_cpu, ours_wall),
                (bare, bare_cpu, bare_wall),
            ):
                stub(n)
                c0, w0 = time.process_time_ns(), time.perf_counter_ns()
                answer = handler(event, context)
                cpu.append((time.process_time_ns() - c0) / 1e6)
                wall.append((time.perf_counter_ns() - w0) / 1e6)
                assert answer["statusCode"] == 200, answer
            sink.seek(0)
            sink.truncate()
        stubber.assert_no_pending_responses()
    return CpuFigures(
        ours_cpu_ms=statistics.median(ours_cpu[50:]),  # the first calls warm caches
        bare_cpu_ms=statistics.median(bare_cpu[50:]),
        ours_wall_ms=statistics.median(ours_wall[50:]),
        bare_wall_ms=statistics.median(bare_wall[50:]),
        iterations=iterations,
    )
