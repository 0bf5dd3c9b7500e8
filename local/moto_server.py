"""moto's DynamoDB (and DynamoDB Streams) server on loopback, for the local run."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
_port = 0  # reused by the next start in this process: warm handlers keep their clients


class MotoServer:
    """moto's server app on loopback, answering one request at a time.

    moto applies concurrent updates non-atomically (concurrent ``ADD`` s get lost);
    real DynamoDB does not, so requests are serialized here.
    """

    def __init__(
        self, middleware: Callable[[WsgiApp], WsgiApp] | None = None, *, s3_only: bool = False
    ) -> None:
        """``middleware`` wraps moto's app: tests make it answer as another engine would.

        ``s3_only``: a server for S3 beside another DynamoDB engine, which may be moto in this
        very process: a port of its own, and moto's state (shared in a process) kept as it is.
        """
        global _port
        try:
            self._server = _make_server(0 if s3_only else _port, middleware)
        except OSError:  # the previous port was taken meanwhile
            self._server = _make_server(0, middleware)
        port = self._server.server_address[1]
        if not s3_only:
            _port = port
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        if not s3_only:
            # moto keeps its state per process: start empty even if a server ran here before.
            reset = urllib.request.Request(self.url + "/moto-api/reset", method="POST")
            urllib.request.urlopen(reset).close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _make_server(port: int, middleware: Callable[[WsgiApp], WsgiApp] | None) -> Any:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    app, lock = (middleware or (lambda wsgi: wsgi))(app), threading.Lock()

    def serialized(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return make_server("127.0.0.1", port, serialized, True, request_handler=MotoRequestHandler)
