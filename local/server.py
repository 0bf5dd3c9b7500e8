"""Serve the template's HTTP API locally, the way ``sam local start-api`` would, on moto.

    python -m local.server [--host 127.0.0.1] [--port 3000] [--no-demo] [--trust-forwarded-for]

Routes, handlers and environment come from ``template.yaml``; each request becomes
an API Gateway HTTP API payload format 2.0 event for the warm handler module.
DynamoDB is an in-process moto server unless ``AWS_ENDPOINT_URL_DYNAMODB`` is set.
Files under ``web/`` are served at ``/``, ``/dashboard`` and ``/static/...``.
Tests: ``with start_local_api() as api: requests.post(api.url + "/v1/sites/demo/hits")``.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import ipaddress
import json
import logging
import os
import re
import signal
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.ast_guard import serialize_ast_parse
from local.cloudformation import (
    PSEUDO_PARAMETERS,
    REPO_ROOT,
    TEMPLATE_PATH,
    Route,
    create_tables,
    load_template,
    routes,
    stream_consumers,
)
from local.streams import StreamPoller, StreamPollers

ACCOUNT_ID, REGION = PSEUDO_PARAMETERS["AWS::AccountId"], PSEUDO_PARAMETERS["AWS::Region"]
WEB_DIR = REPO_ROOT / "web"
DEMO_SITE, DEMO_TIMEZONE = "demo", "Asia/Ho_Chi_Minh"
#: ``requestContext.authorizer.iam`` of AWS_IAM routes (granted to loopback clients only).
LOCAL_OPERATOR = {
    "accessKey": "AKIAIOSFODNN7EXAMPLE",
    "accountId": ACCOUNT_ID,
    "callerId": "AIDALOCALOPERATOR",
    "cognitoIdentity": None,
    "principalOrgId": None,
    "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/local-operator",
    "userId": "AIDALOCALOPERATOR",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_moto_port = 0  # reused by the next start in this process: warm handlers keep their clients
log = logging.getLogger("local.server")


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _message(status: int, message: str) -> Response:
    body = json.dumps({"message": message}).encode()
    return Response(status, [("Content-Type", "application/json")], body)


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


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return (addr.ipv4_mapped or addr) if isinstance(addr, ipaddress.IPv6Address) else addr


@cache
def _route_regex(path: str) -> re.Pattern[str]:
    """``/v1/sites/{site}`` -> a regex with one named group per ``{param}`` (``{p+}`` greedy)."""
    parts = []
    for segment in path.split("/"):
        m = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        parts.append(f"(?P<{m[1]}>{'.+' if m[2] else '[^/]+'})" if m else re.escape(segment))
    return re.compile("/".join(parts))


def http_api_event(
    route: Route,
    method: str,
    raw_path: str,
    raw_query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    source_ip: str = "127.0.0.1",
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload format 2.0) event for one request."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":  # HTTP API moves cookies out of the headers
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    now = time.time()
    gmt = time.gmtime(now)
    domain = urlsplit("//" + joined.get("host", "localhost")).hostname or "localhost"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        **({"cookies": cookies} if cookies else {}),
        "headers": joined,
        **({"queryStringParameters": query} if query else {}),
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            **({"authorizer": {"iam": dict(LOCAL_OPERATOR)}} if route.iam_auth else {}),
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": base64.b64encode(os.urandom(11)).decode(),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime(f"%d/{_MONTHS[gmt.tm_mon - 1]}/%Y:%H:%M:%S +0000", gmt),
            "timeEpoch": int(now * 1000),
        },
        **({"pathParameters": path_parameters} if path_parameters else {}),
        "isBase64Encoded": False,
    }
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def lambda_response(result: Any) -> Response:
    """Translate a handler's return value as HTTP API does for payload format 2.0."""
    if not isinstance(result, dict) or "statusCode" not in result:  # a bare JSON answer
        body = result if isinstance(result, str) else json.dumps(result)
        return Response(200, [("Content-Type", "application/json")], body.encode())
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    multi = result.get("multiValueHeaders") or {}
    headers += [(k, str(v)) for k, values in multi.items() for v in values]
    headers += [("Set-Cookie", cookie) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError(f"the response body must be a string, not {type(body).__name__}")
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return Response(int(result["statusCode"]), headers, data)


def static_file(path: str) -> Path | None:
    """The ``web/`` file a GET of ``path`` serves, if any (never outside ``web/``, no dotfiles)."""
    if path == "/":
        names = ["index.html"]
    elif path.rstrip("/") == "/dashboard":
        names = ["dashboard.html"]
    elif path.startswith("/static/"):
        names = ["static/" + path[8:], path[8:]]
    elif re.fullmatch(r"/[^/]+\.(js|css|html|svg|ico|png)", path):
        names = [path[1:]]
    else:
        return None
    root = WEB_DIR.resolve()
    for name in map(unquote, names):
        if any(part.startswith(".") for part in name.split("/")):
            return None
        candidate = (root / name).resolve()
        if root in candidate.parents and candidate.is_file():
            return candidate
    return None


class _MotoServer:
    """moto's server app on loopback, answering one request at a time.

    moto applies concurrent updates non-atomically (concurrent ``ADD`` s get lost);
    real DynamoDB does not, so requests are serialized here.
    """

    def __init__(self) -> None:
        global _moto_port
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app, lock = DomainDispatcherApplication(create_backend_app), threading.Lock()

        def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            with lock:
                return list(app(environ, start_response))

        def serve(port: int) -> Any:
            return make_server(
                "127.0.0.1", port, serialized, True, request_handler=MotoRequestHandler
            )

        try:
            self._server = serve(_moto_port)
        except OSError:  # the previous port was taken meanwhile
            self._server = serve(0)
        _moto_port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{_moto_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        # moto keeps its state per process: start empty even if a server ran here before.
        reset = urllib.request.Request(self.url + "/moto-api/reset", method="POST")
        urllib.request.urlopen(reset).close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


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
    ) -> None:
        self.host, self.port, self.demo, self.quiet = host, port, demo, quiet
        self.trust_forwarded_for = trust_forwarded_for
        self.template = load_template(template_path)
        self.template_dir = Path(template_path).resolve().parent
        self.dynamodb_endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "")
        self.table_names: dict[str, str] = {}
        self.routes: list[Route] = []
        self._moto: _MotoServer | None = None
        self._httpd: _HttpServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._import_lock = threading.Lock()
        # Lambda runs one event at a time per instance, and Powertools keeps the current
        # event and matched route in class attributes shared by every function's
        # resolver: one process serving them all runs one event at a time. (moto's server
        # answers one request at a time anyway.)
        self._invocation = threading.Lock()
        self.streams: StreamPollers | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:3000`` (no trailing slash)."""
        return f"http://{'127.0.0.1' if self.host in ('', '0.0.0.0') else self.host}:{self.port}"

    def start(self) -> LocalApi:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        if not self.dynamodb_endpoint:
            self._moto = _MotoServer()
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
        import boto3

        client = boto3.client("dynamodb", endpoint_url=self.dynamodb_endpoint, region_name=REGION)
        self.table_names = create_tables(client, template=self.template)
        self.routes = routes(self.table_names, self.template)
        environment: dict[str, str] = {}
        for route in self.routes:  # one process serves every function: one environment
            for key, value in route.environment.items():
                if environment.setdefault(key, value) != value:
                    other = environment[key]
                    log.warning(
                        "%s sets %s=%r, another function %r", route.function, key, value, other
                    )
            code_dir = str((self.template_dir / route.code_uri).resolve())
            if code_dir not in sys.path:
                sys.path.insert(0, code_dir)
        self._setenv(environment)
        try:  # settings are read once per process: read them again, with this environment
            from counters.settings import settings

            settings.cache_clear()
        except ImportError:
            pass
        for route in {r.handler: r for r in self.routes}.values():  # warm up, like Lambda init
            try:
                self._handler(route)
            except Exception as exc:  # reported again with each request to the route
                log.warning("cannot import %s: %r", route.handler, exc)
        self.streams = self._stream_pollers(client).start()
        if self.demo:
            self._register_demo()
        self._httpd = _HttpServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, name="local-api", daemon=True).start()
        if any(route.iam_auth for route in self.routes):
            log.warning("IAM auth is simulated: AWS_IAM routes serve loopback clients only")

    def _stream_pollers(self, client: Any) -> StreamPollers:
        """The template's stream consumers, fed like Lambda's pollers would (local.streams).

        Batching windows are the template's unless LOCAL_STREAM_WINDOW (seconds) is set:
        `make run` sets 1, so a local dashboard is not minutes behind.
        """
        import boto3

        endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB_STREAMS") or self.dynamodb_endpoint
        streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=REGION)
        window = os.environ.get("LOCAL_STREAM_WINDOW")
        pollers = []
        for consumer in stream_consumers(self.template):
            table = client.describe_table(TableName=self.table_names[consumer.table])["Table"]
            pollers.append(
                StreamPoller(
                    consumer,
                    self._one_at_a_time(self._import(consumer.handler)),
                    streams,
                    table["LatestStreamArn"],
                    window=float(window) if window else None,
                )
            )
        return StreamPollers(pollers)

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
        if self._moto:
            self._moto.stop()
            self._moto = None
        for key, old in self._saved_env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        self._saved_env.clear()

    def __enter__(self) -> LocalApi:
        return self if self._httpd else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _setenv(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        """The most specific route for a request and its path parameters; ``None`` if none."""
        found: list[tuple[tuple[int, int, bool], Route, dict[str, str]]] = []
        for route in self.routes:
            if route.method in (method, "ANY") and (m := _route_regex(route.path).fullmatch(path)):
                params = {key: unquote(value) for key, value in m.groupdict().items()}
                specificity = (route.path.count("+}"), len(params), route.method == "ANY")
                found.append((specificity, route, params))
        if not found:
            return None, {}
        _, route, params = min(found, key=lambda candidate: candidate[0])
        return route, params

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, peer: str
    ) -> Response:
        """Answer one HTTP request: a template route, else a ``web/`` file, else 404."""
        url = urlsplit(target)
        route, params = self.match(method, url.path)
        if route is None:  # HTTP API answers 404 for a known path with another method, too
            file = static_file(url.path) if method in ("GET", "HEAD") else None
            if file is None:
                return _message(404, "Not Found")
            content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
            headers = [("Content-Type", content_type), ("Cache-Control", "no-cache")]
            return Response(200, headers, file.read_bytes())
        peer_ip = _ip(peer)
        if route.iam_auth and not (peer_ip and peer_ip.is_loopback):
            return _message(403, "Forbidden")
        forwarded = [value for name, value in headers if name.lower() == "x-forwarded-for"]
        source_ip = str(peer_ip or peer)
        if self.trust_forwarded_for and forwarded:
            source_ip = str(_ip(forwarded[0].split(",")[0]) or source_ip)
        else:  # as API Gateway does: append the caller's address
            headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
            headers.append(("X-Forwarded-For", ", ".join([*forwarded, source_ip])))
        event = http_api_event(route, method, url.path, url.query, headers, body, source_ip, params)
        try:
            return self.invoke(route, event)
        except Exception:
            log.exception("%s failed", route.handler)
            return _message(500, "Internal Server Error")

    def invoke(self, route: Route, event: dict[str, Any]) -> Response:
        """Call the route's warm handler with ``event``; its exceptions propagate."""
        handler = self._handler(route)
        with self._invocation:
            return lambda_response(handler(event, LambdaContext(route)))

    def _one_at_a_time(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def serialized(event: dict[str, Any], context: Any) -> Any:
            with self._invocation:
                return handler(event, context)

        return serialized

    def _handler(self, route: Route) -> Callable[..., Any]:
        return self._import(route.handler)

    def _import(self, handler: str) -> Callable[..., Any]:
        with self._import_lock:
            if handler not in self._handlers:
                module, _, name = handler.rpartition(".")
                self._handlers[handler] = getattr(importlib.import_module(module), name)
            return self._handlers[handler]

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


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once

    def __init__(self, address: tuple[str, int], api: LocalApi) -> None:
        self.api = api
        super().__init__(address, _RequestHandler)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "local-http-api"

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers, peer = list(self.headers.items()), self.client_address[0]
        response = self.server.api.handle(self.command, self.path, headers, body, peer)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.api.quiet:
            super().log_message(format, *args)


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
    Options: ``template_path``, ``quiet`` (no request log).
    """
    serialize_ast_parse()  # its threads format tracebacks
    return LocalApi(host, port, demo, trust_forwarded_for, **options).start()


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser("python -m local.server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    demo_help = f"register the site '{DEMO_SITE}' on start (default: on; env DEMO)"
    parser.add_argument("--demo", action=argparse.BooleanOptionalAction, help=demo_help)
    trust_help = "take sourceIp from X-Forwarded-For, to simulate many clients"
    parser.add_argument("--trust-forwarded-for", action="store_true", help=trust_help)
    parser.add_argument("--template", default=str(TEMPLATE_PATH))
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.set_defaults(
        demo=_flag("DEMO", True), trust_forwarded_for=_flag("TRUST_FORWARDED_FOR", False)
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        options = {"template_path": args.template, "quiet": args.quiet}
        api = start_local_api(args.host, args.port, args.demo, args.trust_forwarded_for, **options)
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Visit counter running at {api.url}/ (demo portal), API at {api.url}/v1/...")
    for route in api.routes:
        print(f"  {route.route_key:<32} {route.handler}{' (AWS_IAM)' if route.iam_auth else ''}")
    print(f"DynamoDB at {api.dynamodb_endpoint}. Ctrl-C to stop.", flush=True)
    while not stopping.wait(0.2):
        pass
    api.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
