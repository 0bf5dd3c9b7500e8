"""Kill rate per module of the last `mutmut run`, and the surviving mutants (`make mutation`).

Reads mutmut's result files under mutants/ (run from the repository root). A mutant is
killed when a test failed or timed out with it; its module's kill rate is killed over the
mutants that were run (a mutant no test reached counts as surviving; "not run" are those a
run given a list of mutant names left out). `--survivors` also lists each surviving mutant
with the line it changed, as docs/mutation.md records them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = {"killed", "timeout", "caught by type check"}
NOT_RUN = {"not checked", "check was interrupted by user", "skipped"}


def results(root: Path) -> dict[str, dict[str, str]]:
    """Status of every mutant, by module (dotted, as mutmut names them)."""
    by_module: dict[str, dict[str, str]] = {}
    for meta in sorted((root / "mutants" / "src").rglob("*.py.meta")):
        module = str(meta.relative_to(root / "mutants" / "src"))[: -len(".py.meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        by_module[module.replace("/", ".")] = {
            name: status_by_exit_code[code] for name, code in codes.items()
        }
    return by_module


def changed_line(name: str) -> str:
    """The source line a mutant changes, before and after (from mutmut's diff)."""
    from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=find_mutant(name).path).splitlines()
    old = [line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")]
    new = [line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")]
    return f"{' / '.join(old)}  ->  {' / '.join(new)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--markdown", action="store_true", help="a table for docs/mutation.md")
    parser.add_argument(
        "--names", type=Path, help="only the mutants named in this file, one a line"
    )
    args = parser.parse_args()
    by_module = results(Path.cwd())
    if args.names:
        wanted = set(args.names.read_text().split())
        by_module = {
            module: {name: status for name, status in statuses.items() if name in wanted}
            for module, statuses in by_module.items()
        }
    if not by_module:
        print("no mutmut results under mutants/: run `make mutation`", file=sys.stderr)
        return 1
    rows = []
    totals: Counter[str] = Counter()
    for module, statuses in by_module.items():
        counts = Counter(statuses.values())
        killed = sum(counts[s] for s in KILLED)
        not_run = sum(counts[s] for s in NOT_RUN)
        survived = len(statuses) - killed - not_run
        totals.update(mutants=len(statuses), killed=killed, survived=survived, not_run=not_run)
        rows.append((module, len(statuses), killed, survived, not_run))
    rows.append(("all", totals["mutants"], totals["killed"], totals["survived"], totals["not_run"]))
    if args.markdown:
        print("| module | mutants | killed | survived | not run | kill rate |")
        print("|---|---:|---:|---:|---:|---:|")
    else:
        print(
            f"{'module':40} {'mutants':>7} {'killed':>7} {'survived':>8} {'not run':>7} {'kill rate':>9}"
        )
    for module, total, killed, survived, not_run in rows:
        run = total - not_run
        rate = f"{100 * killed / run:.1f}%" if run else "-"
        if args.markdown:
            print(f"| {module} | {total} | {killed} | {survived} | {not_run} | {rate} |")
        else:
            print(f"{module:40} {total:7} {killed:7} {survived:8} {not_run:7} {rate:>9}")
    if args.survivors:
        print()
        for statuses in by_module.values():
            for name, status in statuses.items():
                if status not in KILLED | NOT_RUN:
                    print(f"{name} [{status}]: {changed_line(name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
