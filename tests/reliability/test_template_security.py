"""Least privilege and safe defaults, read from template.yaml (the deployed truth)."""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
import requests
import time_machine

from local.cfn_template import parameter_defaults, resolve
from local.cloudformation import load_template, routes
from tests.conftest import LambdaContext, import_handler
from tests.reliability.conftest import DEFAULT_INSTANT, Harness

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {k: v for k, v in RESOURCES.items() if v["Type"] == "AWS::Serverless::Function"}
TABLE_ARN = {"Fn::GetAtt": ["CountersTable", "Arn"]}
DEFAULTS = parameter_defaults(TEMPLATE)

# The only routes anyone may call anonymously; every other route must be AWS_IAM.
PUBLIC_ROUTES = {
    "POST /v1/sites/{site}/hits",
    "OPTIONS /v1/sites/{site}/hits",
    "POST /v1/sites/{site}/events",
    "OPTIONS /v1/sites/{site}/events",
    "GET /v1/sites/{site}/stats",
    "GET /v1/sites/{site}/series",
    "GET /v1/sites/{site}/pages",
    "OPTIONS /v1/sites/{site}/series",
    "OPTIONS /v1/sites/{site}/pages",
    "OPTIONS /v1/sites/{site}/breakdown",
    "GET /v1/sites/{site}/breakdown",
    "OPTIONS /v1/sites/{site}/goals",
    "GET /v1/sites/{site}/goals",
    "OPTIONS /v1/sites/{site}/summary",
    "GET /v1/sites/{site}/summary",
    # Segments: a private site's read token checked in code, as for the other reports.
    "GET /v1/sites/{site}/segment",
    "OPTIONS /v1/sites/{site}/segment",
    "GET /v1/sites/{site}/badge.svg",
    # A private site's archive export, for holders of its read token (checked in code).
    "GET /v1/sites/{site}/reports/export",
    "GET /v1/openapi.json",
    "GET /v1/docs",
    # The stack's own widget and dashboard files (handlers.static; no data).
    "GET /widget.js",
    "GET /dashboard",
    "GET /static/{file}",
}
OPERATOR_ROUTES = {
    "PUT /v1/sites/{site}",
    "GET /v1/sites/{site}",
    "POST /v1/sites/{site}/baseline",
    "POST /v1/sites/{site}/history",
    "GET /v1/sites",
    "POST /v1/sites/{site}/tokens",
    "GET /v1/sites/{site}/tokens",
    "DELETE /v1/sites/{site}/tokens/{token_id}",
    "GET /v1/sites/{site}/export",
    "POST /v1/sites/{site}/rebuild",
    "POST /v1/sites/{site}/rollups",
}
READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
# What each function may do on the table, at most (the template may grant less).
ALLOWED = {
    "HitFunction": READS | {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
    "StatsFunction": READS,
    "HistoryFunction": READS,
    # Imported history: Puts in batches; revoking a report token deletes its item.
    "SitesFunction": READS
    | {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"},
    # The stream's consumers: guarded updates of day and report items.
    "DayAggregateFunction": READS | {"dynamodb:UpdateItem"},
    "ReportAggregateFunction": READS | {"dynamodb:UpdateItem"},
    "DocsFunction": set(),
    "StaticFunction": set(),
    # The event archive's writer: S3 only (tests/unit/test_archive_template.py).
    "ArchiveFunction": set(),
    # Compaction, then the nightly rebuild: as RebuildFunction, and the day items read;
    # then the closed day copied into the month rollups (their watermark put).
    "CompactFunction": READS
    | {"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem"},
    "ExportFunction": {"dynamodb:GetItem"},  # the site and its read tokens
    "SegmentFunction": {"dynamodb:GetItem"},  # the same: a segment reads the archive
    # A day's report items deleted and added again from the archive.
    # And older days copied into the month rollups (their watermark put).
    "RebuildFunction": READS
    | {"dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:PutItem"},
}


def partition_keys(params: dict[str, Any]) -> list[str]:
    """The partition key values a DynamoDB request names (as the service sees them)."""
    found: list[str] = []
    for key in (params.get("Key"), params.get("Item")):
        if key:
            found.append(key["pk"]["S"])
    values = params.get("ExpressionAttributeValues") or {}
    condition = params.get("KeyConditionExpression")
    if condition:  # "pk = :pk AND ...": the value bound to pk
        name = condition.split("=", 1)[1].split()[0]
        found.append(values[name]["S"])
    for request in (params.get("RequestItems") or {}).values():
        entries = request["Keys"] if isinstance(request, dict) else request
        for entry in entries:
            item = entry.get("PutRequest", {}).get("Item") or entry.get("DeleteRequest", {}).get(
                "Key"
            )
            found.append((item or entry)["pk"]["S"])
    return found


def leading_keys(statement: dict[str, Any]) -> list[str]:
    """The partition key patterns a statement is limited to (["*"]: any)."""
    condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
    return list(condition.get("dynamodb:LeadingKeys", ["*"]))


def may(function: str, action: str, pk: str) -> bool:
    """Whether the function's statements allow `action` on the partition `pk`."""
    return any(
        action in statement["Action"]
        and any(fnmatch.fnmatchcase(pk, pattern) for pattern in leading_keys(statement))
        for policy in FUNCTIONS[function]["Properties"].get("Policies") or []
        for statement in policy["Statement"]
    )


def granted(function: str) -> set[str]:
    """The actions a function's inline policies grant on the table."""
    actions: set[str] = set()
    for policy in FUNCTIONS[function]["Properties"].get("Policies") or []:
        assert isinstance(policy, dict) and set(policy) == {"Statement"}, (
            f"{function}: only inline statements (no managed or SAM policy templates): {policy}"
        )
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            listed = statement["Action"]
            listed = [listed] if isinstance(listed, str) else listed
            assert all("*" not in action for action in listed), listed
            service = {action.split(":")[0] for action in listed}
            assert len(service) == 1, f"{function}: one service per statement"
            if service == {"s3"}:  # the archive's bucket: tests/unit/test_archive_template.py
                continue
            resource = {"dynamodb": TABLE_ARN}[service.pop()]
            assert statement["Resource"] == resource, f"{function}: {statement['Resource']}"
            actions |= set(listed)
    return actions


def test_operator_routes_require_iam_and_nothing_else_is_public() -> None:
    by_key = {route.route_key: route for route in routes(template=TEMPLATE)}
    assert set(by_key) >= OPERATOR_ROUTES
    for key, route in by_key.items():
        if key in PUBLIC_ROUTES:
            assert not route.iam_auth, key
        else:
            assert route.iam_auth, f"{key} is reachable anonymously"
    assert all(by_key[key].iam_auth for key in OPERATOR_ROUTES)
    assert TEMPLATE["Resources"]["Api"]["Properties"]["Auth"]["EnableIamAuthorizer"] is True


@pytest.mark.parametrize("function", sorted(ALLOWED))
def test_each_function_is_granted_only_what_it_needs_on_the_table(function: str) -> None:
    assert set(FUNCTIONS) == set(ALLOWED), "a new function needs its entry here"
    actions = granted(function)
    assert actions <= ALLOWED[function], actions - ALLOWED[function]
    props = FUNCTIONS[function]["Properties"]
    assert "FunctionUrlConfig" not in props  # no way around the API's auth and throttling


def test_the_read_only_function_cannot_write() -> None:
    assert granted("StatsFunction") <= READS
    assert granted("HistoryFunction") <= READS


def test_the_footers_reads_do_not_share_executions_with_history_reads() -> None:
    """Dashboards' range reads cannot use up the executions the footer's stats and badge need."""
    routes = {
        (event["Properties"]["Method"], event["Properties"]["Path"]): name
        for name, function in FUNCTIONS.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    assert routes[("GET", "/v1/sites/{site}/stats")] == "StatsFunction"
    assert routes[("GET", "/v1/sites/{site}/badge.svg")] == "StatsFunction"
    for path in ("series", "pages", "breakdown", "goals"):
        assert routes[("GET", f"/v1/sites/{{site}}/{path}")] == "HistoryFunction"
    assert [r for r, name in routes.items() if name == "StatsFunction"] == [
        ("GET", "/v1/sites/{site}/stats"),
        ("GET", "/v1/sites/{site}/badge.svg"),
    ]


# (function, action, partition key, allowed): by key prefix (src/counters/storage/keys.py).
PREFIX_CASES = [
    ("HitFunction", "dynamodb:UpdateItem", "SITE#portal", True),  # the day item
    ("HitFunction", "dynamodb:UpdateItem", "VISITOR#portal#ab12", True),
    ("HitFunction", "dynamodb:PutItem", "SALT", True),
    ("HitFunction", "dynamodb:PutItem", "IDEMPOTENCY#portal", True),
    ("HitFunction", "dynamodb:DeleteItem", "IDEMPOTENCY#portal", True),
    ("HitFunction", "dynamodb:PutItem", "SITE#portal", False),  # site settings, read tokens
    ("HitFunction", "dynamodb:DeleteItem", "SITE#portal", False),
    ("HitFunction", "dynamodb:PutItem", "SITES", False),  # the registry
    ("HitFunction", "dynamodb:UpdateItem", "SITES", False),
    ("HitFunction", "dynamodb:UpdateItem", "REPORT#portal#page#2025-06", False),
    ("HitFunction", "dynamodb:GetItem", "REPORT#portal#page#2025-06", False),
    ("StatsFunction", "dynamodb:Query", "SITE#portal", True),
    ("StatsFunction", "dynamodb:Query", "REPORT#portal#page#2025-06", False),  # history's
    ("HistoryFunction", "dynamodb:Query", "SITE#portal", True),
    ("HistoryFunction", "dynamodb:Query", "REPORT#portal#page#2025-06", True),
    ("HistoryFunction", "dynamodb:Query", "ROLLUP#portal#page#2025-06", True),  # month rollups
    ("StatsFunction", "dynamodb:Query", "ROLLUP#portal#page#2025-06", False),
    ("ReportAggregateFunction", "dynamodb:UpdateItem", "ROLLUP#portal#page#2025-06", False),
    ("RebuildFunction", "dynamodb:UpdateItem", "ROLLUP#portal#page#2025-06", True),
    ("RebuildFunction", "dynamodb:GetItem", "ROLLUP#portal", True),  # the rollups' watermark
    ("CompactFunction", "dynamodb:PutItem", "ROLLUP#portal", True),
    ("RebuildFunction", "dynamodb:PutItem", "ROLLUP#portal", True),
    ("RebuildFunction", "dynamodb:PutItem", "SITE#portal", False),
    ("CompactFunction", "dynamodb:PutItem", "REPORT#portal#page#2025-06", False),
    ("HitFunction", "dynamodb:UpdateItem", "ROLLUP#portal#page#2025-06", False),
    ("HistoryFunction", "dynamodb:GetItem", "SALT", False),
    ("HistoryFunction", "dynamodb:GetItem", "VISITOR#portal#ab12", False),
    ("StatsFunction", "dynamodb:Query", "SALT", False),  # the daily salts
    ("StatsFunction", "dynamodb:GetItem", "SALT", False),
    ("StatsFunction", "dynamodb:GetItem", "VISITOR#portal#ab12", False),
    ("StatsFunction", "dynamodb:Query", "IDEMPOTENCY#portal", False),
    ("DayAggregateFunction", "dynamodb:UpdateItem", "SITE#portal", True),
    ("DayAggregateFunction", "dynamodb:UpdateItem", "REPORT#portal#page#2025-06", False),
    ("DayAggregateFunction", "dynamodb:Query", "SALT", False),
    ("ReportAggregateFunction", "dynamodb:UpdateItem", "REPORT#portal#page#2025-06", True),
    ("ReportAggregateFunction", "dynamodb:UpdateItem", "SITE#portal", False),
    ("SitesFunction", "dynamodb:PutItem", "SITES", True),
    ("SitesFunction", "dynamodb:DeleteItem", "SITE#portal", True),
    ("SitesFunction", "dynamodb:GetItem", "SALT", False),
    ("SitesFunction", "dynamodb:Query", "VISITOR#portal#ab12", False),
]


@pytest.mark.parametrize(("function", "action", "pk", "allowed"), PREFIX_CASES)
def test_each_function_reaches_only_its_key_prefixes(
    function: str, action: str, pk: str, allowed: bool
) -> None:
    assert may(function, action, pk) is allowed


def test_every_table_statement_names_its_leading_keys() -> None:
    for function in FUNCTIONS:
        for policy in FUNCTIONS[function]["Properties"].get("Policies") or []:
            for statement in policy["Statement"]:
                if any(action.startswith("dynamodb:") for action in statement["Action"]):
                    assert "*" not in leading_keys(statement), (function, statement)


def test_table_is_retained_recoverable_and_encrypted() -> None:
    table = RESOURCES["CountersTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["DeletionProtectionEnabled"] is True


def test_public_routes_are_throttled_and_logged() -> None:
    api = RESOURCES["Api"]["Properties"]
    throttle = api["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0 and throttle["ThrottlingBurstLimit"] > 0
    assert "DestinationArn" in api["AccessLogSettings"]
    # No client IP or User-Agent in access logs: the service stores neither.
    assert "sourceIp" not in api["AccessLogSettings"]["Format"]
    assert "userAgent" not in api["AccessLogSettings"]["Format"]
    for resource in RESOURCES.values():
        if resource["Type"] == "AWS::Logs::LogGroup":
            assert 0 < int(resolve(resource["Properties"]["RetentionInDays"], DEFAULTS)) <= 400


def test_every_function_logs_to_a_group_of_its_own_with_a_retention() -> None:
    """Lambda's own log groups keep logs forever: each function names a group of the
    stack's, kept LogRetentionDays (30 by default)."""
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30
    groups = []
    for name, function in FUNCTIONS.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        props = RESOURCES[group]["Properties"]
        assert RESOURCES[group]["Type"] == "AWS::Logs::LogGroup"
        assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{name}"}
        groups.append(group)
    assert len(set(groups)) == len(FUNCTIONS) == 13


def test_the_hit_function_sends_no_system_lines_per_hit() -> None:
    """A page view is an invocation: Lambda's START/END/REPORT lines (INFO system logs,
    ~260 bytes) would cost more than the hit's DynamoDB write. JSON format, system logs
    at WARN, so they are not sent (and log-level filtering applies to the Logger)."""
    config = FUNCTIONS["HitFunction"]["Properties"]["LoggingConfig"]
    assert config["LogFormat"] == "JSON" and config["SystemLogLevel"] == "WARN"


def test_tracing_is_off_unless_asked_for() -> None:
    """X-Ray's list price per trace is more than a hit's own cost: PassThrough (no trace
    of the functions' own) unless TracingMode says Active, for every function."""
    assert TEMPLATE["Parameters"]["TracingMode"]["Default"] == "PassThrough"
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == {"Ref": "TracingMode"}
    assert all("Tracing" not in f["Properties"] for f in FUNCTIONS.values())


def test_every_checkov_suppression_says_why() -> None:
    for name, resource in RESOURCES.items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
            assert len(skip.get("comment", "")) > 20, f"{name}: {skip['id']} has no reason"


@pytest.mark.slow
def test_what_each_function_does_is_granted(local_api: Harness, visitor_caps: Any) -> None:
    """Drive every route (over four days, with a flood and an Idempotency-Key) and record
    each DynamoDB operation under the function that made it: all must be granted."""
    visitor_caps(3, 1)
    used: dict[str, set[str]] = defaultdict(set)
    storage = local_api.counter.storage

    keys: dict[str, set[tuple[str, str]]] = defaultdict(set)

    def record(model: Any, **_: Any) -> None:
        if local_api.context.function:
            used[local_api.context.function].add(f"dynamodb:{model.name}")

    def record_keys(model: Any, params: dict[str, Any], **_: Any) -> None:
        if local_api.context.function:
            for pk in partition_keys(params):
                keys[local_api.context.function].add((f"dynamodb:{model.name}", pk))

    for client in (storage.client,):
        client.meta.events.register("before-call.dynamodb", record)
        client.meta.events.register("before-parameter-build.dynamodb", record_keys)
    url, site = local_api.url, f"{local_api.url}/v1/sites/portal"
    assert requests.put(site, json={"timezone": "UTC"}, timeout=10).status_code == 200
    baseline = {"date": "2025-06-11", "today": 1, "yesterday": 1, "month": 3, "year": 9, "total": 9}
    clock = {"X-Test-Clock": repr((DEFAULT_INSTANT - timedelta(days=4)).timestamp())}
    assert requests.post(f"{site}/baseline", json=baseline, headers=clock, timeout=10).ok
    history = {"rows": [{"period": "2024", "visits": 0}]}  # agrees with the baseline's figures
    assert requests.post(f"{site}/history", json=history, headers=clock, timeout=10).ok
    for day in range(4):  # salts are created, and old ones deleted
        when = {"X-Test-Clock": repr((DEFAULT_INSTANT - timedelta(days=3 - day)).timestamp())}
        for i in range(6):  # past the per-address cap: visitor items are removed again
            headers = {**when, "X-Forwarded-For": "203.0.113.9", "User-Agent": f"Mozilla/5.0 {i}"}
            answer = requests.post(f"{site}/hits", json={"path": "/a"}, headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
        headers = {**when, "User-Agent": "Mozilla/5.0", "Idempotency-Key": f"key-{day}"}
        assert requests.post(f"{site}/hits", headers=headers, timeout=10).status_code == 200
    # A high-traffic site across midnight: its lanes' notes open and seal days in the
    # aggregator; every hit's note goes to the reports.
    assert (
        requests.put(
            f"{url}/v1/sites/busy", json={"timezone": "UTC", "mode": "buffered"}, timeout=10
        ).status_code
        == 200
    )
    for day in range(2):
        when = {"X-Test-Clock": repr((DEFAULT_INSTANT - timedelta(days=1 - day)).timestamp())}
        answer = requests.post(
            f"{url}/v1/sites/busy/hits",
            json={"path": "/b"},
            headers={**when, "User-Agent": "Mozilla/5.0"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        local_api.api.drain_streams()
    # A baseline on a day with traffic seals the day before it.
    today = {**baseline, "date": DEFAULT_INSTANT.date().isoformat(), "total": 99, "year": 50}
    assert requests.post(f"{site}/baseline", json=today, timeout=10).status_code == 200
    # Operators: the site list, and a private site's read tokens (issued, used, revoked).
    assert requests.get(f"{url}/v1/sites", timeout=10).status_code == 200
    private = {"timezone": "UTC", "reports": "private"}
    assert requests.put(f"{url}/v1/sites/closed", json=private, timeout=10).status_code == 200
    issued = requests.post(f"{url}/v1/sites/closed/tokens", json={}, timeout=10).json()
    assert requests.get(f"{url}/v1/sites/closed/tokens", timeout=10).status_code == 200
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert requests.get(f"{url}/v1/sites/closed/series", headers=bearer, timeout=10).ok
    # The event archive: a private site's export by token, an operator's export and rebuild.
    local_api.api.drain_streams()
    day = DEFAULT_INSTANT.date().isoformat()
    shared = f"{url}/v1/sites/closed/reports/export?from={day}&to={day}"
    assert requests.get(shared, headers=bearer, timeout=10).ok
    local_api.counter._sites.clear()  # each function has its own warm cache in Lambda
    assert requests.get(f"{site}/export?from={day}&to={day}", timeout=10).ok
    local_api.counter._sites.clear()
    segment = f"{url}/v1/sites/closed/segment?from={day}&to={day}&filter=device!%3Dtablet"
    assert requests.get(segment, headers=bearer, timeout=10).ok
    local_api.counter._sites.clear()
    assert requests.post(f"{site}/rebuild", json={"date": day}, timeout=10).ok
    local_api.counter._sites.clear()
    assert requests.post(f"{site}/rollups", json={"from": day}, timeout=10).ok
    # The daily schedule: compaction, then the nightly rebuild of the day before yesterday.
    compact = local_api._as_function(
        "CompactFunction", import_handler("handlers.archive.compact_handler")
    )
    with time_machine.travel(DEFAULT_INSTANT + timedelta(days=2), tick=False):
        assert compact({"source": "aws.events"}, LambdaContext())["rebuilt"] >= 1
    revoke = f"{url}/v1/sites/closed/tokens/{issued['id']}"
    assert requests.delete(revoke, timeout=10).status_code == 204
    for path in ("/widget.js", "/dashboard"):
        assert requests.get(url + path, timeout=10).status_code == 200, path
    for path in (
        "",
        "/stats",
        "/series?granularity=day",
        "/pages",
        "/breakdown?dimension=source",
        "/badge.svg",
    ):
        local_api.counter._sites.clear()  # each function has its own warm cache in Lambda
        answer = requests.get(f"{site}{path}", timeout=10)
        assert answer.status_code == 200, (path, answer.text)
    assert requests.get(f"{url}/v1/openapi.json", timeout=10).status_code == 200
    assert requests.options(f"{site}/hits", timeout=10).status_code in (200, 204)

    assert {"HitFunction", "StatsFunction", "SitesFunction"} <= set(used)
    assert "StaticFunction" not in used
    # Exactly: nothing missing, and nothing granted that no request needed.
    local_api.api.drain_streams()
    for function in ALLOWED:
        table_actions = {a for a in granted(function) if a.startswith("dynamodb:")}
        assert used.get(function, set()) == table_actions, function
    # Every item each function touched is within its statements' leading keys.
    assert {"HitFunction", "StatsFunction", "ReportAggregateFunction"} <= set(keys)
    for function, touched in keys.items():
        for action, pk in touched:
            assert may(function, action, pk), (function, action, pk)


def test_alarms_watch_errors_throttles_and_5xx() -> None:
    watched = {
        (r["Properties"]["Namespace"], r["Properties"]["MetricName"])
        for r in RESOURCES.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert watched >= {
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("VisitCounter", "StorageErrors"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/DynamoDB", "SystemErrors"),
        ("AWS/ApiGateway", "5xx"),
    }
    # The custom metric's namespace and dimension are the ones Powertools publishes under.
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "VisitCounter"
    assert env["POWERTOOLS_SERVICE_NAME"] == "visit-counter"


def test_alarms_watch_the_aggregation_path() -> None:
    """Each aggregator's iterator age (its figures' lag) and the queue of the batches
    they gave up on (hits missing until replayed)."""
    alarms = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    ages = {
        a["Dimensions"][0]["Value"]["Ref"]: a
        for a in alarms
        if (a["Namespace"], a["MetricName"]) == ("AWS/Lambda", "IteratorAge")
    }
    assert set(ages) == {"DayAggregateFunction", "ReportAggregateFunction", "ArchiveFunction"}
    # Above what each normally lags (1 s; the report window, at most 300 s), in ms.
    window = TEMPLATE["Parameters"]["ReportsBatchingWindow"]["MaxValue"]
    assert 5_000 < ages["DayAggregateFunction"]["Threshold"] <= 120_000
    assert 2 * window * 1000 <= ages["ReportAggregateFunction"]["Threshold"] <= 3_600_000
    assert 2 * window * 1000 <= ages["ArchiveFunction"]["Threshold"] <= 3_600_000
    assert all(a["Statistic"] == "Maximum" for a in ages.values())
    [failures] = [a for a in alarms if a["Namespace"] == "AWS/SQS"]
    assert failures["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert failures["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["AggregateFailures", "QueueName"]}}
    ]
    assert (failures["Threshold"], failures["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )


def test_each_function_reserves_its_own_concurrency() -> None:
    """A flood on one group (hits) cannot take the executions reads and operators need."""
    parameters = TEMPLATE["Parameters"]
    reserved = {}
    for name, function in FUNCTIONS.items():
        value = function["Properties"].get("ReservedConcurrentExecutions")
        assert value is not None, f"{name} reserves no concurrency"
        condition, chosen, otherwise = value["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}, name
        reserved[name] = int(parameters[chosen["Ref"]]["Default"])
    groups = {
        "HitFunction": "HitConcurrency",
        "StatsFunction": "ReadConcurrency",
        "HistoryFunction": "ReadConcurrency",
        "SitesFunction": "OperatorConcurrency",
    }
    for name, parameter in groups.items():
        assert FUNCTIONS[name]["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1] == {
            "Ref": parameter
        }
    assert all(n > 0 for n in reserved.values()), reserved
    # The account's default limit is 1,000, of which AWS keeps 100 unreserved.
    assert sum(reserved.values()) <= 900, reserved


def test_stream_consumers_get_their_shard_and_one_batch_at_a_time() -> None:
    """Exactly once rests on two settings (docs/aggregation.md): a tumbling window, so
    that Lambda's events name their shard (without it every shard would share one mark
    per item, and a shard behind another would have its hits refused: lost), and
    ParallelizationFactor 1, so that one shard's batches never race."""
    mappings = [
        event["Properties"]
        for resource in TEMPLATE["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "DynamoDB"
    ]
    assert len(mappings) == 3  # day and report aggregators, the event archive
    for mapping in mappings:
        assert 0 < mapping["TumblingWindowInSeconds"] <= 900
        assert mapping["ParallelizationFactor"] == 1
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["StartingPosition"] == "TRIM_HORIZON"


def test_the_function_url_may_invoke_the_hit_function_and_nothing_else_may() -> None:
    """Since October 2025 a public function URL needs both permissions (Lambda's "Control
    access to Lambda function URLs"): InvokeFunctionUrl, and InvokeFunction granted only
    to calls through the URL. Without the second, every request to the URL is 403."""
    url = RESOURCES["HitUrl"]
    function = url["Properties"]["TargetFunctionArn"]
    grants = {
        name: resource["Properties"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Lambda::Permission"
        and resource["Properties"]["FunctionName"] == function
    }
    by_action = {props["Action"]: props for props in grants.values()}
    assert set(by_action) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}, grants
    assert by_action["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    invoke = by_action["lambda:InvokeFunction"]
    # Public, but only through the URL: never a direct Invoke by anyone.
    assert invoke["Principal"] == "*"
    assert invoke["InvokedViaFunctionUrl"] is True
    assert not {"SourceArn", "SourceAccount", "FunctionUrlAuthType"} & set(invoke)
    for name in grants:
        assert RESOURCES[name].get("Condition") == url["Condition"] == "HasHitFunctionUrl"
