"""Bytes a hit sends to CloudWatch Logs, priced per GB ingested in bench/cost.py.

Measured: everything the hit handler prints per warm hit at the template's log level
(the Logger's lines, if any, and the EMF metrics line), over counted, repeat and bot
hits. ASSUMED: Lambda's own lines per invocation (START, END, REPORT; REPORT carries an
XRAY part with active tracing), in their documented text shape with a real-length
request id; CloudWatch's per-event overhead is not counted.
"""

from __future__ import annotations

import contextlib
import io
import logging
import uuid
from dataclasses import dataclass

from local.lambda_env import InProcessApi

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


def platform_lines(tracing: bool) -> str:
    """Lambda's lines for one invocation (Text log format), with typical figures."""
    request = uuid.uuid4()
    report = (
        f"REPORT RequestId: {request}\tDuration: 7.52 ms\tBilled Duration: 8 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 98 MB\t"
    )
    if tracing:
        report += (
            "XRAY TraceId: 1-6759a3c1-5f2e0a9b8c7d6e5f4a3b2c1d\tSegmentId: 4a3b2c1d0e9f8a7b\t"
            "Sampled: true\t"
        )
    return f"START RequestId: {request} Version: $LATEST\nEND RequestId: {request}\n{report}\n"


@dataclass
class LogBytes:
    printed: float  # by the handler, per hit (measured)
    platform: int  # Lambda's lines per invocation (assumed shape)
    platform_traced: int
    sample: str  # one hit's printed lines

    @property
    def per_hit(self) -> float:
        return self.printed + self.platform


def measure(hits: int = 60) -> LogBytes:
    """What the hit handler prints per hit, over `hits` each of counted, repeat and bot hits."""
    from bench.request_counts import _moto
    from counters.counting.service import default_service
    from handlers.common import logger

    api = InProcessApi()
    with _moto(), contextlib.ExitStack() as stack:
        default_service.cache_clear()  # a fresh warm instance on this moto (the lag's is gone)
        stack.callback(logging.disable, logging.root.manager.disable)
        logging.disable(logging.NOTSET)  # as Lambda runs it: the template's level decides
        api.register("portal", "Asia/Ho_Chi_Minh")
        api.hit("portal")  # the first hit of the day writes more; steady state is measured
        printed = io.StringIO()
        handler = logger.registered_handler
        stream = handler.setStream(printed)  # type: ignore[attr-defined]
        stack.callback(handler.setStream, stream)  # type: ignore[attr-defined]
        sample = ""
        with contextlib.redirect_stdout(printed):
            for i in range(3 * hits):
                start = printed.tell()
                api.hit(
                    "portal",
                    headers={"user-agent": AGENTS[i % len(AGENTS)]},
                    body={"path": f"/tin-tuc/{i % 37}"},
                    source_ip=f"14.160.{i // 250}.{i % 250}",
                )
                sample = sample or printed.getvalue()[start:]
    total = len(printed.getvalue().encode())
    return LogBytes(
        printed=total / (3 * hits),
        platform=len(platform_lines(False).encode()),
        platform_traced=len(platform_lines(True).encode()),
        sample=sample.strip(),
    )
