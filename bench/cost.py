"""Cost per million hits at AWS list prices, from the measured request counts and CPU.

PRICES are us-east-1 list prices (USD), as published on the pages cited below
in 2025 (DynamoDB on-demand after its 2024-11-01 price cut); they were not
fetched by this run: re-check them before quoting. Free tiers are ignored.

What is measured and what is assumed:
- requests per hit and the day item's size: measured (bench.request_counts);
- CloudWatch Logs: the bytes the hit handler prints per hit (measured,
  bench.log_bytes: the EMF metrics line) plus Lambda's START/END/REPORT lines
  (their documented shape: assumed), and an aggregator invocation's lines per batch;
- X-Ray: a trace per invocation when the template's TracingMode default is Active
  (PassThrough records none); `tracing_line` prices turning it on;
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

from bench.log_bytes import LogBytes
from bench.request_counts import SMALL_PORTAL_HITS_A_SECOND, small_portal_batch

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
    "logs_ingested_byte": (
        0.50 / 1e9,
        "CloudWatch Logs ingestion (standard class), $0.50 a GB: per million bytes",
        "https://aws.amazon.com/cloudwatch/pricing/",
    ),
    "s3_put": (
        5.00 / 1e6,
        "S3 Standard PUT request ($0.005 per 1,000)",
        "https://aws.amazon.com/s3/pricing/",
    ),
    "s3_mb_month": (
        0.023 / 1000,
        "S3 Standard storage, MB-month ($0.023 a GB-month, first 50 TB)",
        "https://aws.amazon.com/s3/pricing/",
    ),
    "xray_trace": (
        5.00 / 1e6,
        "X-Ray trace recorded (past the free 100,000 a month)",
        "https://aws.amazon.com/xray/pricing/",
    ),
}
ROUND_TRIP_MS = {"dynamodb": 4.0}  # ASSUMED in-region p50 per request
FULL_VCPU_MB = 1769


def price(name: str) -> float:
    return PRICES[name][0]


def template_memory_mb() -> int:
    text = (Path(__file__).resolve().parent.parent / "template.yaml").read_text()
    found = re.search(r"^\s+MemorySize:\s*(\d+)", text, re.MULTILINE)
    return int(found.group(1)) if found else 128


def template_traces() -> bool:
    """Whether the template's default records a trace per invocation."""
    from local.cfn_template import load_template, parameter_defaults

    return parameter_defaults(load_template()).get("TracingMode", "Active") == "Active"


def hit_system_logs() -> bool:
    """Whether the hit function sends Lambda's START/END/REPORT lines (INFO system logs)."""
    from local.cfn_template import load_template

    function = load_template()["Resources"]["HitFunction"]["Properties"]
    return function.get("LoggingConfig", {}).get("SystemLogLevel", "INFO") != "WARN"


def price_lines() -> list[str]:
    lines = [f"price table, {PRICES_AS_OF}"]
    for usd, what, source in PRICES.values():
        per_million = usd * 1e6
        lines.append(f"  {what:84} ${per_million:8.4f} per million  {source}")
    lines.append(
        f"  assumed round trips: {ROUND_TRIP_MS} ms; {PAGES_PER_VISIT} pages a visit, "
        f"{RETURNING_SHARE:.0%} of visits a "
        f"visitor's later visit of the day (its second page view: one more write); "
        f"DynamoDB Streams reads by Lambda: free; Lambda CPU share at "
        f"{template_memory_mb()} MB = {template_memory_mb() / FULL_VCPU_MB:.2f} vCPU"
    )
    return lines


@dataclass
class HitCosts:
    parts: dict[str, float]  # USD per million hits
    duration_ms: int
    wru: float = 0.0  # write units per counted hit, all in

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def describe(self) -> str:
        parts = ", ".join(f"{name} ${usd:.3f}" for name, usd in self.parts.items())
        return f"({self.wru:.2f} WRU a hit; hit function billed {self.duration_ms} ms: {parts})"


def _billed_ms(cpu_ms: float, dynamodb_requests: float) -> int:
    stretch = FULL_VCPU_MB / template_memory_mb()
    return math.ceil(cpu_ms * stretch + dynamodb_requests * ROUND_TRIP_MS["dynamodb"])


def _lambda(ms: float) -> float:
    gb = template_memory_mb() / 1024
    return 1e6 * (price("lambda_request") + gb * ms / 1000 * price("lambda_arm64_gb_second"))


# The traffic the per-hit figures are mixed for: a visit reads this many pages (the
# first a new visit, the others repeats inside it). Portals' visits read 2-4 pages.
PAGES_PER_VISIT = 3
# ASSUMED: a quarter of visits are a visitor's later visit of the same day (news portals
# are read several times a day); such a visit's second page view stores the visit's start
# (one more write, docs/counting.md "Engagement"), in either mode.
RETURNING_SHARE = 0.25
AGGREGATOR_BATCH = 1000  # records per aggregator invocation (the template's BatchSize)


# (row, the hits' label, the aggregators' label, hits per aggregator invocation)
SCENARIOS = (
    ("direct", "direct", "(direct)", AGGREGATOR_BATCH),
    ("high-traffic", "high-traffic", "(high-traffic)", AGGREGATOR_BATCH),
    # ~10,800 page views a day: a report batch (the template's window) holds few hits.
    ("direct, small portal", "direct", "(small portal, direct)", small_portal_batch()),
)


def cost_per_million(calls: Any, timing: Any, logs: LogBytes) -> dict[str, HitCosts]:
    """USD per million counted hits, by mode and by front door, all in.

    A counted hit's DynamoDB: its own writes (mixed for PAGES_PER_VISIT), its share of
    the aggregators' writes and reads (measured on the same hits), and the occasional
    read of the figures (high-traffic). Lambda: the hit function's billed duration
    (measured CPU stretched to the memory's CPU share, plus a round trip per request),
    and one aggregator invocation per batch. Logs: what a hit writes (`logs`) and an
    aggregator invocation's platform lines per batch; X-Ray: a trace per invocation
    when the template traces by default.
    """
    costs: dict[str, HitCosts] = {}
    restart = _restart_write(calls)
    for mode, label, aggregator_label, batch in SCENARIOS:
        new = calls.per_operation[f"counted hit, new visit ({label})"]
        repeat = calls.per_operation[f"repeat hit in the visit ({label})"]
        mix = 1 / PAGES_PER_VISIT

        def mixed(attr: str, new: Any = new, repeat: Any = repeat, mix: float = mix) -> float:
            average = mix * getattr(new, attr) + (1 - mix) * getattr(repeat, attr)
            return float(average + mix * RETURNING_SHARE * restart[attr])

        aggregated = [c for name, c in calls.aggregators.items() if name.endswith(aggregator_label)]
        wru = mixed("wru") + sum(c.wru for c in aggregated)
        rru = 0.5 * (mixed("reads") + sum(c.reads for c in aggregated))
        duration = _billed_ms(timing.ours_cpu_ms, mixed("requests"))
        invocations = len(aggregated) / batch
        traced = template_traces()
        platform = logs.platform_traced if traced else logs.platform
        hit_platform = platform if hit_system_logs() else 0
        log_bytes = logs.printed + hit_platform + invocations * platform
        traces = (1 + invocations) if traced else 0.0
        for door, door_price in (("HTTP API", price("http_api_request")), ("Function URL", 0.0)):
            costs[f"{mode}, {door}"] = HitCosts(
                parts={
                    door: 1e6 * door_price,
                    "Lambda": _lambda(duration),
                    "DynamoDB": 1e6 * (wru * price("dynamodb_wru") + rru * price("dynamodb_rru")),
                    "aggregators": 1e6 * invocations * price("lambda_request"),
                    "Logs": 1e6 * log_bytes * price("logs_ingested_byte"),
                    "X-Ray": 1e6 * traces * price("xray_trace"),
                },
                duration_ms=duration,
                wru=wru,
            )
    return costs


def _restart_write(calls: Any) -> dict[str, float]:
    """What a returning visit's second hit costs more than a repeat hit (measured, direct;
    the same write in high-traffic mode)."""
    second = calls.per_operation["returning visit, 2nd hit (direct)"]
    repeat = calls.per_operation["repeat hit in the visit (direct)"]
    return {
        attr: getattr(second, attr) - getattr(repeat, attr) for attr in ("requests", "wru", "reads")
    }


def logs_lines(logs: LogBytes) -> list[str]:
    """What a hit logs and what tracing would add, for the report."""
    per_million = 1e6 * price("logs_ingested_byte")
    xray = 1e6 * price("xray_trace")
    hit_platform = logs.platform if hit_system_logs() else 0
    per_hit = logs.printed + hit_platform
    return [
        f"CloudWatch Logs per hit: {logs.printed:.0f} bytes printed by the hit handler "
        f"(measured) + {hit_platform} of Lambda's START/END/REPORT (assumed shape; 0 when "
        f"the template sends the hit function's system logs at WARN) = {per_hit:.0f} bytes, "
        f"${per_hit * per_million:.3f} per million hits",
        f"  the handler's lines: {logs.sample[:160]}",
        f"  TracingMode=Active (default {'on' if template_traces() else 'off'}): "
        f"+${xray:.2f} per million hits (a trace each) and "
        f"+{logs.platform_traced - logs.platform} bytes of REPORT a hit",
    ]


# -- The event archive (docs/archive.md): S3 PUTs, a year of storage, its function -------

ARCHIVE_BUDGET = 0.05  # SPEC: USD per million hits, requests and a year of storage
ARCHIVE_RECORD_BYTES = 1500  # ASSUMED: one stream record (both images) in Lambda's event
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # a batch stops there, whatever its BatchSize
ROUND_TRIP_MS["s3_put"] = 30.0  # ASSUMED in-region p50 of a small PUT


def archive_mapping() -> tuple[int, float, float]:
    """The archive mapping's BatchSize, batching window and tumbling window (template.yaml)."""
    from local.cfn_template import load_template

    events = load_template()["Resources"]["ArchiveFunction"]["Properties"]["Events"]
    (event,) = events.values()
    props = event["Properties"]
    return (
        int(props["BatchSize"]),
        float(props["MaximumBatchingWindowInSeconds"]),
        float(props["TumblingWindowInSeconds"]),
    )


def archive_batch(hits_a_second: float | None) -> int:
    """Hits in one archive batch: the rate times the window, at most what a batch holds."""
    size, window, _ = archive_mapping()
    most = min(size, LAMBDA_PAYLOAD_BYTES // ARCHIVE_RECORD_BYTES)
    return most if hits_a_second is None else max(1, min(most, round(hits_a_second * window)))


@dataclass(frozen=True)
class ArchiveTraffic:
    """How one shard's hits reach the archive at a rate (one site, for a start)."""

    batch: int  # hits an invocation brings (a batching window's, or a full batch)
    per_object: int  # hits an object holds: a tumbling window's, or what the state holds
    invocations: float  # per million hits: one per batch, and each window's final one
    objects: float  # per million hits (one PUT each, in a writing invocation)


def archive_traffic(hits_a_second: float | None, held_bytes_per_hit: float) -> ArchiveTraffic:
    """A window's hits make one object, unless the state cannot hold them (then a batch, or
    what the state held, makes one); full batches (no rate) bring more than the state holds."""
    from counters.archive.window import STATE_LIMIT

    _, _, tumbling = archive_mapping()
    batch = archive_batch(hits_a_second)
    holds = int(STATE_LIMIT // held_bytes_per_hit)
    window = math.inf if hits_a_second is None else hits_a_second * tumbling
    per_object = int(min(window, max(holds, batch)))
    finals = 1e6 / window  # 0 at full batches: a final invocation per window is lost in them
    return ArchiveTraffic(batch, per_object, 1e6 / batch + finals, 1e6 / per_object)


def archive_cost(traffic: ArchiveTraffic, obj: Any, hold: Any) -> dict[str, float]:
    """USD per million hits: a PUT per object; each hit's bytes stored for 12 months; the
    function's requests, each billed the measured CPU of holding a batch (`hold`), and the
    writing ones that of reading the window's notes, the writer's CPU (`obj`) and a PUT's
    round trip."""
    stretch = FULL_VCPU_MB / template_memory_mb()
    # USD per invocation (`_lambda` prices a million)
    holding = _lambda(math.ceil(hold.cpu_ms * stretch)) / 1e6
    # A writing invocation: a window's final one (its notes decoded), or a full batch's.
    writing_ms = (max(hold.cpu_ms, hold.final_cpu_ms) + obj.cpu_ms) * stretch
    writing_ms += ROUND_TRIP_MS["s3_put"]
    writing = _lambda(math.ceil(writing_ms)) / 1e6
    holds_only = max(0.0, traffic.invocations - traffic.objects)
    return {
        "S3 PUTs": traffic.objects * price("s3_put"),
        "a year of storage": 1e6 * obj.bytes_per_hit / 1e6 * 12 * price("s3_mb_month"),
        "archive function": holds_only * holding + traffic.objects * writing,
    }


def archive_held(hits_a_second: float | None) -> tuple[int, int]:
    """A window's last batch: the hits held before it, and its own (a full batch: none
    held, as full batches write at once)."""
    _, batching, tumbling = archive_mapping()
    batch = archive_batch(hits_a_second)
    if hits_a_second is None:
        return 0, batch
    return round(hits_a_second * (tumbling - batching)), batch


# A small portal, and the rates the report tries for the lowest one within the budget.
ARCHIVE_RATES = (SMALL_PORTAL_HITS_A_SECOND, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0)


def archive_line(label: str, rate: float | None) -> tuple[float, str]:
    """The archive's cost per million hits at a rate (None: full batches), and its line."""
    from bench import archive_bytes

    holding = archive_bytes.measure_holding(*archive_held(rate))
    traffic = archive_traffic(rate, holding.bytes_per_hit)
    measured = archive_bytes.measure((traffic.per_object,))[traffic.per_object]
    parts = archive_cost(traffic, measured, holding)
    total = sum(parts.values())
    verdict = "within" if total <= ARCHIVE_BUDGET else f"OVER by {total / ARCHIVE_BUDGET:.2f}x"
    detail = ", ".join(f"{name} ${usd:.4f}" for name, usd in parts.items())
    return total, (
        f"  {label:32} ${total:.4f} ({verdict} budget; {traffic.per_object} hits an object: "
        f"{traffic.objects:,.0f} objects and {traffic.invocations:,.0f} invocations of "
        f"{traffic.batch} hits or none; {measured.bytes_per_hit:.1f} B a hit, writer "
        f"{measured.cpu_ms:.1f} ms CPU an object, holding {holding.cpu_ms:.1f} ms CPU an "
        f"invocation, a final one {holding.final_cpu_ms:.1f} ms: {detail})"
    )


def archive_lines() -> list[str]:
    """The archive's cost at the reference traffic (full batches), for a small portal, and
    the lowest rate tried that is within the budget. Objects (one per tumbling window,
    unless the state fills first) and invocations (one per batch and one per window)
    are counted apart."""
    from counters.archive.window import STATE_LIMIT

    _, batching, tumbling = archive_mapping()
    lines = [
        f"event archive per million hits (SPEC: <= ${ARCHIVE_BUDGET}; measured: Parquet bytes, "
        f"the writer's CPU, the window state's bytes and CPU; assumed {ARCHIVE_RECORD_BYTES} B "
        f"a stream record, {ROUND_TRIP_MS['s3_put']:.0f} ms a PUT; batches of {batching:.0f} s, "
        f"windows of {tumbling:.0f} s, a state of {STATE_LIMIT // 1000} KB at most)"
    ]
    lines.append(archive_line("reference traffic (full batches)", None)[1])
    small = SMALL_PORTAL_HITS_A_SECOND
    lines.append(archive_line(f"small portal ({small} hits/s)", small)[1])
    floor = archive_traffic(small, 1.0)  # one object a window: the state never fills
    puts, requests = floor.objects * price("s3_put"), floor.invocations * price("lambda_request")
    lines.append(
        f"  {'small portal: its floor':32} ${puts + requests:.4f} (a PUT a window ${puts:.4f} "
        f"and Lambda's request charge a batch and a window ${requests:.4f}: no storage, no "
        f"duration; neither is lower on a stream mapping, whose windows are 900 s at most)"
    )
    for rate in ARCHIVE_RATES[1:]:
        total, line = archive_line(f"lowest rate within: {rate} hits/s", rate)
        if total <= ARCHIVE_BUDGET:
            lines.append(line)
            break
    else:
        lines.append(f"  no rate up to {ARCHIVE_RATES[-1]} hits/s is within the budget")
    return lines
