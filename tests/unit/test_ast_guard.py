"""``ast.parse`` from many threads at once never fails (see local/ast_guard.py).

Without the guard, CPython 3.11 fails this about once a run: threads at different
stack depths parse while garbage collection runs finalisers mid-parse, and the shared
recursion counter no longer matches.
"""

from __future__ import annotations

import ast
import sys
import threading
from pathlib import Path

from local.ast_guard import serialize_ast_parse

SOURCE = Path(ast.__file__).read_text()


class _Finaliser:
    def __del__(self) -> None:
        sum(range(200))


def test_parsing_in_four_threads_at_different_depths_never_raises() -> None:
    serialize_ast_parse()
    errors: list[BaseException] = []

    def parse_at(depth: int) -> None:
        if depth:
            return parse_at(depth - 1)
        for _ in range(10):
            for _ in range(200):
                cycle = _Finaliser()
                cycle.self = cycle  # type: ignore[attr-defined]
            try:
                ast.parse(SOURCE)
            except SystemError as error:
                errors.append(error)
        return None

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=parse_at, args=(depth,)) for depth in (5, 60, 120, 200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
