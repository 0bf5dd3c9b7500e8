"""A model of visits for the segment tests: random visits over several days (their hits and
events), the archive rows the hit path would note for them, and a brute-force count of what a
segment keeps, made from the visits themselves (never from the rows' deltas).

What a segment keeps (docs/archive.md, "What a filter keeps"): a visit with a visit id is kept
whole when, for each filter, one of its hits or events has one of the values ("is") or none
has ("is not"); a visit archived without one (`linked` False: rows written before visit ids)
keeps the hits that match every filter."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote

SITE = "laichau"
FIRST_DAY = date(2026, 3, 1)
DAYS = 4
PATHS = ("/", "/tin-tuc/a", "/tin-tuc/b", "/van-ban/1", "/van-ban/2", "/lien-he")
ENTRY_SOURCES = ("direct", "Google", "Zalo", "Facebook")
VISITOR = {
    "browser": ("Chrome", "Firefox", "Safari", "Cốc Cốc"),
    "os": ("Windows", "Android", "iOS"),
    "device": ("desktop", "mobile", "tablet"),
    "country": ("VN", "US", "(unknown)"),
    "language": ("vi", "en"),
}
CAMPAIGNS = ("tet-2026", "he")
EVENTS = {"download": "/files/bao-cao.pdf", "outbound": "dichvucong.gov.vn", "signup": None}
# Every value a filter may name (a few that no hit has, too).
POOL: dict[str, tuple[str, ...]] = {
    **VISITOR,
    "entry": PATHS,
    "page": (*PATHS, "/khong-co"),
    "source": (*ENTRY_SOURCES, "(internal)"),
    "campaign": CAMPAIGNS,
    "event": (*EVENTS, "nothing"),
}
VISIT_LEVEL = {"browser", "os", "device", "country", "language", "entry"}


@dataclass
class PageHit:
    second: int  # of the local day
    path: str
    source: str
    campaign: str | None


@dataclass
class Event:
    second: int
    path: str
    name: str
    first_of_name: int  # 1: the visit's first event of its name


@dataclass
class Visit:
    day: date
    visitor: dict[str, str]
    hits: list[PageHit]
    events: list[Event] = field(default_factory=list)
    linked: bool = True  # its rows carry a visit id (False: archived before visit ids)
    ident: str = ""

    def value(self, dimension: str) -> str:
        return self.hits[0].path if dimension == "entry" else self.visitor[dimension]


def visits(seed: int, count: int = 160, unlinked: tuple[date, ...] = ()) -> list[Visit]:
    """Random visits; those of the `unlinked` days archived without visit ids."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        second = rng.randrange(0, 86_400 - 4 * 900)
        hits = []
        for k in range(rng.choice((1, 1, 2, 3, 4))):
            if k:
                second += rng.randrange(5, 900)
                source = "(internal)" if rng.random() < 0.85 else rng.choice(ENTRY_SOURCES)
                campaign = None
            else:
                source = rng.choice(ENTRY_SOURCES)
                campaign = rng.choice(CAMPAIGNS) if rng.random() < 0.3 else None
            hits.append(PageHit(second, rng.choice(PATHS), source, campaign))
        visit = Visit(
            FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
            {name: rng.choice(values) for name, values in VISITOR.items()},
            hits,
        )
        visit.linked = visit.day not in unlinked
        visit.ident = f"v{len(made):015d}" if visit.linked else ""
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            name = rng.choice(tuple(EVENTS))
            first = int(all(e.name != name for e in visit.events))
            at = rng.choice(hits)
            visit.events.append(Event(at.second + 1, at.path, name, first))
        made.append(visit)
    return made


def _event_facts(event: Event) -> dict[str, str]:
    facts = {"event": event.name}
    target = EVENTS[event.name]
    if target:
        facts[event.name] = target
    else:
        facts["property#0"] = "signup / plan: free"
        facts["goal#0"] = "Đăng ký"
    return facts


def notes(made: list[Visit], seed: int) -> list[tuple[int, HitNote]]:
    """(time, note) of every hit, event and a few bots, as the hit path notes them."""
    rng = random.Random(seed)
    found: list[tuple[int, HitNote]] = []
    for v in made:
        base = (v.day - FIRST_DAY).days * 86_400
        for k, hit in enumerate(v.hits):
            facts = {**v.visitor, "source": hit.source}
            if hit.campaign:
                facts["campaign"] = hit.campaign
            previous = v.hits[k - 1] if k else None
            note = HitNote(
                token=f"h{len(found):06d}{rng.randrange(16**8):08x}",
                day=v.day, hour=hit.second // 3600, visits=int(not k), pageviews=1,
                window=1, first_in_window=0, new_since_previous=0, path=hit.path, facts=facts,
                in_visit=True, bounces=1 if not k else -1 if k == 1 else 0,
                duration_ms=(hit.second - previous.second) * 1000 if previous else 0,
                entry=v.hits[0].path, left=previous.path if previous else None,
                visit_id=v.ident or None,
            )  # fmt: skip
            found.append((base + hit.second, note))
        for e in v.events:
            note = HitNote(
                token=f"e{len(found):06d}{rng.randrange(16**8):08x}",
                day=v.day, hour=e.second // 3600, visits=e.first_of_name, pageviews=0,
                window=1, first_in_window=0, new_since_previous=0, path=e.path,
                facts=_event_facts(e), event=True, visit_id=v.ident or None,
            )  # fmt: skip
            found.append((base + e.second, note))
    for i in range(12):
        day = FIRST_DAY + timedelta(days=i % DAYS)
        bot = HitNote(f"b{i:06d}{rng.randrange(16**8):08x}", day, 3, 0, 0, 1, 0, 0,
                      facts={"bot": "Googlebot"})  # fmt: skip
        found.append(((day - FIRST_DAY).days * 86_400 + 3 * 3600, bot))
    found.sort(key=lambda pair: pair[0])
    return found


def stream(made: list[Visit], seed: int) -> list[NotedHit]:
    rng = random.Random(seed)
    return [
        NotedHit(SITE, note, rng.choice(("sa", "sb")), 10**20 + i, buffered=False)
        for i, (_, note) in enumerate(notes(made, seed))
    ]


def random_filters(rng: random.Random) -> list[tuple[str, str, tuple[str, ...]]]:
    dimensions = rng.sample(sorted(POOL), rng.choice((1, 2, 2, 3)))
    return [
        (d, rng.choice(("is", "is not")), tuple(rng.sample(POOL[d], min(k, len(POOL[d])))))
        for d, k in zip(dimensions, rng.choices((1, 1, 2, 3), k=len(dimensions)), strict=True)
    ]


def _holds(value: str | None, operator: str, values: tuple[str, ...]) -> bool:
    return value in values if operator == "is" else value is None or value not in values


def _hit_value(v: Visit, hit: PageHit, dimension: str) -> str | None:
    if dimension in VISIT_LEVEL:
        return v.value(dimension)
    return {"page": hit.path, "source": hit.source, "campaign": hit.campaign}.get(dimension)


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _tally(pairs: list[tuple[str | None, int]]) -> dict[str, tuple[int, int]]:
    """value -> (first-of-visit flags, hits)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for value, first in pairs:
        if value is not None:
            out[value][0] += first
            out[value][1] += 1
    return {value: (a, b) for value, (a, b) in out.items()}


def _event_value(e: Event, dimension: str) -> str | None:
    return {"page": e.path, "event": e.name}.get(dimension)


def _visit_holds(v: Visit, dimension: str, operator: str, values: tuple[str, ...]) -> bool:
    """Whether a visit has a hit or event of one of the values (is), or none (is not)."""
    found = [_hit_value(v, h, dimension) for h in v.hits]
    found += [_event_value(e, dimension) for e in v.events]
    has = any(value in values for value in found if value is not None)
    return has if operator == "is" else not has


def kept_rows(
    made: list[Visit], filters: list[tuple[str, str, tuple[str, ...]]]
) -> tuple[list[tuple[Visit, int, PageHit]], list[tuple[Visit, Event]], list[Visit], bool]:
    """The page views and events a segment keeps, the visits it keeps whole, and whether
    every kept hit of a visit is of a visit kept whole (then every figure is known)."""
    hits, events, whole_visits = [], [], []
    visit_level = all(d in VISIT_LEVEL for d, _, _ in filters)
    for v in made:
        if v.linked:
            if all(_visit_holds(v, d, op, values) for d, op, values in filters):
                hits += [(v, k, h) for k, h in enumerate(v.hits)]
                events += [(v, e) for e in v.events]
                whole_visits.append(v)
            continue
        hits += [
            (v, k, h)
            for k, h in enumerate(v.hits)
            if all(_holds(_hit_value(v, h, d), op, values) for d, op, values in filters)
        ]
        events += [
            (v, e)
            for e in v.events
            if all(d in ("page", "event") for d, _, _ in filters)
            and all(_holds(_event_value(e, d), op, values) for d, op, values in filters)
        ]
        if visit_level and all(_holds(v.value(d), op, vs) for d, op, vs in filters):
            whole_visits.append(v)
    whole = visit_level or all(v.linked for v, _, _ in hits)
    return hits, events, whole_visits, whole


def expected(made: list[Visit], filters: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, Any]:
    """What the segment must answer, counted over the visits."""
    hits, events, kept, whole = kept_rows(made, filters)
    n_visits = sum(1 for _, k, _ in hits if k == 0)
    bounces = sum(1 for v in kept if len(v.hits) == 1)
    duration = sum(v.hits[-1].second - v.hits[0].second for v in kept)
    views = _tally([(h.path, 0) for _, _, h in hits])
    answer: dict[str, Any] = {
        "whole_visits": whole,
        "summary": {
            "visits": n_visits,
            "pageviews": len(hits),
            "views_per_visit": _ratio(len(hits), n_visits),
            "bounce_rate": _ratio(bounces, n_visits) if whole else None,
            "visit_duration": _ratio(duration, n_visits) if whole else None,
        },
        "series": {
            (FIRST_DAY + timedelta(days=n)).isoformat(): (
                sum(1 for v, k, _ in hits if k == 0 and (v.day - FIRST_DAY).days == n),
                sum(1 for v, _, _ in hits if (v.day - FIRST_DAY).days == n),
            )
            for n in range(DAYS)
        },
        "pages": _tally([(h.path, int(k == 0)) for _, k, h in hits]),
        "hour": _tally([(f"{h.second // 3600:02d}", int(k == 0)) for _, k, h in hits]),
    }
    for d in ("source", "campaign", *VISITOR):
        answer[d] = _tally([(_hit_value(v, h, d), int(k == 0)) for v, k, h in hits])
    entries = _tally([(v.hits[0].path, int(k == 0)) for v, k, _ in hits])
    answer["entry"] = {
        page: (
            n,
            views.get(page, (0, 0))[1],
            _ratio(sum(1 for v in kept if v.hits[0].path == page and len(v.hits) == 1), n)
            if whole else None,
            _ratio(sum(v.hits[-1].second - v.hits[0].second for v in kept
                       if v.hits[0].path == page), n) if whole else None,
        )
        for page, (n, _) in entries.items()
        if n
    }  # fmt: skip
    exits = _tally([(v.hits[-1].path, 1) for v in kept]) if whole else {}
    answer["exit"] = {page: (n, views.get(page, (0, 0))[1]) for page, (n, _) in exits.items()}
    answer["event"] = _tally([(e.name, e.first_of_name) for _, e in events])
    for name in ("download", "outbound"):
        answer[name] = _tally(
            [(EVENTS[name], e.first_of_name) for _, e in events if e.name == name]
        )
    signups = [e for _, e in events if e.name == "signup"]
    answer["property"] = _tally([("signup / plan: free", e.first_of_name) for e in signups])
    conversions = sum(e.first_of_name for e in signups)
    answer["goals"] = (
        [("Đăng ký", conversions, len(signups), _ratio(conversions, n_visits))] if signups else []
    )
    return answer
