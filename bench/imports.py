"""Cold import of each handler module against boto3 + a DynamoDB client, in fresh interpreters.

Each sample is a new `python -c` with the template's environment for that
function (plus what the Lambda runtime sets), timing in the child only the
statement under test (the interpreter's own start-up is the same for all and
left out). Runs are interleaved (A B C A B C ...) so that machine load hits
all of them alike; the figure is the median.

Our code is measured as `make build` ships it: a copy of `src/` compiled to
bytecode (`compileall --invalidation-mode unchecked-hash`), so no sample pays for
compiling it (these machines run with PYTHONDONTWRITEBYTECODE; Lambda's /var/task
is read-only). The libraries have bytecode from their install. "the stack alone"
is what the hit function is built on, without any module of ours but the client's:
Powertools' HTTP resolver with its OpenAPI parameters, Logger, Metrics, pydantic
and the same DynamoDB client; it shows how much of the ratio is ours.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from local.cloudformation import routes

REPO = Path(__file__).resolve().parent.parent
# BENCH_SRC=/elsewhere/src measures another checkout's code (e.g. before a change).
SRC = Path(os.environ.get("BENCH_SRC", REPO / "src")).resolve()

BASELINE = "import boto3; boto3.client('dynamodb')"
# The hit function's own first-call set-up, which a cold start pays before answering.
FIRST_CALL = "from counters.counting.service import default_service; default_service()"
STACK_ALONE = (
    "from aws_lambda_powertools import Logger, Metrics; "
    "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver; "
    "from aws_lambda_powertools.event_handler.openapi.params import Body, Header; "
    "import pydantic; "
    # our client module alone, without the storage package that holds it
    "import importlib.util as u; s = u.spec_from_file_location('client', 'counters/storage/client.py'); "
    "m = u.module_from_spec(s); s.loader.exec_module(m); m.dynamodb_client()"
)

CHILD = """
import time
c0, w0 = time.process_time(), time.perf_counter()
{statement}
print(time.process_time() - c0, time.perf_counter() - w0)
"""


@dataclass(frozen=True)
class Timing:
    cpu_ms: float
    wall_ms: float
    min_cpu_ms: float = (
        0.0  # the least of the samples: what noise on a shared machine adds to least
    )


def handler_modules() -> dict[str, dict[str, str]]:
    """module -> the environment the template gives its function."""
    found: dict[str, dict[str, str]] = {}
    for route in routes():
        module = route.handler.rpartition(".")[0]
        found.setdefault(module, dict(route.environment))
    return found


def compiled_copy(into: Path) -> Path:
    """A copy of SRC with bytecode, as `make build` leaves the functions' code."""
    code = into / "src"
    shutil.copytree(SRC, code, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    compileall.compile_dir(
        code, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    return code


def _environment(function_env: dict[str, str], code: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env.update(function_env)
    env.update(
        PYTHONPATH=str(code),
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_LAMBDA_FUNCTION_NAME="bench",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
        LAMBDA_TASK_ROOT=str(code),
    )
    return env


def _sample(statement: str, env: dict[str, str]) -> Timing:
    code = env["PYTHONPATH"]
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(statement=statement)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=code,
    ).stdout.split()
    return Timing(cpu_ms=float(out[0]) * 1000, wall_ms=float(out[1]) * 1000)


def measure(runs: int = 9) -> dict[str, Timing]:
    """Median timings of the baseline and of each handler import (with and without first call)."""
    with tempfile.TemporaryDirectory() as tmp:
        return _measure(runs, compiled_copy(Path(tmp)))


def _measure(runs: int, code: Path) -> dict[str, Timing]:
    modules = handler_modules()
    any_env = _environment(next(iter(modules.values())), code)
    cases: dict[str, tuple[str, dict[str, str]]] = {
        "boto3 + dynamodb client": (BASELINE, any_env),
        "the stack alone + client": (STACK_ALONE, any_env),
    }
    for module, env in modules.items():
        function_env = _environment(env, code)
        cases[f"import {module}"] = (f"import {module}", function_env)
        cases[f"import {module} + client"] = (f"import {module}; {FIRST_CALL}", function_env)
    samples: dict[str, list[Timing]] = {name: [] for name in cases}
    for statement, env in cases.values():
        _sample(statement, env)  # warm-up: compile bytecode, fill the page cache
    for _ in range(runs):
        for name, (statement, env) in cases.items():
            samples[name].append(_sample(statement, env))
    return {
        name: Timing(
            cpu_ms=statistics.median(t.cpu_ms for t in timings),
            wall_ms=statistics.median(t.wall_ms for t in timings),
            min_cpu_ms=min(t.cpu_ms for t in timings),
        )
        for name, timings in samples.items()
    }


def report(runs: int = 9) -> list[str]:
    timings = measure(runs)
    base = timings["boto3 + dynamodb client"]
    lines = [
        f"cold import, median (and least) of {runs} fresh interpreters, our code compiled as"
        " make build ships it (x: against boto3 + client; SPEC: a handler + client within 1.1x"
        " of the stack alone + client)"
    ]
    lines.append(
        f"  {'':40} {'CPU ms':>8} {'wall ms':>8} {'CPU x':>6} {'wall x':>6} {'least':>6} {'x':>5}"
    )
    for name, t in timings.items():
        lines.append(
            f"  {name:40} {t.cpu_ms:8.0f} {t.wall_ms:8.0f} "
            f"{t.cpu_ms / base.cpu_ms:6.2f} {t.wall_ms / base.wall_ms:6.2f}"
            f" {t.min_cpu_ms:6.0f} {t.min_cpu_ms / base.min_cpu_ms:5.2f}"
        )
    stack = timings.get("the stack alone + client")
    if stack is not None:
        for name, t in timings.items():
            if name.startswith("import handlers.") and name.endswith("+ client"):
                lines.append(
                    f"  {name}: {t.min_cpu_ms / stack.min_cpu_ms:.2f}x the stack alone + client"
                    f" (least CPU), {t.cpu_ms / stack.cpu_ms:.2f}x (median)"
                )
    return lines


if __name__ == "__main__":
    print("\n".join(report()))
