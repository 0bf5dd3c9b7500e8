"""The import direction the folders promise: handlers -> capabilities -> storage -> values.

A storage module that imported an operation (the service, the aggregator, a report
query), or a value module that imported storage, would tie the layers into a knot
that no folder shows; these tests read every module's imports (AST, nothing run).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

SRC = REPO / "src"
# Plain values and rules, free of I/O: everything may import them.
VALUES = {
    "counters.counting.periods",
    "counters.counting.figures",
    "counters.counting.visits",
    "counters.reports.useragents",
    "counters.models",
    "counters.imported.rows",
    "counters.settings",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def modules(package: str) -> dict[str, set[str]]:
    return {
        module_name(path): imports_of(path)
        for path in sorted((SRC / package.replace(".", "/")).rglob("*.py"))
    }


def first_party(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in {"counters", "handlers", "counters_cli"}}


def is_module(name: str) -> bool:
    return (SRC / (name.replace(".", "/") + ".py")).exists() or (
        SRC / name.replace(".", "/") / "__init__.py"
    ).exists()


def test_storage_imports_only_storage_and_values() -> None:
    for module, names in modules("counters.storage").items():
        strays = {
            n
            for n in first_party(names)
            if is_module(n) and not n.startswith("counters.storage") and n not in VALUES
        }
        assert not strays, f"{module} imports {sorted(strays)}: storage may use values only"


def test_values_import_no_storage_and_no_operation() -> None:
    for module in VALUES:
        path = SRC / (module.replace(".", "/") + ".py")
        strays = {n for n in first_party(imports_of(path)) if is_module(n) and n not in VALUES}
        assert not strays, f"{module} imports {sorted(strays)}: a value module imports values only"


def test_the_domain_never_imports_handlers_or_the_local_run() -> None:
    for module, names in modules("counters").items():
        strays = {n for n in names if n.split(".")[0] in {"handlers", "local", "counters_cli"}}
        assert not strays, f"{module} imports {sorted(strays)}"


def test_every_capability_is_a_package_and_no_module_is_left_loose() -> None:
    loose = sorted(p.stem for p in (SRC / "counters").glob("*.py") if p.stem != "__init__")
    assert loose == ["models", "settings"]
