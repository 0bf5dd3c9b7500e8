"""Read the SAM template: the single source of truth for tables, routes and environment.

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
from pathlib import Path
from typing import Any, cast

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

#: Values for pseudo parameters when resolving ``!Ref``/``!Sub`` locally.
PSEUDO_PARAMETERS: dict[str, str] = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/local/local",
}


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation short-form tags.

    ``!Ref X`` becomes ``{"Ref": "X"}``, ``!Condition X`` ``{"Condition": "X"}``
    and any other ``!Tag v`` becomes ``{"Fn::Tag": v}``; ``!GetAtt A.B`` is split
    into ``["A", "B"]`` as in the long form.
    """


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: str | Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML template (short-form tags allowed)."""
    with open(path, encoding="utf-8") as fh:
        return cast(dict[str, Any], yaml.load(fh, Loader=CfnLoader))  # a SafeLoader subclass


def resolve(value: Any, refs: Mapping[str, str]) -> Any:
    """Resolve ``Ref`` and simple ``Fn::Sub`` using ``refs`` (logical id or parameter -> value).

    Pseudo parameters are resolved from :data:`PSEUDO_PARAMETERS`; anything that
    cannot be resolved locally (``Fn::GetAtt``, ``Fn::If``...) is returned unchanged.
    """
    lookup = {**PSEUDO_PARAMETERS, **refs}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in lookup:
        return lookup[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        text, extra = value["Fn::Sub"], {}
        if isinstance(text, list):
            text, extra = text[0], {k: resolve(v, refs) for k, v in text[1].items()}
        if isinstance(text, str):
            for name, sub in {**lookup, **extra}.items():
                text = text.replace("${" + name + "}", str(sub))
            return text
    return {k: resolve(v, refs) for k, v in value.items()}


def _resources(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties") or {}
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == type_
    }


def _parameter_defaults(template: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }


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
    refs = _parameter_defaults(template)
    result = []
    for logical_id, props in _resources(template, "AWS::DynamoDB::Table").items():
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
    refs = _parameter_defaults(template)
    names: dict[str, str] = {}
    table_props = _resources(template, "AWS::DynamoDB::Table").items()
    for (logical_id, props), kwargs in zip(table_props, tables(prefix, template), strict=True):
        name = names[logical_id] = kwargs["TableName"]
        try:
            client.create_table(**kwargs)
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
    table_ids = _resources(template, "AWS::DynamoDB::Table")
    refs = {**{t: t for t in table_ids}, **_parameter_defaults(template), **(table_names or {})}
    apis = _resources(template, "AWS::Serverless::HttpApi")
    result = []
    for logical_id, props in _resources(template, "AWS::Serverless::Function").items():
        merged = {**globals_, **props}
        env_vars = {
            **((globals_.get("Environment") or {}).get("Variables") or {}),
            **((props.get("Environment") or {}).get("Variables") or {}),
        }
        environment = {k: _env_str(resolve(v, refs)) for k, v in env_vars.items()}
        for event_id, event in (props.get("Events") or {}).items():
            if event.get("Type") != "HttpApi":
                continue
            ev = event.get("Properties") or {}
            api_ref = ev.get("ApiId")
            api = apis.get(api_ref.get("Ref", "") if isinstance(api_ref, dict) else "") or {}
            default_auth = (api.get("Auth") or {}).get("DefaultAuthorizer")
            authorizer = (ev.get("Auth") or {}).get("Authorizer", default_auth)
            result.append(
                Route(
                    method=str(ev.get("Method", "ANY")).upper(),
                    path=ev.get("Path", "$default"),
                    function=logical_id,
                    handler=merged["Handler"],
                    iam_auth=authorizer == "AWS_IAM",
                    environment=dict(environment),
                    event=event_id,
                    code_uri=str(merged.get("CodeUri", ".")),
                    timeout=int(merged.get("Timeout", 3)),
                    memory_size=int(merged.get("MemorySize", 128)),
                )
            )
    return result


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


def stream_consumers(template: Mapping[str, Any] | None = None) -> list[StreamConsumer]:
    """Every ``DynamoDB`` stream event source in the template, in template order."""
    template = template if template is not None else load_template()
    refs = _parameter_defaults(template)
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    result = []
    for logical_id, props in _resources(template, "AWS::Serverless::Function").items():
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "DynamoDB":
                continue
            ev = resolve(event.get("Properties") or {}, refs)
            stream = (event.get("Properties") or {}).get("Stream") or {}
            table = (stream.get("Fn::GetAtt") or [""])[0] if isinstance(stream, dict) else ""
            patterns = ((ev.get("FilterCriteria") or {}).get("Filters")) or []
            result.append(
                StreamConsumer(
                    function=logical_id,
                    handler={**globals_, **props}["Handler"],
                    table=table,
                    batch_size=int(ev.get("BatchSize", 100)),
                    batching_window=float(ev.get("MaximumBatchingWindowInSeconds", 0)),
                    filters=tuple(json.loads(f["Pattern"]) for f in patterns),
                    report_failures="ReportBatchItemFailures"
                    in (ev.get("FunctionResponseTypes") or []),
                    tumbling_window=float(ev.get("TumblingWindowInSeconds", 0)),
                )
            )
    return result
