"""Every header and body field is bounded before a parser sees it (issue 12, hole 1).

The bot detector's cost grows with the square of the User-Agent's length; a spy
in its place records every string it is given, and no hostile request may hand
it one longer than the bound. Requests over a bound are answered at once: a
long User-Agent is answered but not counted, other fields are refused with a
JSON message, and nothing is stored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from counters.counting import visits as visitors
from counters.counting.visits import MAX_USER_AGENT, PageView, skip_reason
from handlers.limits import HEADER_LIMITS, MAX_BODY_CHARS
from tests.conftest import Api, table_dump

HIT = "/v1/sites/portal/hits"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


class DetectorSpy:
    """Stands in for the bot detector: records what it is asked, runs the real one on short input."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.real = visitors._crawler_detect()

    def __call__(self, user_agent: str) -> bool:
        self.asked.append(user_agent)
        if len(user_agent) > MAX_USER_AGENT:
            return False  # the test fails on the length anyway
        return bool(self.real(user_agent))


@pytest.fixture
def detector(monkeypatch: pytest.MonkeyPatch) -> DetectorSpy:
    spy = DetectorSpy()
    monkeypatch.setattr(visitors, "_crawler_detect", lambda: spy)
    return spy


# Long User-Agents of the shapes the detector is slowest on: answered, never counted.
LONG_USER_AGENTS = [
    "Mozilla/5.0 " + "A" * (MAX_USER_AGENT - 11),  # one over the bound
    "Mozilla/5.0 " + "A" * 16_000,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) " * 200,
    "a " * 5_000,
    "bot" * 3_000,
    "tin-tức ả" * 1_000,
]

# (headers, body, status): hostile requests refused before any handler runs.
REFUSED: list[tuple[dict[str, str], str | None, int]] = [
    ({"origin": "https://" + "a" * 10_000 + ".vn"}, None, 431),
    ({"sec-purpose": "prefetch" + ";x" * 4_000}, None, 431),
    ({"purpose": "prefetch" * 1_000}, None, 431),
    ({"idempotency-key": "k" * 10_000}, "{}", 431),
    ({"content-type": "application/json;" + "a" * 8_000}, "{}", 431),
    ({"content-type": "text/plain;" + " " * 8_000}, "{}", 431),
    ({}, json.dumps({"path": "/" + "x" * 1_000_000}), 413),
    ({}, "[" * 100_000, 413),
    ({}, json.dumps({"path": "/a", "referrer": "\\u0041" * 10_000}), 413),
    # Within the size bound, over a field's: pydantic's bound answers.
    ({}, json.dumps({"path": "/" + "x" * 5_000}), 422),
    ({}, json.dumps({"referrer": "https://x.vn/" + "b" * 3_000}), 422),
]


def test_a_long_user_agent_is_answered_not_counted_and_never_reaches_the_detector(
    api: Api, dynamodb: Any, detector: DetectorSpy
) -> None:
    api.register("portal")
    before = table_dump(dynamodb)
    for user_agent in LONG_USER_AGENTS:
        answer = api.hit("portal", headers={"user-agent": user_agent})
        assert answer["counted"] is False, len(user_agent)
    assert [len(s) for s in detector.asked if len(s) > MAX_USER_AGENT] == []
    assert table_dump(dynamodb) == before
    # The spy is in place: a User-Agent at the bound does reach it, and counts.
    at_bound = FIREFOX + " " * (MAX_USER_AGENT - len(FIREFOX))
    assert api.hit("portal", headers={"user-agent": at_bound})["counted"] is True
    assert detector.asked[-1] == at_bound


@pytest.mark.parametrize(("headers", "body", "status"), REFUSED)
def test_fields_over_their_bound_are_refused_with_a_message_and_store_nothing(
    api: Api,
    dynamodb: Any,
    detector: DetectorSpy,
    headers: dict[str, str],
    body: str | None,
    status: int,
) -> None:
    api.register("portal", allowed_origins=["https://portal.gov.vn"])
    before = table_dump(dynamodb)
    answered, answer = api.call("POST", HIT, body, headers=headers)
    assert answered == status, answer
    assert isinstance(answer["message"], str) and answer["message"], answer
    assert all(len(s) <= MAX_USER_AGENT for s in detector.asked)
    assert table_dump(dynamodb) == before


def test_every_bounded_header_is_refused_on_every_route(api: Api, dynamodb: Any) -> None:
    api.register("portal")
    routes = [("POST", HIT), ("OPTIONS", HIT), ("GET", "/v1/sites/portal/stats")]
    for method, path in routes:
        for name, limit in HEADER_LIMITS.items():
            status, answer = api.call(method, path, headers={name: "x" * (limit + 1)})
            assert status == 431 and name in answer["message"], (method, name, answer)
    status, answer = api.call("PUT", "/v1/sites/portal", " " * (MAX_BODY_CHARS + 1))
    assert status == 413 and "body" in answer["message"], answer


def test_headers_no_code_reads_are_not_refused(api: Api, detector: DetectorSpy) -> None:
    """A browser's long Referer and Accept-Language still count (each is cut to its bound
    before it is parsed, see counters.reports.breakdowns)."""
    api.register("portal")
    headers = {"referer": "https://x.vn/?" + "q" * 8_000, "accept-language": "vi," * 2_000}
    assert api.hit("portal", headers=headers)["counted"] is True
    assert all(len(s) <= MAX_USER_AGENT for s in detector.asked)


def test_skip_reason_checks_the_length_before_the_detector(detector: DetectorSpy) -> None:
    view = PageView(client_ip="203.0.113.7", user_agent="Googlebot/2.1 " + "x" * 600)
    assert skip_reason(view) == "user-agent-too-long"
    assert detector.asked == []
    assert skip_reason(PageView(client_ip="203.0.113.7", user_agent="Googlebot/2.1")) == "bot"
