"""One ``ast.parse`` at a time, on Pythons whose AST builder is not thread-safe.

CPython before 3.13 keeps the AST constructor's recursion depth in state shared by
every thread (python/cpython#106905): two threads parsing at once (a traceback being
formatted in a stream poller or request thread while pytest rewrites a module it
imports) can fail with ``SystemError: AST constructor recursion depth mismatch``.
The local run and the tests run many threads, so they serialise ``ast.parse``.
"""

from __future__ import annotations

import ast
import sys
import threading
from typing import Any

_LOCK = threading.RLock()


def serialize_ast_parse() -> None:
    """Wrap ``ast.parse`` in a process-wide lock (once; a no-op on 3.13 and newer)."""
    if sys.version_info >= (3, 13) or getattr(ast.parse, "serialized", False):
        return
    parse = ast.parse

    def serialized_parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return parse(*args, **kwargs)

    serialized_parse.serialized = True  # type: ignore[attr-defined]
    ast.parse = serialized_parse  # type: ignore[assignment]
