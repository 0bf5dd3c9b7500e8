"""What a hit costs in CloudWatch Logs: a warm hit prints nothing.

A page view is an invocation, so a line it printed would be paid per page view (an
EMF metrics line of ~210 bytes costs about a fifth of the hit's DynamoDB write). The
aggregators publish the hits they add per batch instead (AggregatedHits).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.conftest import Api

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


def test_warm_counted_repeat_and_bot_hits_print_nothing(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    api.register("portal", "Asia/Ho_Chi_Minh")
    with time_machine.travel(datetime(2025, 6, 15, 3, 0, tzinfo=UTC), tick=False):
        api.hit("portal")  # the day's first hit: opens the day, makes the salt
        capsys.readouterr()
        answers = [
            api.hit("portal", headers={"user-agent": AGENTS[i % 2]}, source_ip=f"14.160.0.{i}")
            for i in range(6)
        ]
    assert [a["counted"] for a in answers] == [True, False] * 3  # counted hits and bots
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
