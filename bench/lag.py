"""How far a high-traffic site's figures lag: measured on the local run (`make run`'s stack).

Hits go to a high-traffic site through the local HTTP API at a steady rate while
the stream pollers feed the day aggregator with the template's batching window;
a sampler reads the day item every 50 ms. Hit k's lag is the time from its answer
to the first sample whose page views reach k (so it is at most 50 ms high).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LagFigures:
    hits: int
    p50_s: float
    p99_s: float
    max_s: float
    window_s: float


def measure(seconds: float = 8.0, rate: float = 40.0) -> LagFigures:
    import boto3
    import requests

    from counters.counting.service import default_service
    from local.server import start_local_api

    os.environ.pop("LOCAL_STREAM_WINDOW", None)  # the template's windows, as deployed
    default_service.cache_clear()  # a fresh warm instance, on the local run's endpoint
    with start_local_api(demo=False, quiet=True, trust_forwarded_for=True) as api:
        site = f"{api.url}/v1/sites/lagging"
        answer = requests.put(site, json={"timezone": "UTC", "mode": "buffered"}, timeout=10)
        assert answer.status_code == 200, answer.text
        table = api.table_names["CountersTable"]
        client = boto3.client(
            "dynamodb", endpoint_url=api.dynamodb_endpoint, region_name="us-east-1"
        )
        day_window = next(p.window for p in api.streams.pollers if "Day" in p.consumer.function)
        answered: list[float] = []
        seen: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                items = client.query(
                    TableName=table,
                    KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
                    ExpressionAttributeValues={":pk": {"S": "SITE#lagging"}, ":day": {"S": "DAY#"}},
                    ConsistentRead=True,
                )["Items"]
                count = sum(int(item.get("p", {}).get("N", "0")) for item in items)
                seen.append((time.monotonic(), count))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        lock = threading.Lock()
        total = int(seconds * rate)

        def send(first: int) -> None:
            for i in range(first, total, 4):
                time.sleep(max(0.0, start + i / rate - time.monotonic()))
                headers = {
                    "User-Agent": f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{100 + i % 30}.0",
                    "X-Forwarded-For": f"198.51.100.{i % 250}",
                }
                answer = requests.post(f"{site}/hits", headers=headers, timeout=10)
                assert answer.status_code == 200, answer.text
                with lock:
                    answered.append(time.monotonic())

        start = time.monotonic()
        senders = [threading.Thread(target=send, args=(k,)) for k in range(4)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        deadline = time.monotonic() + 30
        while (not seen or seen[-1][1] < total) and time.monotonic() < deadline:
            time.sleep(0.05)
        done.set()
        sampler.join()
    answered.sort()
    lags = []
    for k, at in enumerate(answered, start=1):
        reached = next((when for when, count in seen if count >= k and when >= at), None)
        if reached is not None:
            lags.append(reached - at)
    if len(lags) < total:
        raise RuntimeError(f"only {len(lags)} of {total} hits were aggregated within 30 s")
    lags.sort()
    return LagFigures(
        hits=total,
        p50_s=statistics.median(lags),
        p99_s=lags[int(0.99 * (len(lags) - 1))],
        max_s=lags[-1],
        window_s=day_window,
    )
