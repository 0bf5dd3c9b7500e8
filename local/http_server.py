"""The local run's HTTP server, and what API Gateway does to a request before the function sees it."""

from __future__ import annotations

import ipaddress
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from local.http_api import Response

Headers = list[tuple[str, str]]


class Api(Protocol):
    """What the server asks of the API it serves (``local.server.LocalApi``)."""

    quiet: bool

    def handle(
        self, method: str, target: str, headers: Headers, body: bytes, peer: str
    ) -> Response: ...


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address (an IPv4-mapped IPv6 one as IPv4), or ``None`` if ``text`` is not one."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return (addr.ipv4_mapped or addr) if isinstance(addr, ipaddress.IPv6Address) else addr


def from_loopback(peer: str) -> bool:
    """Whether the caller is on this machine (who may call AWS_IAM routes locally)."""
    peer_ip = parse_ip(peer)
    return bool(peer_ip and peer_ip.is_loopback)


def source_ip_and_headers(
    peer: str, headers: Headers, trust_forwarded_for: bool
) -> tuple[str, Headers]:
    """``sourceIp`` and the headers as API Gateway passes them on.

    API Gateway appends the caller's address to ``X-Forwarded-For``; with
    ``trust_forwarded_for`` (to simulate many clients) its first address is the caller.
    """
    forwarded = [value for name, value in headers if name.lower() == "x-forwarded-for"]
    source_ip = str(parse_ip(peer) or peer)
    if trust_forwarded_for and forwarded:
        return str(parse_ip(forwarded[0].split(",")[0]) or source_ip), headers
    headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
    headers.append(("X-Forwarded-For", ", ".join([*forwarded, source_ip])))
    return source_ip, headers


class HttpServer(ThreadingHTTPServer):
    """Serves ``api`` over HTTP/1.1 with keep-alive, a thread per connection."""

    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once

    def __init__(self, address: tuple[str, int], api: Api) -> None:
        self.api = api
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer was written (a timeout, a closed tab)
        # is no server error: API Gateway drops such answers silently too.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    server: HttpServer
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
