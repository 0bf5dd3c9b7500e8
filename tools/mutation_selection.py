"""Per-module test selection for `make mutation` (a pytest plugin, loaded by [tool.mutmut]).

mutmut runs, for each mutant, the tests that called the mutated function in a first
run of the whole selection; this narrows them to the unit tests and the integration
files that exercise the mutant's module, so that a surviving mutant of the hit service
costs its own integration tests and not every test that happens to pass through it.
The first run (MUTANT_UNDER_TEST "stats"), the clean run and the forced failure are
left whole.
"""

from __future__ import annotations

import os
import re
from typing import Any

UNIT = "tests/unit/"
IT = "tests/integration/"
CORE_RULES = [f"{IT}test_core_rules.py"]
AGGREGATION = [f"{IT}test_aggregation.py", f"{IT}test_engine_without_old_item.py"]

# Module (as mutmut names it) -> the integration test files that exercise it.
SELECTION: dict[str, list[str]] = {
    "counters.counting.periods": [f"{IT}test_counting.py", *CORE_RULES],
    "counters.counting.figures": [
        f"{IT}test_counting.py",
        f"{IT}test_same_instant.py",
        *CORE_RULES,
    ],
    "counters.counting.visits": [
        f"{IT}test_visitors.py",
        f"{IT}test_behind_cloudfront.py",
        *CORE_RULES,
    ],
    "counters.counting.service": [
        f"{IT}test_counting.py",
        f"{IT}test_visitors.py",
        f"{IT}test_same_instant.py",
        *AGGREGATION,
        f"{IT}test_service_rules.py",
        f"{IT}test_admission.py",
        f"{IT}test_history_footer.py",
        *CORE_RULES,
    ],
    "counters.counting.admission": [
        f"{IT}test_admission.py",
        f"{IT}test_service_rules.py",
        *CORE_RULES,
    ],
    "counters.aggregation.notes": [
        *AGGREGATION,
        f"{IT}test_foreign_events.py",
        f"{IT}test_breakdown_api.py",
    ],
    "counters.aggregation.batches": [*AGGREGATION, f"{IT}test_foreign_events.py", *CORE_RULES],
    "counters.aggregation.aggregator": [
        *AGGREGATION,
        f"{IT}test_breakdown_api.py",
        f"{IT}test_aggregator_rules.py",
        *CORE_RULES,
    ],
    "counters.storage.updates": [*AGGREGATION, f"{IT}test_update_rules.py", *CORE_RULES],
    "counters.storage.visitor_items": [
        f"{IT}test_address_places.py",
        f"{IT}test_visitor_sightings.py",
        f"{IT}test_visitors.py",
        f"{IT}test_counting.py",
        f"{IT}test_same_instant.py",
        f"{IT}test_engine_without_old_item.py",
        f"{IT}test_service_rules.py",
        f"{IT}test_admission.py",
    ],
    "counters.reports.queries": [
        f"{IT}test_history_api.py",
        f"{IT}test_history_import.py",
        f"{IT}test_breakdown_api.py",
        f"{IT}test_report_rules.py",
        *CORE_RULES,
    ],
}

_MODULE = re.compile(r"^(?P<module>[\w.]+?)\.x[_ǁ]")


def selected(module: str) -> tuple[str, ...] | None:
    files = SELECTION.get(module)
    return None if files is None else (UNIT, *files)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    found = _MODULE.match(os.environ.get("MUTANT_UNDER_TEST", ""))
    prefixes = selected(found.group("module")) if found else None
    if prefixes is None:
        return
    kept = [item for item in items if item.nodeid.startswith(prefixes)]
    dropped = [item for item in items if not item.nodeid.startswith(prefixes)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
