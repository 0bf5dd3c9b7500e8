"""`python -m bench` (make bench): every figure of bench/README.md, measured in one run.

PYTHONPATH=src:. python -m bench [--hits 300] [--iterations 1500] [--import-runs 9]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import platform
import sys
import warnings

from bench import (
    breakdown_accuracy,
    cpu,
    hostile,
    imports,
    lag,
    log_bytes,
    reads,
    request_counts,
    segments,
)
from bench.cost import (
    HitCosts,
    archive_lines,
    cost_per_million,
    logs_lines,
    price_lines,
)
from local.lambda_env import use_template_environment

HOT_KEY_LIMIT = 1000  # writes/s one partition (one item) takes


def main() -> None:
    # The functions' environment, as the template sets it (and moto, never AWS).
    use_template_environment()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hits", type=int, default=300)
    parser.add_argument("--iterations", type=int, default=1500)
    parser.add_argument("--import-runs", type=int, default=9)
    parser.add_argument("--hostile-rounds", type=int, default=100)
    parser.add_argument("--hot-hits", type=int, default=2000)
    parser.add_argument("--lag-seconds", type=float, default=8.0)
    parser.add_argument("--read-days", type=int, default=92, help="days of /pages (at most 92)")
    parser.add_argument("--read-pages", type=int, default=300, help="pages a day (cap: 2,000)")
    parser.add_argument("--read-values", type=int, default=40, help="campaigns a day, a year")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")  # Powertools: "No application metrics to publish"
    out: list[str] = [
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        "",
    ]
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):  # the functions' EMF metric lines
        calls = request_counts.measure(args.hits, args.hot_hits)
        timing = cpu.measure(args.iterations)
        delay = lag.measure(args.lag_seconds)
        logs = log_bytes.measure()
        read_lines = reads.measure(args.read_days, args.read_pages, args.read_values)

    out.append(
        f"DynamoDB requests, write units and reads per operation ({args.hits} each, moto, "
        "steady state; distinct real User-Agents, addresses, paths, referrers)"
    )
    for name, c in calls.per_operation.items():
        out.append(f"  {name:40} {c.requests:5.2f} req {c.wru:5.2f} WRU   {c.what}")
    out.append("  the aggregation path, per hit it took (fed the stream's real records):")
    for name, c in calls.aggregators.items():
        out.append(f"  {name:40} {c.requests:5.2f} req {c.wru:5.2f} WRU   {c.what}")
    out.append("  once, not in the figures above:")
    for name, (n, what) in calls.once.items():
        out.append(f"  {name:45} {n:>3}   {what}")
    sizes = {"day item with its note": calls.day_item_bytes, **calls.item_bytes}
    for name, size in sizes.items():
        units = -(-size // 1024)  # a write costs 1 WRU per KB (rounded up) of the larger image
        out.append(f"  {name}: {size} bytes ({units} WRU a write)")
    out.append("")
    out.extend(read_lines)
    out.append("")

    out.append(
        f"writes on the hottest single key ({calls.hot_hits} high-traffic hits, batches of 1,000)"
    )
    for mode, per_hit in calls.hot_writes_per_hit.items():
        out.append(
            f"  {mode:22} {per_hit:.4f} writes/hit -> {per_hit * 10000:7.1f} writes/s at 10,000"
            f" hits/s (SPEC: <= 0.01/hit; an item takes ~{HOT_KEY_LIMIT}/s)"
        )
    out.append(f"  hottest keys: {calls.hot_key}")
    out.append("")

    out.append(
        f"high-traffic figures' lag on the local run ({delay.hits} hits at 40/s, day aggregator"
        f" window {delay.window_s:g} s): p50 {delay.p50_s:.2f} s, p99 {delay.p99_s:.2f} s,"
        f" max {delay.max_s:.2f} s (SPEC: <= 5 s)"
    )
    out.append("")

    out.append(
        f"handler CPU per warm hit, storage stubbed (median of {timing.iterations}, interleaved;"
        f" {timing.user_agents} distinct real User-Agents from fake-useragent)"
    )
    out.append(f"  ours, a new User-Agent (cache miss)  {timing.miss_cpu_ms:.3f} ms CPU")
    out.append(f"  ours, the same User-Agent (cache hit) {timing.hit_cpu_ms:.3f} ms CPU")
    out.append(f"  bare, the same two requests          {timing.bare_cpu_ms:.3f} ms CPU")
    out.append(
        f"  the stack alone (Powertools resolver, validation, CORS, Logger, Metrics; same"
        f" requests, no logic of ours) {timing.stack_cpu_ms:.3f} ms CPU,"
        f" {timing.stack_ratio:.2f}x bare"
    )
    out.append(
        f"  ours against the stack alone: {timing.miss_cpu_ms / timing.stack_cpu_ms:.2f}x on a"
        f" miss, {timing.hit_cpu_ms / timing.stack_cpu_ms:.2f}x on a hit (SPEC: within 1.75x);"
        f" against bare {timing.ratio:.2f}x, {timing.hit_ratio:.2f}x"
    )
    out.append("")

    with contextlib.redirect_stdout(quiet):
        hostile_lines = hostile.report(args.hostile_rounds)
    out.extend(hostile_lines)
    out.append("")

    out.extend(imports.report(args.import_runs))
    out.append("")

    out.extend(breakdown_accuracy.report())
    out.append("")

    out.extend(price_lines())
    out.extend(logs_lines(logs))
    costs = cost_per_million(calls, timing, logs)
    out.append(
        "cost per million counted hits, all in (SPEC: high-traffic <= $2.0 HTTP API, <= $1.2 "
        "Function URL; direct <= $2.6, <= $1.6; a small portal's has no budget of its own)"
    )
    for mode, breakdown in costs.items():
        out.append(f"  {mode:28} ${breakdown.total:.2f}  " + breakdown.describe())
    out.extend(archive_lines())
    out.append("")
    with contextlib.redirect_stdout(quiet):
        segment_lines = segments.report()
    out.extend(segment_lines)
    print("\n".join(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

__all__ = ["HitCosts", "main"]
