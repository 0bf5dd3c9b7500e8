"""Property-based fuzzing of the served OpenAPI document (schemathesis) against the local HTTP API.

Every operation, with valid (positive) and invalid (negative) inputs: never a
5xx, every error is JSON with a message, and a request that fails or only
reads leaves the table as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from tests.reliability.conftest import ANSWER_SECONDS, Harness

# 25 an operation: the API grew to ~22 operations, so as many examples in all as 14 had at 40.
EXAMPLES_PER_OPERATION = 25


@pytest.mark.slow
def test_fuzzed_requests_never_fail_the_server_and_errors_store_nothing(local_api: Harness) -> None:
    local_api.register("portal")
    requests.post(f"{local_api.url}/v1/sites/portal/hits", timeout=10)
    document = requests.get(f"{local_api.url}/v1/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5, [op.label for op in operations]
    strategies = [
        operation.as_strategy(generation_mode=mode)
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    session = requests.Session()
    state: dict[str, Any] = {"dump": local_api.dump(), "calls": 0}
    problems: list[tuple[str, int, str]] = []

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION * len(operations),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=local_api.url, session=session, timeout=ANSWER_SECONDS)
        state["calls"] += 1
        label = f"{case.method} {case.formatted_path}"
        headers = {name.lower(): value for name, value in response.headers.items()}
        content_type = headers.get("content-type", "")
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        is_json = content_type.startswith("application/json")
        failed = response.status_code >= 400
        has_message = is_json and isinstance(response.json().get("message"), str)
        if response.status_code >= 500 or (failed and not has_message):
            problems.append((label, response.status_code, response.text[:300]))
        after = local_api.dump()
        read_only = case.method in ("GET", "HEAD", "OPTIONS")
        if (failed or read_only) and after != state["dump"]:
            problems.append((label, response.status_code, "changed the table"))
        state["dump"] = after

    run()
    assert not problems, problems[:10]
    assert state["calls"] >= 4 * len(operations)
    print(f"{state['calls']} fuzzed requests over {len(operations)} operations")
