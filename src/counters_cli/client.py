"""Requests to the counter's API, signed with SigV4 from the operator's AWS credentials.

The operator routes are AWS_IAM: botocore's `SigV4Auth` signs each request for
`execute-api` with the credentials the AWS CLI would use (environment, profile,
SSO, instance role). The local server (`make run`) accepts signed and unsigned
requests alike, so without credentials requests to a loopback URL go unsigned.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


def api_from_stack(stack: str, region: str | None) -> str:
    """The stack's `ApiUrl` output (CloudFormation DescribeStacks)."""
    session = botocore.session.get_session()
    client: Any = session.create_client("cloudformation", region_name=region)
    outputs = client.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    for output in outputs:
        if output["OutputKey"] == "ApiUrl":
            return str(output["OutputValue"])
    raise SystemExit(f"stack {stack!r} has no ApiUrl output")


def _is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("localhost", "127.0.0.1", "::1")


@dataclass
class Api:
    base: str
    region: str = ""
    timeout: float = 30.0

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        session = botocore.session.get_session()
        match = _EXECUTE_API_HOST.match(urlsplit(self.base).hostname or "")
        configured = session.get_config_variable("region")
        self.region = self.region or (match[1] if match else configured) or "us-east-1"
        credentials = session.get_credentials()
        if credentials is None and not _is_loopback(self.base):
            raise SystemExit(
                "no AWS credentials found (the operator routes are AWS_IAM): configure them "
                "as for the AWS CLI (aws configure, AWS_PROFILE, ...)"
            )
        self.credentials = credentials

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Any:
        """Sends one request; the answer's JSON (None for 204), or `ApiError`."""
        _, data = self.fetch(method, path, body, content_type)
        text = data.decode()
        return json.loads(text) if text else None

    def fetch(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[str, bytes]:
        """Sends one request; the answer's content type and bytes, or `ApiError`."""
        headers = {"Content-Type": content_type} if content_type else {}
        signed = AWSRequest(method=method, url=self.base + path, data=body, headers=headers)
        if self.credentials is not None:
            SigV4Auth(
                self.credentials.get_frozen_credentials(), "execute-api", self.region
            ).add_auth(signed)
        prepared = signed.prepare()
        request = urllib.request.Request(
            prepared.url, data=body, headers=dict(prepared.headers), method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            try:
                message = json.loads(text).get("message") or text
            except (ValueError, AttributeError):
                message = text
            raise ApiError(exc.code, str(message)) from None

    def send_json(self, method: str, path: str, body: Any) -> Any:
        return self.request(method, path, json.dumps(body).encode(), "application/json")
