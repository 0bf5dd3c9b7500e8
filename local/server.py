"""Serve the template's HTTP API locally, the way ``sam local start-api`` would, on moto.

    python -m local.server [--host 127.0.0.1] [--port 3000] [--no-demo] [--stream-window 1] ...

Routes, handlers and environment come from ``template.yaml``; each request becomes
an API Gateway HTTP API payload format 2.0 event (:mod:`local.http_api`) for the warm
handler module (:mod:`local.functions`). DynamoDB is an in-process moto server
(:mod:`local.moto_server`) unless ``AWS_ENDPOINT_URL_DYNAMODB`` is set; the template's
stream consumers are fed by :mod:`local.streams`, on the tables with a stream
(:mod:`local.table_streams`: any other engine still counts). Files under ``web/`` are served at
``/``, ``/dashboard`` and ``/static/...`` (:mod:`local.static_files`).
The command line is :mod:`local.cli`.
Tests: ``with start_local_api() as api: requests.post(api.url + "/v1/sites/demo/hits")``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local import table_streams
from local.ast_guard import serialize_ast_parse
from local.buckets import create_buckets
from local.cfn_template import PSEUDO_PARAMETERS, TEMPLATE_PATH, load_template
from local.cloudformation import Route, create_tables, routes, stream_consumers
from local.functions import Functions, add_code_dirs, shared_environment
from local.http_api import Response, http_api_event, json_message, match_route
from local.http_server import HttpServer, from_loopback, source_ip_and_headers
from local.moto_server import MotoServer
from local.static_files import static_response
from local.streams import StreamPollers

REGION = PSEUDO_PARAMETERS["AWS::Region"]
DEMO_SITE, DEMO_TIMEZONE = "demo", "Asia/Ho_Chi_Minh"
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
log = logging.getLogger("local.server")


class LocalApi:
    """The local HTTP API; see :func:`start_local_api`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        demo: bool = True,
        trust_forwarded_for: bool = False,
        template_path: str | Path = TEMPLATE_PATH,
        quiet: bool = False,
        stream_window: float | None = None,
    ) -> None:
        self.host, self.port, self.demo, self.quiet = host, port, demo, quiet
        self.stream_window = stream_window  # seconds, for every consumer; None: the template's
        self.notices: list[str] = []  # what will not run on this engine, and why
        self.trust_forwarded_for = trust_forwarded_for
        self.template = load_template(template_path)
        self.template_dir = Path(template_path).resolve().parent
        self.dynamodb_endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "")
        self.table_names: dict[str, str] = {}
        self.routes: list[Route] = []
        self.functions = Functions()
        self.streams: StreamPollers | None = None
        self._moto: MotoServer | None = None
        self._s3: MotoServer | None = None
        self._httpd: HttpServer | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:3000`` (no trailing slash)."""
        return f"http://{'127.0.0.1' if self.host in ('', '0.0.0.0') else self.host}:{self.port}"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalApi:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self._use_dynamodb()
        import boto3

        client = boto3.client("dynamodb", endpoint_url=self.dynamodb_endpoint, region_name=REGION)
        self.table_names = create_tables(client, template=self.template)
        self._use_s3()
        self.routes = routes(self.table_names, self.template)
        self._use_function_environment()
        self.functions.warm_up(self.routes)
        self.streams = self._stream_pollers(client).start()
        if self.demo:
            self._register_demo()
        self._httpd = HttpServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, name="local-api", daemon=True).start()
        if any(route.iam_auth for route in self.routes):
            log.warning("IAM auth is simulated: AWS_IAM routes serve loopback clients only")

    def _use_dynamodb(self) -> None:
        """moto's server, unless AWS_ENDPOINT_URL_DYNAMODB names one; fake credentials."""
        if not self.dynamodb_endpoint:
            self._moto = MotoServer()
            self.dynamodb_endpoint = self._moto.url
            self._setenv({"AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint})
            self._setenv(dict.fromkeys(_CREDENTIALS, "testing"))  # never real ones against moto
        else:
            self._setenv({key: os.environ.get(key) or "testing" for key in _CREDENTIALS[:2]})
        self._setenv({"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION})
        self._setenv({"POWERTOOLS_TRACE_DISABLED": "true"})
        # moto answers in milliseconds, but one request at a time: on a busy machine a
        # queue of them can outlast the functions' 2 s read timeout (DynamoDB's p99 is
        # well under it), which would answer 503s no deployment would.
        if "DYNAMODB_READ_TIMEOUT" not in os.environ:
            self._setenv({"DYNAMODB_READ_TIMEOUT": "10"})

    def _use_s3(self) -> None:
        """The template's buckets (the event archive) on moto's server: S3 is never AWS's here,
        whatever engine serves DynamoDB (AWS_ENDPOINT_URL_S3 may name another local one)."""
        import boto3

        if not os.environ.get("AWS_ENDPOINT_URL_S3"):
            if self._moto is None:  # DynamoDB is another engine's: S3 on a server of its own
                self._s3 = MotoServer(s3_only=True)
            self._setenv({"AWS_ENDPOINT_URL_S3": (self._moto or self._s3).url})
        create_buckets(boto3.client("s3", region_name=REGION))

    def _use_function_environment(self) -> None:
        """The functions' environment variables and code directories, in this process."""
        add_code_dirs(self.routes, self.template_dir)
        consumers = stream_consumers(self.template)
        self._setenv(shared_environment([*self.routes, *consumers]))
        try:  # settings are read once per process: read them again, with this environment
            from counters.counting.service import default_service
            from counters.settings import settings
            from counters.storage.archive_bucket import archive_bucket

            settings.cache_clear()
            # ...and warm clients made before it (by a request of a local API stopped in this
            # process, still finishing when its environment was restored) are dropped.
            default_service.cache_clear()
            archive_bucket.cache_clear()
        except ImportError:
            pass

    def _stream_pollers(self, client: Any) -> StreamPollers:
        """The template's stream consumers, fed like Lambda's pollers would (local.streams),
        on the tables that have a stream (local.table_streams): a notice for the others."""
        import boto3

        endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS") or self.dynamodb_endpoint
        streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=REGION)
        found, self.notices = table_streams.pollers(
            self.template,
            self.table_names,
            (client, streams),
            lambda consumer: self.functions.one_at_a_time(self.functions.handler(consumer.handler)),
            self.stream_window,
        )
        for line in self.notices:
            log.warning("%s", line)
        return StreamPollers(found)

    def _register_demo(self) -> None:
        path = f"/v1/sites/{DEMO_SITE}"
        route, params = self.match("PUT", path)
        if route is None:
            log.warning("no PUT %s route: demo site not registered", path)
            return
        headers = [("Content-Type", "application/json"), ("User-Agent", "local-server")]
        body = json.dumps({"timezone": DEMO_TIMEZONE}).encode()
        event = http_api_event(route, "PUT", path, "", headers, body, "127.0.0.1", params)
        try:
            response = self.invoke(route, event)
        except ImportError as exc:
            log.warning("demo site not registered: %s is missing (%s)", route.handler, exc)
            return
        if response.status >= 300:
            answer = response.body.decode(errors="replace")
            log.warning("registering the demo site answered %s: %s", response.status, answer)

    def drain_streams(self) -> None:
        """Delivers every stream record written so far to its consumers, now."""
        if self.streams:
            self.streams.drain()

    def stop(self) -> None:
        """Stop the HTTP server and the moto server; restore the environment variables."""
        if self.streams:
            self.streams.stop()
            self.streams = None
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for server in (self._moto, self._s3):
            if server:
                server.stop()
        self._moto = self._s3 = None
        self._restore_environment()

    def __enter__(self) -> LocalApi:
        return self if self._httpd else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _setenv(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_environment(self) -> None:
        for key, old in self._saved_env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        self._saved_env.clear()

    # -- requests --------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The most specific route for a request and its path parameters; ``None`` if none."""
        return match_route(self.routes, method, path)

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, peer: str
    ) -> Response:
        """Answer one HTTP request: a template route, else a ``web/`` file, else 404."""
        url = urlsplit(target)
        route, params = self.match(method, url.path)
        if route is None:  # HTTP API answers 404 for a known path with another method, too
            return static_response(method, url.path) or json_message(404, "Not Found")
        if route.iam_auth and not from_loopback(peer):
            return json_message(403, "Forbidden")
        source_ip, headers = source_ip_and_headers(peer, headers, self.trust_forwarded_for)
        event = http_api_event(route, method, url.path, url.query, headers, body, source_ip, params)
        try:
            return self.invoke(route, event)
        except Exception:
            log.exception("%s failed", route.handler)
            return json_message(500, "Internal Server Error")

    def invoke(self, route: Route, event: dict[str, Any]) -> Response:
        """Call the route's warm handler with ``event``; its exceptions propagate."""
        return self.functions.invoke(route, event)


def start_local_api(
    host: str = "127.0.0.1",
    port: int = 0,
    demo: bool = True,
    trust_forwarded_for: bool = False,
    **options: Any,
) -> LocalApi:
    """Start the local API in background threads (``port=0``: a free port) and return it.

    The :class:`LocalApi` has ``.url``, ``.dynamodb_endpoint``, ``.table_names`` and
    ``.stop()``, and is a context manager. One at a time per process: it sets
    ``os.environ`` (``stop()`` restores it), and handler modules stay imported (warm).
    Options: ``template_path``, ``quiet`` (no request log), ``stream_window`` (seconds for
    every stream consumer's batching window; default: the template's).
    """
    serialize_ast_parse()  # its threads format tracebacks
    return LocalApi(host, port, demo, trust_forwarded_for, **options).start()


if __name__ == "__main__":  # the command line is local.cli's
    from local.cli import main

    sys.exit(main())
