"""Page goals: which goals a page view reaches, and whether first in its visit.

Pure logic (docs/events.md, "Goals"). A page goal names pages by a path pattern (`*`
matches any characters, nothing else is special). Its conversions are the visits that
viewed a matching page, each once; its events the matching page views.

Once per visit: a page view's visitor write also sets, for each goal its page matches, a
mark on the visitor item (`g{tag}`: the time of this page view). From the item as it
was (`VisitState.marks`), a matching page view is its visit's first for a goal unless the
goal's mark is a page view of the same visit (at or after the visit's start). A
mark per goal, not the events' 8 shared slots: a site's goals (at most 20) overlap
often (`/dich-vu-cong/*` and `/dich-vu-cong/nop-ho-so`), and a shared slot would count
such a visit again; the operator, not a client, decides how many there are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from counters.counting.engagement import VisitState, current_visit
from counters.counting.visits import GOAL_MARK, marks_of

__all__ = ["GOAL_MARK", "first_reached", "goal_mark", "goal_names", "marks_of", "page_matches"]


def goal_mark(name: str) -> str:
    """The visitor item attribute that marks a goal's last matching page view."""
    return "g" + hashlib.sha256(name.encode()).hexdigest()[:8]


@lru_cache(maxsize=1024)
def _pattern(page: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in page.split("*")), re.DOTALL)


def page_matches(page: str, path: str | None) -> bool:
    """Whether a (normalised) path matches a goal's page pattern, wholly."""
    return path is not None and _pattern(page).fullmatch(path) is not None


def first_reached(
    old: VisitState | None, now: float, timeout: float, goals: Iterable[str]
) -> tuple[str, ...]:
    """The goals (by name) a page view at `now` reaches first in its visit."""
    if old is None or now - old.seen >= timeout:
        return tuple(goals)  # it begins a visit
    start, _ = current_visit(old, timeout)
    return tuple(name for name in goals if not old.marks.get(goal_mark(name), -1.0) >= start)


def goal_names(facts: Mapping[str, str]) -> list[str]:
    """The goals a note's facts name (`goal#0`, `goal#1`...)."""
    return [value for key, value in facts.items() if key.partition("#")[0] == "goal"]


def page_goal_facts(goals: Sequence[tuple[str, str]], path: str | None) -> dict[str, str]:
    """The `goal#i` facts of a page view: (name, page pattern) of each goal it matches."""
    reached = [name for name, page in goals if page_matches(page, path)]
    return {f"goal#{i}": name for i, name in enumerate(reached)}
