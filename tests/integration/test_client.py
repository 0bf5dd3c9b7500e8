"""The functions' DynamoDB client: made without boto3 in Lambda, by boto3's session where loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import boto3
from botocore.stub import Stubber

from counters.storage.client import dynamodb_client
from tests.conftest import REPO

WITHOUT_BOTO3 = """
import sys
from botocore.stub import Stubber
from counters.storage.client import dynamodb_client, dynamodb_session
client = dynamodb_client()
with Stubber(client) as stub:
    stub.add_response("get_item", {"Item": {"pk": {"S": "SITE#a"}}})
    item = client.get_item(TableName="t", Key={"pk": {"S": "SITE#a"}})["Item"]
print("boto3" in sys.modules, item, client.meta.config.retries["total_max_attempts"],
      dynamodb_session().get_available_services())
"""


def test_a_lambda_function_makes_its_client_without_importing_boto3() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_BOTO3], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "{'pk':", "{'S':", "'SITE#a'}}", "1", "['dynamodb']"]


def test_where_boto3_is_loaded_hooks_on_its_default_session_hear_the_client() -> None:
    heard: list[str] = []

    def record(model: Any, **_: Any) -> None:
        heard.append(model.name)

    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-parameter-build", record)
    try:
        client = dynamodb_client()
        with Stubber(client) as stub:
            stub.add_response("get_item", {})
            client.get_item(TableName="t", Key={"pk": {"S": "SITE#a"}})
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-parameter-build", record)
    assert heard == ["GetItem"]
    assert client.meta.config.connect_timeout == 1.0  # the settings' timeouts, no SDK retries
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
