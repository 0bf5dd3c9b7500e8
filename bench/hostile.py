"""CPU of the worst hostile hit, as a ratio to an ordinary one, measured side by side.

`python -m bench.hostile` alone, or a line of `python -m bench`. Both kinds run
through `handlers.hits.lambda_handler` in this process, interleaved (ordinary,
then each hostile case, round after round), with every DynamoDB call answered
by a canned response in botocore's before-call hook: both pay the SDK's
client-side cost and neither waits on a network. Ordinary hits each carry a
different real User-Agent (fake-useragent's corpus of browsers), so the bot
detector works as hard as on real traffic. Figures are medians of process CPU.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.lambda_env import LambdaContext, hit_event, use_template_environment

FALLBACK_USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
]


def real_user_agents() -> list[str]:
    """Distinct browser User-Agents: fake-useragent's corpus, or a few typed in here."""
    try:
        from importlib.resources import files

        data = files("fake_useragent") / "data" / "browsers.jsonl"
        lines = data.read_text().splitlines()
    except (ImportError, FileNotFoundError, ModuleNotFoundError):
        return FALLBACK_USER_AGENTS
    return sorted({json.loads(line)["useragent"] for line in lines if line.strip()})


MAX_USER_AGENT = 512
BIG_BODY = json.dumps({"path": "/" + "x" * 1_000_000})
NESTED_BODY = "[" * 30_000
LONG_PATH_BODY = json.dumps({"path": "/" + "x" * 5_000})


def hostile_cases(n: int) -> dict[str, tuple[dict[str, str], str | None]]:
    """name -> (headers, body): the hostile hits of round `n`, as the HTTP API passes them.

    Every string differs from round to round, as an attacker's would: the bot
    detector keeps the answers of User-Agents it has seen.
    """

    def ua(filler: str) -> str:
        return (f"Mozilla/5.0 {n:06d} " + filler * MAX_USER_AGENT)[:MAX_USER_AGENT]

    firefox = f"Mozilla/5.0 (X11; Linux x86_64; rv:{n}.0) Gecko/20100101 Firefox/{n}.0"
    return {
        "User-Agent of 512 zeros (the bound)": ({"user-agent": ua("0")}, None),
        "User-Agent of 512, 8-digit words": ({"user-agent": ua("00000000 ")}, None),
        "User-Agent of 512 x": ({"user-agent": ua("x")}, None),
        "User-Agent of 10 KB": ({"user-agent": ua("0") + "0" * 10_000}, None),
        "Origin of 10 KB": ({"origin": f"https://{n}" + "a" * 10_000}, None),
        "Sec-Purpose of 10 KB": ({"sec-purpose": f"{n}" + "prefetch" * 1_250}, None),
        "Idempotency-Key of 10 KB": ({"idempotency-key": f"{n}" + "k" * 10_000}, "{}"),
        "Content-Type of 10 KB": ({"content-type": "application/json;" + "a" * 10_000}, "{}"),
        "body of 1 MB": ({}, BIG_BODY),
        "body nested 30,000 deep": ({}, NESTED_BODY),
        "path of 5,000 (refused by pydantic)": ({}, LONG_PATH_BODY),
        "Accept-Language and Referer of 5 KB": (
            {
                "user-agent": firefox,
                "accept-language": "vi," * 1_600,
                "referer": f"https://x.vn/?{n}" + "q" * 5_000,
            },
            None,
        ),
    }


@dataclass(frozen=True)
class HostileFigures:
    ordinary_cpu_ms: float
    cases_cpu_ms: dict[str, float]
    user_agents: int
    rounds: int

    @property
    def worst(self) -> tuple[str, float]:
        return max(self.cases_cpu_ms.items(), key=lambda item: item[1])

    @property
    def ratio(self) -> float:
        return self.worst[1] / self.ordinary_cpu_ms


def _day_item(site: str, day: str) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": f"SITE#{site}"}, "sk": {"S": f"DAY#{day}"}}
    for prefix in ("v", "p"):
        item[prefix] = {"N": "10"}
        for base in ("yesterday", "month", "year", "total"):
            item[f"{prefix}_{base}"] = {"N": "1000"}
    return item


def measure(rounds: int = 100) -> HostileFigures:
    use_template_environment()
    from botocore.awsrequest import AWSResponse

    from counters.counting.service import default_service
    from counters.models import Site
    from handlers.hits import lambda_handler

    counter = default_service()
    site = "portal"
    now = datetime.now(UTC)
    day_item = _day_item(site, now.date().isoformat())
    counter._sites[site] = (float("inf"), Site(id=site, timezone="UTC"))
    counter.salts._salts[now.date()] = b"s" * 32

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # A visitor seen a minute ago (a repeat hit), and today's figures.
        parsed: dict[str, Any] = {
            "UpdateItem": {"Attributes": {**day_item, "seen": {"N": f"{now.timestamp() - 60}"}}},
            "Query": {"Items": [day_item], "Count": 1, "ScannedCount": 1},
        }.get(model.name, {})
        return AWSResponse(None, 200, {}, None), parsed  # type: ignore[arg-type]

    events = counter.storage.client.meta.events
    events.register("before-call.dynamodb", answer)
    user_agents = real_user_agents()[:rounds]
    ordinary = [
        hit_event(site, headers={"user-agent": ua}, body=json.dumps({"path": "/tin-tuc/a"}))
        for ua in user_agents
    ]
    hostile = [
        {
            name: hit_event(site, headers=headers, body=body)
            for name, (headers, body) in hostile_cases(n).items()
        }
        for n in range(rounds)
    ]
    context = LambdaContext()
    ordinary_cpu: list[float] = []
    cases_cpu: dict[str, list[float]] = {name: [] for name in hostile[0]}
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink):
            for n in range(rounds):
                runs = [(ordinary[n % len(ordinary)], ordinary_cpu)]
                runs += [(event, cases_cpu[name]) for name, event in hostile[n].items()]
                for event, cpu in runs:
                    c0 = time.process_time_ns()
                    status = lambda_handler(event, context)["statusCode"]
                    cpu.append((time.process_time_ns() - c0) / 1e6)
                    assert status < 500, status
                sink.seek(0)
                sink.truncate()
    finally:
        events.unregister("before-call.dynamodb", answer)
    warm = rounds // 10  # the first calls fill caches
    return HostileFigures(
        ordinary_cpu_ms=statistics.median(ordinary_cpu[warm:]),
        cases_cpu_ms={name: statistics.median(cpu[warm:]) for name, cpu in cases_cpu.items()},
        user_agents=len(user_agents),
        rounds=rounds,
    )


def report(rounds: int = 100) -> list[str]:
    figures = measure(rounds)
    name, worst = figures.worst
    lines = [
        f"hostile hits: handler CPU against an ordinary hit ({figures.rounds} rounds, interleaved, "
        f"{figures.user_agents} distinct real User-Agents, storage stubbed)",
        f"  ordinary hit {figures.ordinary_cpu_ms:.3f} ms CPU",
    ]
    for case, cpu_ms in sorted(figures.cases_cpu_ms.items(), key=lambda item: -item[1]):
        lines.append(f"  {case:40} {cpu_ms:7.3f} ms  {cpu_ms / figures.ordinary_cpu_ms:5.2f}x")
    lines.append(f"  worst hostile / ordinary: {figures.ratio:.2f}x ({name}; issue 12: within 3x)")
    return lines


if __name__ == "__main__":
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    print("\n".join(report()))
