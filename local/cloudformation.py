"""What the SAM template declares: the single source of truth for tables, routes and environment.

Tests create their DynamoDB tables with :func:`create_tables`, and the local API
server (:mod:`local.server`) serves :func:`routes`, so neither can drift from
what is deployed.

    >>> from local.cloudformation import create_tables, routes
    >>> names = create_tables(boto3.client("dynamodb"))   # {"CountersTable": "CountersTable"}
    >>> [r.route_key for r in routes(names)]              # ["POST /v1/sites/{site}/hits", ...]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.buckets import bucket_names
from local.cfn_template import (
    PSEUDO_PARAMETERS,
    REPO_ROOT,
    TEMPLATE_PATH,
    load_template,
    parameter_defaults,
    resolve,
    resources,
)

__all__ = [
    "PSEUDO_PARAMETERS",
    "REPO_ROOT",
    "TEMPLATE_PATH",
    "Route",
    "StreamConsumer",
    "create_tables",
    "load_template",
    "resolve",
    "routes",
    "stream_consumers",
    "tables",
]


def _table_name(
    logical_id: str, props: Mapping[str, Any], prefix: str, refs: Mapping[str, str]
) -> str:
    name = resolve(props.get("TableName"), refs)
    return prefix + (name if isinstance(name, str) else logical_id)


_INDEX_KEYS = (
    "IndexName",
    "KeySchema",
    "Projection",
    "ProvisionedThroughput",
    "OnDemandThroughput",
)


def _index(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in _INDEX_KEYS if k in spec}


def tables(prefix: str = "", template: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """``create_table`` kwargs for every ``AWS::DynamoDB::Table`` in the template.

    TableName is ``prefix`` + the ``TableName`` property, or + the logical id
    when none is set. Properties that are not ``create_table`` arguments
    (TTL, PITR, SSE, tags) are left out; :func:`create_tables` applies TTL.
    """
    template = template if template is not None else load_template()
    refs = parameter_defaults(template)
    result = []
    for logical_id, props in resources(template, "AWS::DynamoDB::Table").items():
        props = resolve(props, refs)
        kwargs: dict[str, Any] = {
            "TableName": _table_name(logical_id, props, prefix, refs),
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = {
                k: int(v) for k, v in props["ProvisionedThroughput"].items()
            }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [_index(ix) for ix in props[key]]
        if "StreamSpecification" in props:
            view_type = props["StreamSpecification"]["StreamViewType"]
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
        result.append(kwargs)
    return result


def create_tables(
    client: Any, prefix: str = "", template: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Create the template's tables with a boto3 DynamoDB ``client`` and wait for them.

    Tables that already exist are left as they are. TTL from
    ``TimeToLiveSpecification`` is applied to the tables created here.
    Returns logical id -> physical table name, e.g. ``{"CountersTable": "CountersTable"}``.
    """
    template = template if template is not None else load_template()
    refs = parameter_defaults(template)
    names: dict[str, str] = {}
    table_props = resources(template, "AWS::DynamoDB::Table").items()
    for (logical_id, props), kwargs in zip(table_props, tables(prefix, template), strict=True):
        name = names[logical_id] = kwargs["TableName"]
        try:
            _create_table(client, kwargs)
        except client.exceptions.ResourceInUseException:
            continue
        waiter = client.get_waiter("table_exists")
        waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        ttl = resolve(props.get("TimeToLiveSpecification"), refs)
        if ttl and str(ttl.get("Enabled")).lower() == "true":
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
    return names


def _create_table(client: Any, kwargs: dict[str, Any]) -> None:
    try:
        client.create_table(**kwargs)
    except client.exceptions.ClientError as exc:
        # An engine without DynamoDB Streams may refuse the stream: the table is made
        # without one, and the local run says what that leaves out (local.table_streams).
        refused = exc.response.get("Error", {}).get("Code") == "ValidationException"
        if not (refused and "StreamSpecification" in kwargs):
            raise
        client.create_table(**{k: v for k, v in kwargs.items() if k != "StreamSpecification"})


@dataclass(frozen=True)
class Route:
    """One ``HttpApi`` event of a ``AWS::Serverless::Function``."""

    method: str  #: upper case; ``ANY`` matches every method
    path: str  #: e.g. ``/v1/sites/{site}/hits``
    function: str  #: the function's logical id, e.g. ``HitFunction``
    handler: str  #: e.g. ``handlers.hits.lambda_handler``
    iam_auth: bool  #: ``Auth.Authorizer: AWS_IAM`` (or the API's default authorizer)
    environment: dict[str, str] = field(default_factory=dict, hash=False)
    event: str = ""  #: the event's logical id, e.g. ``Hit``
    code_uri: str = "src/"
    timeout: int = 3
    memory_size: int = 128

    @property
    def route_key(self) -> str:
        """The HTTP API route key, e.g. ``POST /v1/sites/{site}/hits``."""
        return f"{self.method} {self.path}"


def routes(
    table_names: Mapping[str, str] | None = None, template: Mapping[str, Any] | None = None
) -> list[Route]:
    """Every ``HttpApi`` event of every serverless function, in template order.

    ``table_names`` maps logical ids to physical names (as returned by
    :func:`create_tables`); ``!Ref`` to a table resolves to it (default: the
    logical id), ``!Ref`` to a parameter resolves to the parameter's default.
    Environment variables are the function's Globals merged with its own.
    """
    template = template if template is not None else load_template()
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    table_ids = resources(template, "AWS::DynamoDB::Table")
    refs = {
        **{t: t for t in table_ids},
        **bucket_names(template),
        **parameter_defaults(template),
        **(table_names or {}),
    }
    apis = resources(template, "AWS::Serverless::HttpApi")
    result = []
    for logical_id, props in resources(template, "AWS::Serverless::Function").items():
        merged = {**globals_, **props}
        environment = _function_environment(globals_, props, refs)
        for event_id, event in _events(props, "HttpApi"):
            ev = event.get("Properties") or {}
            result.append(
                Route(
                    method=str(ev.get("Method", "ANY")).upper(),
                    path=ev.get("Path", "$default"),
                    function=logical_id,
                    handler=merged["Handler"],
                    iam_auth=_authorizer(ev, apis) == "AWS_IAM",
                    environment=dict(environment),
                    event=event_id,
                    code_uri=str(merged.get("CodeUri", ".")),
                    timeout=int(merged.get("Timeout", 3)),
                    memory_size=int(merged.get("MemorySize", 128)),
                )
            )
    return result


def _events(props: Mapping[str, Any], type_: str) -> list[tuple[str, dict[str, Any]]]:
    """A function's ``Events`` of one ``Type`` (``HttpApi``, ``DynamoDB``), by logical id."""
    return [(k, v) for k, v in (props.get("Events") or {}).items() if v.get("Type") == type_]


def _function_environment(
    globals_: Mapping[str, Any], props: Mapping[str, Any], refs: Mapping[str, str]
) -> dict[str, str]:
    """A function's environment variables (Globals merged with its own), resolved."""
    variables = {
        **((globals_.get("Environment") or {}).get("Variables") or {}),
        **((props.get("Environment") or {}).get("Variables") or {}),
    }
    return {k: _env_str(resolve(v, refs)) for k, v in variables.items()}


def _authorizer(event_props: Mapping[str, Any], apis: Mapping[str, Mapping[str, Any]]) -> Any:
    """An HttpApi event's authorizer: its own ``Auth.Authorizer``, else its API's default."""
    api_ref = event_props.get("ApiId")
    api = apis.get(api_ref.get("Ref", "") if isinstance(api_ref, dict) else "") or {}
    default_auth = (api.get("Auth") or {}).get("DefaultAuthorizer")
    return (event_props.get("Auth") or {}).get("Authorizer", default_auth)


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class StreamConsumer:
    """One ``DynamoDB`` event source of a serverless function: a consumer of a table's stream."""

    function: str  #: the function's logical id
    handler: str
    table: str  #: the logical id of the table whose stream it reads
    batch_size: int
    batching_window: float  #: seconds
    filters: tuple[dict[str, Any], ...]  #: FilterCriteria patterns (any matches)
    report_failures: bool  #: FunctionResponseTypes has ReportBatchItemFailures
    tumbling_window: float = 0.0  #: TumblingWindowInSeconds (0: none)
    environment: dict[str, str] = field(default_factory=dict, hash=False)


def stream_consumers(template: Mapping[str, Any] | None = None) -> list[StreamConsumer]:
    """Every ``DynamoDB`` stream event source in the template, in template order."""
    template = template if template is not None else load_template()
    refs = parameter_defaults(template)
    names = {**{t: t for t in resources(template, "AWS::DynamoDB::Table")}, **refs}
    names.update(bucket_names(template))
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    result = []
    for logical_id, props in resources(template, "AWS::Serverless::Function").items():
        for _, event in _events(props, "DynamoDB"):
            ev = resolve(event.get("Properties") or {}, refs)
            result.append(
                StreamConsumer(
                    function=logical_id,
                    handler={**globals_, **props}["Handler"],
                    table=_stream_table(event.get("Properties") or {}),
                    batch_size=int(ev.get("BatchSize", 100)),
                    batching_window=float(ev.get("MaximumBatchingWindowInSeconds", 0)),
                    filters=_filter_patterns(ev),
                    report_failures="ReportBatchItemFailures"
                    in (ev.get("FunctionResponseTypes") or []),
                    tumbling_window=float(ev.get("TumblingWindowInSeconds", 0)),
                    environment=_function_environment(globals_, props, names),
                )
            )
    return result


def _stream_table(event_props: Mapping[str, Any]) -> str:
    """The logical id of the table whose stream a DynamoDB event reads (``!GetAtt T.StreamArn``)."""
    stream = event_props.get("Stream") or {}
    return str((stream.get("Fn::GetAtt") or [""])[0]) if isinstance(stream, dict) else ""


def _filter_patterns(event_props: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The event's ``FilterCriteria`` patterns, parsed."""
    filters = (event_props.get("FilterCriteria") or {}).get("Filters") or []
    return tuple(json.loads(f["Pattern"]) for f in filters)
