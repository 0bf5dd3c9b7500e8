"""The hit handler's own CPU per warm hit, against a bare handler making the same calls.

Both run in this process on the same real botocore DynamoDB client with a
botocore Stubber answering canned responses, so both pay the same client-side
cost of a counted hit's two UpdateItem calls (visitor, day item with its note)
and neither waits on a network. What differs is our work: routing, validation,
CORS, bot detection, User-Agent, referrer and country categories, counting
logic, answers, logging and metrics.

Ours runs over a corpus of distinct real browser User-Agents (fake-useragent's
data, a maintained package), each once with the parsers' per-UA caches cleared
(a new visitor: cache miss), and over one repeated User-Agent (a visitor's next
pages: cache hit). Runs are interleaved with the bare handler; figures are medians.

"the stack alone" is the least a handler built as the guide asks can do: a
Powertools HTTP resolver with validation (the same body, path and answer
models) and CORS, Logger context and one EMF metric, making the same two calls
and answering figures: no counting logic of ours. It shows how much of the
ratio the stack takes before any of our work.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.hostile import real_user_agents


@dataclass(frozen=True)
class CpuFigures:
    miss_cpu_ms: float  # ours, a distinct User-Agent each hit
    hit_cpu_ms: float  # ours, the same User-Agent again
    bare_cpu_ms: float
    stack_cpu_ms: float  # Powertools resolver, validation, Logger and Metrics: the same calls
    iterations: int
    user_agents: int

    @property
    def ratio(self) -> float:
        return self.miss_cpu_ms / self.bare_cpu_ms

    @property
    def stack_ratio(self) -> float:
        return self.stack_cpu_ms / self.bare_cpu_ms

    @property
    def hit_ratio(self) -> float:
        return self.hit_cpu_ms / self.bare_cpu_ms

    @property
    def ours_cpu_ms(self) -> float:  # what a hit costs on average (cost model): the miss
        return self.miss_cpu_ms


def _day_item(site: str, day: str, n: int) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": f"SITE#{site}"}, "sk": {"S": f"DAY#{day}"}}
    for prefix in ("v", "p"):
        item[prefix] = {"N": str(n)}
        for base in ("yesterday", "month", "year", "total"):
            item[f"{prefix}_{base}"] = {"N": "1000"}
    return item


def _clear_per_agent_caches(keep: str) -> None:
    """Forget every User-Agent but `keep` (the repeated visitor's, which stays a cache hit)."""
    from counters.reports import useragents

    for function in vars(useragents).values():
        if hasattr(function, "cache_info") and function.cache_info().maxsize:
            function.cache_clear()  # the per-UA LRU caches; not the compiled patterns
    useragents.is_bot(keep)
    useragents.describe(keep)


def measure(iterations: int = 1500) -> CpuFigures:
    from botocore.stub import Stubber

    from counters.counting.service import default_service
    from counters.models import Site
    from handlers.hits import lambda_handler
    from local.lambda_env import LambdaContext, api_event

    service = default_service()
    client = service.storage.client
    site = "portal"
    now = datetime.now(UTC)
    day = now.date().isoformat()
    # Warm state: the site's settings and the day's salt are cached, as after the first hit.
    service._sites[site] = (float("inf"), Site(id=site, timezone="UTC"))
    service.salts._salts[now.date()] = b"s" * 32
    agents = real_user_agents()
    body = {"path": "/tin-tuc/a", "referrer": "https://www.google.com/search?q=x"}

    def event_for(agent: str) -> dict[str, Any]:
        headers = {"user-agent": agent, "accept-language": "vi-VN,vi;q=0.9"}
        return api_event("POST", f"/v1/sites/{site}/hits", body, headers=headers)[1]

    context = LambdaContext()

    def stub(stubber: Stubber, n: int) -> None:
        # A repeat hit in a visit begun two minutes ago (engagement reads its start and pages).
        t = now.timestamp()
        visitor = {"seen": t - 60, "prev": t - 120, "vs": t - 120}
        old = {name: {"N": f"{value:.3f}"} for name, value in visitor.items()}
        old.update(ve={"S": "/"}, lp={"S": "/tin-tuc/b"})
        stubber.add_response("update_item", {"Attributes": old})
        stubber.add_response("update_item", {"Attributes": _day_item(site, day, n)})

    # The bare handler sends exactly the requests a hit sends (recorded from one hit),
    # so both pay the same SDK cost for them and the difference is our own work.
    requests: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        requests.append(copy.deepcopy(params))

    client.meta.events.register("provide-client-params.dynamodb.UpdateItem", record)
    recorder = Stubber(client)
    with recorder, contextlib.redirect_stdout(io.StringIO()):
        stub(recorder, 0)
        assert lambda_handler(event_for(agents[0]), context)["statusCode"] == 200
    client.meta.events.unregister("provide-client-params.dynamodb.UpdateItem", record)
    visitor_request, day_request = requests

    def bare(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        # The least a handler can do: read the request, make the same two calls, answer.
        body = json.loads(event.get("body") or "{}")
        site_id = event["pathParameters"]["site"]
        seen = client.update_item(**visitor_request)
        answer = client.update_item(**day_request)["Attributes"]
        figures = {name: int(value["N"]) for name, value in answer.items() if "N" in value}
        return {
            "statusCode": 200,
            "body": json.dumps(
                {"site": site_id, "path": body.get("path"), "seen": bool(seen), **figures}
            ),
        }

    stack = stack_alone(client, visitor_request, day_request)
    stubber = Stubber(client)
    miss, hit, bare_cpu, stack_cpu = [], [], [], []
    repeated = event_for(agents[0])
    sink = io.StringIO()

    def timed(
        handler: Callable[..., Any], event: dict[str, Any], into: list[float], n: int
    ) -> None:
        stub(stubber, n)
        c0 = time.process_time_ns()
        answer = handler(event, context)
        into.append((time.process_time_ns() - c0) / 1e6)
        assert answer["statusCode"] == 200, answer

    with stubber, contextlib.redirect_stdout(sink):
        for n in range(iterations):
            _clear_per_agent_caches(keep=agents[0])
            timed(lambda_handler, event_for(agents[n % len(agents)]), miss, n)
            timed(bare, repeated, bare_cpu, n)
            timed(lambda_handler, repeated, hit, n)
            timed(stack, repeated, stack_cpu, n)
            sink.seek(0)
            sink.truncate()
        stubber.assert_no_pending_responses()
    return CpuFigures(
        miss_cpu_ms=statistics.median(miss[50:]),  # the first calls warm the patterns
        hit_cpu_ms=statistics.median(hit[50:]),
        bare_cpu_ms=statistics.median(bare_cpu[50:]),
        stack_cpu_ms=statistics.median(stack_cpu[50:]),
        iterations=iterations,
        user_agents=len(agents),
    )


def stack_alone(
    client: Any, visitor_request: dict[str, Any], day_request: dict[str, Any]
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A handler on the stack the hit function is built on, with none of our logic."""
    from typing import Annotated

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig
    from aws_lambda_powertools.event_handler.openapi.params import Body

    from counters.models import HitBody, HitStats
    from handlers.common import SiteIdPath

    app = APIGatewayHttpResolver(enable_validation=True, cors=CORSConfig())
    logger = Logger(service="stack-alone")
    metrics = Metrics(namespace="StackAlone")

    def hit(site: str, body: Any = None) -> Any:
        seen = client.update_item(**visitor_request)
        figures = client.update_item(**day_request)["Attributes"]
        metrics.add_metric(name="CountedHits", unit="Count", value=1)
        return HitStats.model_construct(
            site=site,
            timezone="UTC",
            date=datetime.now(UTC).date(),
            today=int(figures["v"]["N"]),
            yesterday=int(figures["v_yesterday"]["N"]),
            month=int(figures["v_month"]["N"]),
            year=int(figures["v_year"]["N"]),
            total=int(figures["v_total"]["N"]),
            online=0,
            counted=bool(seen),
        )

    # This module's annotations are strings; the resolver reads the real ones from these.
    hit.__annotations__ = {
        "site": SiteIdPath,
        "body": Annotated[HitBody | None, Body()],
        "return": HitStats,
    }
    app.post("/v1/sites/<site>/hits")(hit)

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return app.resolve(event, context)

    return handler
