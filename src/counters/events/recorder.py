"""Recording an event: one write, on the visitor's item, never on the site's day item.

An event never changes the five figures: its note (`counters.aggregation.notes.HitNote`
with `event` set, no page view) rides on the visitor item of the day, whose stream
record the report aggregator adds to the event dimensions, exactly once, as it adds
page views to pages. A burst of clicks heats no shared item: each visitor writes its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from counters.aggregation.notes import HitNote
from counters.counting.periods import zone
from counters.counting.salts import DailySalts
from counters.counting.visits import PageView, skip_reason, visitor_id, window
from counters.events import links
from counters.events.slots import event_slot
from counters.models import Site
from counters.reports.pages import normalise_path
from counters.storage import Storage

DOWNLOAD = "download"
OUTBOUND = "outbound"
LINK_EVENTS = (DOWNLOAD, OUTBOUND)


class ForbiddenEventOriginError(PermissionError):
    pass


class BadEventError(ValueError):
    """An event the body model let through but its rules refuse (answered 422)."""


@dataclass(frozen=True)
class TrackedEvent:
    """What a page reported: a name, the link's URL for downloads and outbound links, the
    page it happened on, and up to 5 properties (bounded by the body model)."""

    name: str
    url: str | None = None
    path: str | None = None
    props: Mapping[str, str] = field(default_factory=dict)
    # Whether it ends a bounce (Plausible's `interactive` option): downloads and outbound
    # clicks always do; a custom event unless its body says `"interactive": false`.
    interactive: bool = True


def event_facts(site: Site, view: PageView, event: TrackedEvent) -> dict[str, str]:
    """The report dimensions an event counts under: `event` (its name), `download` (the
    file) or `outbound` (the target), and `property` ("name / key: value"), one fact each
    (`property#0`...)."""
    facts = {"event": event.name}
    if event.name in LINK_EVENTS:
        value = links.report_value(event.url or "", _page_host(site, view))
        if value is None:
            raise BadEventError(f"a {event.name} event needs the http(s) URL of its link")
        facts[event.name] = value
    for i, (key, value) in enumerate(sorted(event.props.items())):
        facts[f"property#{i}"] = links.bounded(f"{event.name} / {key}: {value}")
    for i, goal in enumerate(goal for goal in site.goals if goal.event == event.name):
        facts[f"goal#{i}"] = goal.name  # its visits: the visit's first event of the name
    return facts


def _page_host(site: Site, view: PageView) -> str | None:
    for origin in (view.origin, *site.allowed_origins):
        host = links.host_of(origin or "")
        if host:
            return host
    return None


class EventRecorder:
    def __init__(self, storage: Storage, salts: DailySalts, clock: Callable[[], datetime]) -> None:
        self.storage = storage
        self.salts = salts
        self.clock = clock

    def record(self, site: Site, view: PageView, event: TrackedEvent) -> bool:
        """Records an event unless a bot, a prefetch or a client without a User-Agent sent
        it; whether it counted. One write (plus the day's salt, once per warm function)."""
        if view.origin and site.allowed_origins and view.origin not in site.allowed_origins:
            raise ForbiddenEventOriginError(
                f"origin {view.origin!r} may not send events to {site.id!r}"
            )
        facts = event_facts(site, view, event)  # 422 for a bad link, before any skip
        if skip_reason(view) is not None:
            return False
        instant = self.clock().astimezone(UTC)
        local = instant.astimezone(zone(site.timezone))
        note = HitNote(
            token=secrets.token_urlsafe(12),
            day=local.date(),
            hour=local.hour,
            visits=0,
            pageviews=0,
            window=window(instant.timestamp()),
            first_in_window=0,
            new_since_previous=0,
            path=normalise_path(event.path) if event.path is not None else None,
            facts=facts,
            event=True,
            # Its visit is the aggregator's to read off the visitor item (`first_in_visit`).
            visit_timeout=site.visit_timeout_minutes * 60,
        )
        salt = self.salts.of(note.day)
        visitor = visitor_id(salt, site.id, view.client_ip, view.user_agent)
        slot, tag = event_slot(event.name)
        self.storage.visitors.note_event(
            site.id,
            visitor,
            note.day,
            instant.timestamp(),
            note.encode(),
            slot,
            tag,
            interactive=event.interactive or event.name in LINK_EVENTS,
        )
        return True


def default_recorder() -> EventRecorder:
    """The event recorder of this function instance: the counter service's table and salts."""
    from counters.counting.service import default_service

    service = default_service()
    return EventRecorder(service.storage, service.salts, service.clock)
