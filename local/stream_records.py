"""DynamoDB stream records as Lambda's events carry them, and the event filters Lambda applies.

:func:`lambda_record` turns a GetRecords record into a Lambda DynamoDB event record;
:func:`matches` says whether it passes a ``FilterCriteria`` pattern (the subset the
template uses). :mod:`local.streams` reads the records and delivers them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def matches(pattern: Any, value: Any) -> bool:
    """Whether a record matches a Lambda event filter pattern (the subset the template uses:
    nested keys, literal values, ``prefix`` and ``exists``)."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for key, sub in pattern.items():
            if key not in value:
                if not (isinstance(sub, list) and {"exists": False} in sub):
                    return False
            elif not matches(sub, value[key]):
                return False
        return True
    if isinstance(pattern, list):
        return any(_rule(rule, value) for rule in pattern)
    return bool(pattern == value)


def _rule(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        if "prefix" in rule:
            return isinstance(value, str) and value.startswith(rule["prefix"])
        if "exists" in rule:
            return bool(rule["exists"])  # reached only when the key is present
        raise ValueError(f"filter rule not supported locally: {rule}")
    return bool(rule == value)


def _jsonable(value: Any) -> Any:
    """A GetRecords attribute value as Lambda's JSON event carries it (binary as base64)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_jsonable(v) for v in value]
    return value


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record in the shape of a Lambda DynamoDB stream event record."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID", uuid.uuid4().hex),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "dynamodb": _jsonable(stream),
        "eventSourceARN": stream_arn,
    }
