"""The template's functions in this process: their environment, warm handlers, one event at a time."""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from local.cfn_template import PSEUDO_PARAMETERS
from local.cloudformation import Route, StreamConsumer
from local.http_api import Response, lambda_response

ACCOUNT_ID, REGION = PSEUDO_PARAMETERS["AWS::AccountId"], PSEUDO_PARAMETERS["AWS::Region"]
Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger(__name__)


class LambdaContext:
    """The parts of the Lambda context object that handlers and Powertools use."""

    def __init__(self, route: Route) -> None:
        self.function_name = route.function
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = route.memory_size
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{route.function}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{route.function}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + route.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def import_handler(handler: str) -> Handler:
    """``handlers.hits.lambda_handler`` -> that function (its module imported once, warm)."""
    module, _, name = handler.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def shared_environment(routes: Iterable[Route | StreamConsumer]) -> dict[str, str]:
    """Every function's environment variables merged: one process serves them all.

    A variable two functions set differently is logged; the first function's value wins.
    """
    environment: dict[str, str] = {}
    for route in routes:
        for key, value in route.environment.items():
            if environment.setdefault(key, value) != value:
                other = environment[key]
                log.warning("%s sets %s=%r, another function %r", route.function, key, value, other)
    return environment


def add_code_dirs(routes: Iterable[Route], template_dir: Path) -> None:
    """Put each function's ``CodeUri`` on ``sys.path``, as Lambda's ``/var/task``."""
    for route in routes:
        code_dir = str((template_dir / route.code_uri).resolve())
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)


class Functions:
    """Warm handlers, imported once, each event run alone.

    Lambda runs one event at a time per instance, and Powertools keeps the current event
    and matched route in class attributes shared by every function's resolver: one
    process serving them all runs one event at a time. (moto's server answers one
    request at a time anyway.)
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._import_lock = threading.Lock()
        self._invocation = threading.Lock()

    def handler(self, name: str) -> Handler:
        """The handler ``name`` (``module.function``), imported on first use."""
        with self._import_lock:
            if name not in self._handlers:
                self._handlers[name] = import_handler(name)
            return self._handlers[name]

    def warm_up(self, routes: Iterable[Route]) -> None:
        """Import every route's handler now, like Lambda's init; failures are only logged
        (each request to the route reports them again)."""
        for route in {r.handler: r for r in routes}.values():
            try:
                self.handler(route.handler)
            except Exception as exc:
                log.warning("cannot import %s: %r", route.handler, exc)

    def invoke(self, route: Route, event: dict[str, Any]) -> Response:
        """Call the route's warm handler with ``event``; its exceptions propagate."""
        handler = self.handler(route.handler)
        with self._invocation:
            return lambda_response(handler(event, LambdaContext(route)))

    def one_at_a_time(self, handler: Handler) -> Handler:
        """``handler``, run alone like every other invocation (for the stream pollers)."""

        def serialized(event: dict[str, Any], context: Any) -> Any:
            with self._invocation:
                return handler(event, context)

        return serialized
