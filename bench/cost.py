"""Cost per million hits at AWS list prices, from the measured request counts and CPU.

PRICES are us-east-1 list prices (USD), as published on the pages cited below
in 2025 (DynamoDB on-demand after its 2024-11-01 price cut); they were not
fetched by this run: re-check them before quoting. Free tiers are ignored.

What is measured and what is assumed:
- requests per hit and the day item's size: measured (bench.request_counts);
- Lambda duration: the measured handler CPU per warm hit (bench.cpu, on this
  machine's full core) stretched to the CPU share of the template's memory
  (Lambda gives 1 vCPU at 1,769 MB), plus an ASSUMED round trip per request
  (ROUND_TRIP_MS), billed per started millisecond.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_AS_OF = "2025 (us-east-1 list prices; not fetched by this run)"
PRICES: dict[str, tuple[float, str, str]] = {
    # name: (USD, per what, source)
    "http_api_request": (
        1.00 / 1e6,
        "HTTP API request (first 300 M a month)",
        "https://aws.amazon.com/api-gateway/pricing/",
    ),
    "lambda_request": (0.20 / 1e6, "Lambda request", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_arm64_gb_second": (
        0.0000133334,
        "Lambda arm64 GB-second (first 7.5 B a month)",
        "https://aws.amazon.com/lambda/pricing/",
    ),
    "dynamodb_wru": (
        0.625 / 1e6,
        "DynamoDB on-demand write request unit (1 KB; 2 in a transaction)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    "dynamodb_rru": (
        0.125 / 1e6,
        "DynamoDB on-demand read request unit (4 KB strongly, 8 KB eventually consistent)",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    ),
    "sqs_request": (
        0.40 / 1e6,
        "SQS standard request (64 KB chunk)",
        "https://aws.amazon.com/sqs/pricing/",
    ),
}
ROUND_TRIP_MS = {"dynamodb": 4.0, "sqs": 6.0}  # ASSUMED in-region p50 per request
FULL_VCPU_MB = 1769
# SQS to Lambda: the poller receives up to 10 messages a request and deletes 10 a request.
SQS_POLL_REQUESTS_PER_MESSAGE = 0.2
AGGREGATOR_MS_PER_TRANSACTION = 10.0  # ASSUMED: one round trip of a 100-item transaction
AGGREGATOR_BATCH = 1000  # the template's BatchSize


def price(name: str) -> float:
    return PRICES[name][0]


def template_memory_mb() -> int:
    text = (Path(__file__).resolve().parent.parent / "template.yaml").read_text()
    found = re.search(r"^\s+MemorySize:\s*(\d+)", text, re.MULTILINE)
    return int(found.group(1)) if found else 128


def price_lines() -> list[str]:
    lines = [f"price table, {PRICES_AS_OF}"]
    for usd, what, source in PRICES.values():
        per_million = usd * 1e6
        lines.append(f"  {what:84} ${per_million:8.4f} per million  {source}")
    lines.append(
        f"  assumed round trips: {ROUND_TRIP_MS} ms; Lambda CPU share at "
        f"{template_memory_mb()} MB = {template_memory_mb() / FULL_VCPU_MB:.2f} vCPU"
    )
    return lines


@dataclass
class HitCosts:
    parts: dict[str, float]  # USD per million hits
    duration_ms: int

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def describe(self) -> str:
        parts = ", ".join(f"{name} ${usd:.3f}" for name, usd in self.parts.items())
        return f"(hit function billed {self.duration_ms} ms: {parts})"


def _billed_ms(cpu_ms: float, dynamodb_requests: float, sqs_requests: float) -> int:
    stretch = FULL_VCPU_MB / template_memory_mb()
    waits = dynamodb_requests * ROUND_TRIP_MS["dynamodb"] + sqs_requests * ROUND_TRIP_MS["sqs"]
    return math.ceil(cpu_ms * stretch + waits)


def _lambda(ms: float) -> float:
    gb = template_memory_mb() / 1024
    return 1e6 * (price("lambda_request") + gb * ms / 1000 * price("lambda_arm64_gb_second"))


def cost_per_million(calls: Any, timing: Any) -> dict[str, HitCosts]:
    """USD per million counted hits, direct and buffered."""
    wru_day = math.ceil(calls.day_item_bytes / 1024)
    direct_requests = calls.per_operation["counted hit (direct)"][0]
    direct_ms = _billed_ms(timing.ours_cpu_ms, direct_requests, 0)
    direct = HitCosts(
        parts={
            "HTTP API": 1e6 * price("http_api_request"),
            "Lambda": _lambda(direct_ms),
            # the visitor item (< 1 KB) and the day item: one write each
            "DynamoDB": 1e6 * (1 + wru_day) * price("dynamodb_wru"),
        },
        duration_ms=direct_ms,
    )
    buffered_requests = calls.per_operation["counted hit (buffered)"][0]
    # One SendMessage per hit; the rest are DynamoDB (the visitor, and the cached figures read).
    buffered_ms = _billed_ms(timing.ours_cpu_ms, buffered_requests - 1, 1)
    reads_per_hit = buffered_requests - 2  # the figures' Query, once per few seconds
    per_transaction = 99
    aggregator_ms_per_hit = AGGREGATOR_MS_PER_TRANSACTION / per_transaction
    buffered = HitCosts(
        parts={
            "HTTP API": 1e6 * price("http_api_request"),
            "Lambda": _lambda(buffered_ms),
            "SQS": 1e6 * (1 + SQS_POLL_REQUESTS_PER_MESSAGE) * price("sqs_request"),
            # visitor 1 WRU; in the aggregator's transaction each hit marker 2 WRU and the
            # day item 2 WRU per 99 hits; the figures' Query 0.5 RRU now and then
            "DynamoDB": 1e6
            * (
                (1 + 2 + 2 * wru_day / per_transaction) * price("dynamodb_wru")
                + 0.5 * reads_per_hit * price("dynamodb_rru")
            ),
            # one invocation per batch of AGGREGATOR_BATCH hits, billed per transaction
            "aggregator Lambda": 1e6 / AGGREGATOR_BATCH * price("lambda_request")
            + 1e6
            * template_memory_mb()
            / 1024
            * aggregator_ms_per_hit
            / 1000
            * price("lambda_arm64_gb_second"),
        },
        duration_ms=buffered_ms,
    )
    return {"direct": direct, "buffered": buffered}
