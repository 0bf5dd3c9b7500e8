"""`python -m bench` (make bench): every figure of bench/README.md, measured in one run.

PYTHONPATH=src:. python -m bench [--hits 300] [--iterations 1500] [--import-runs 9]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import math
import os
import platform
import sys
import warnings

from bench import breakdown_accuracy, cpu, hostile, imports, request_counts
from bench.cost import HitCosts, cost_per_million, price_lines
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
        calls = request_counts.measure(args.hits)
        timing = cpu.measure(args.iterations)

    out.append(f"DynamoDB/SQS requests per operation ({args.hits} each, moto, steady state)")
    for name, (per_op, what) in calls.per_operation.items():
        figure = "n/a" if math.isnan(per_op) else f"{per_op:.2f}"
        out.append(f"  {name:36} {figure:>5}   {what}")
    out.append("  once, not in the figures above:")
    for name, (n, what) in calls.once.items():
        out.append(f"  {name:45} {n:>3}   {what}")
    out.append(
        f"  aggregator: 1 batch of {calls.buffered_batch_hits} hits -> "
        f"{calls.aggregator_requests_per_batch:.0f} requests, "
        f"{calls.aggregator_transactions_per_hit:.4f} transactions per hit "
        "(each: the day's ADD + up to 99 hit markers)"
    )
    out.append("")

    out.append("writes on the hottest single key")
    for mode in ("direct", "buffered"):
        per_hit = calls.hot_writes_per_hit[mode]
        out.append(
            f"  {mode:8} {per_hit:.4f} writes/hit -> {per_hit * 1000:7.1f} writes/s"
            f" per 1,000 hits/s; {per_hit * 10000:7.1f} at 10,000 hits/s (limit {HOT_KEY_LIMIT}/s)"
        )
    buffered_10k = calls.hot_writes_per_hit["buffered"] * 10000
    steady_10k = 10000 / 99
    out.append(
        f"  buffered, computed for full transactions (99 hits each, as batches of up to 1,000"
        f" hits at 10,000 hits/s give): {steady_10k:.1f} writes/s at 10,000 hits/s"
        f" (measured with this run's one {calls.buffered_batch_hits}-hit batch: {buffered_10k:.1f})"
    )
    out.append(f"  day item size: {calls.day_item_bytes} bytes (< 1 KB: 1 WRU a write)")
    out.append("")

    out.append(
        f"handler CPU per warm hit, storage stubbed (median of {timing.iterations}, interleaved)"
    )
    out.append(f"  ours {timing.ours_cpu_ms:.3f} ms CPU ({timing.ours_wall_ms:.3f} ms wall)")
    out.append(f"  bare {timing.bare_cpu_ms:.3f} ms CPU ({timing.bare_wall_ms:.3f} ms wall)")
    out.append(f"  ratio {timing.ratio:.2f}x (SPEC: within 2x)")
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
    costs = cost_per_million(calls, timing)
    out.append("cost per million counted hits (visits mode, steady state)")
    for mode, breakdown in costs.items():
        out.append(f"  {mode}: ${breakdown.total:.2f}  " + breakdown.describe())
    print("\n".join(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

__all__ = ["HitCosts", "main"]
