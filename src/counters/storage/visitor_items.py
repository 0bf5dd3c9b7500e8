"""Visitor and client-address items: who was seen today, and how many new visitors an
address brought in the current minute."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any

from counters.counting.visits import GOAL_MARK, VisitState, engagement_page, marks_of
from counters.storage.keys import address_pk, dated_sk, visitor_pk
from counters.storage.table import Item, Table, int_of, n, refused_item

logger = logging.getLogger(__name__)

# A visitor item is only read on the day it was written (its id changes daily).
VISITOR_TTL_SECONDS = 26 * 3600


class NotFound:
    """The answer of `see(must_exist=True)` for a visitor not seen today."""


NOT_FOUND = NotFound()


class VisitorItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def see(
        self,
        site: str,
        visitor: str,
        day: date,
        now: float,
        token: str = "",
        *,
        must_exist: bool = False,
        note: str | None = None,
        path: str | None = None,
        marks: Sequence[str] = (),
    ) -> VisitState | None | NotFound:
        """Records that a visitor was seen now; returns the item as it was (None: new today).

        Safe for the SDK to re-send: `token` (unique per hit) marks the write, and a
        re-sent write that finds its own token answers the `prev` it saved.
        With `must_exist`, a visitor without an item today gets none (`NOT_FOUND`).
        `note`: a high-traffic hit's note (`h`), which the stream carries to the aggregators.
        `path`: the hit's page. The item keeps its visit's start and entry page (`vs`, `ve`:
        kept if present, see `counters.counting.engagement`) and its last page (`lp`; a
        high-traffic item's note holds it). `marks`: its page goals' (counting.conversions).
        """
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}}
        values: Item = {
            ":now": {"N": f"{now:.3f}"},
            ":none": n(0),
            ":tok": {"S": token or secrets.token_urlsafe(12)},
            ":expires": n(int(now) + VISITOR_TTL_SECONDS),
            ":page": {"S": engagement_page(path) or ""},  # "": the hit named no page
        }
        expression = (
            "SET prev = if_not_exists(seen, :none), seen = :now, tok = :tok, expires_at = :expires"
            ", vs = if_not_exists(vs, :now), ve = if_not_exists(ve, :page)"
        )
        expression += "".join(f", {mark} = :now" for mark in marks if GOAL_MARK.match(mark))
        if note is not None:
            # Its note names its page: an `lp` a direct write left (the site's mode changed
            # today) would be stale.
            expression += ", h = :h REMOVE lp"
            values[":h"] = {"S": note}
        else:
            expression += ", lp = :page"
        try:
            answer = self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=key,
                UpdateExpression=expression,
                # `seen`, not the key: an event makes an item without one (no page view yet).
                ConditionExpression=("attribute_exists(seen) AND " if must_exist else "")
                + "(attribute_not_exists(tok) OR tok <> :tok)",
                ExpressionAttributeValues=values,
                # ALL_OLD, not UPDATED_OLD: a write of the same `seen` (two hits in one
                # millisecond) returns no old `seen` under UPDATED_OLD on some engines.
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException as refused:
            return self._own_write(refused, key, must_exist)
        return visit_state(answer.get("Attributes", {}))

    def _own_write(self, refused: Any, key: Item, must_exist: bool) -> VisitState | None | NotFound:
        """A refused sighting: our own write, applied before its response was lost (or,
        with `must_exist`, no item). Without `must_exist` the item surely exists: it is
        read if the engine did not answer it. What it was before our write is partly
        written over: its last page and the hit before its last are not known then."""
        old = refused_item(refused) if must_exist else self.table.refused_item(refused, key)
        if not old or (must_exist and "seen" not in old):
            return NOT_FOUND
        prev = float(old["prev"]["N"]) if "prev" in old else 0.0
        if not prev:
            return None
        # Its stored visit start and entry stand (`prev` = `seen`: not a visit's first hit).
        return _state(old, prev, prev, None)

    def restart(
        self, site: str, visitor: str, day: date, visit: tuple[float, str | None] | None
    ) -> None:
        """Stores a visit's start and entry page: a visit that began after an earlier one
        that day, at its second hit (`see` kept the earlier one's). A later start stored
        meanwhile stands. Its hit may have counted already: a failure is logged, never
        raised (it only leaves the earlier visit's entry page to this one's third and later
        hits, see counters.counting.engagement)."""
        if visit is None:
            return
        start, entry = visit
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}}
        try:
            self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=key,
                UpdateExpression="SET vs = :start, ve = :entry",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(vs) OR vs < :start)"
                ),
                ExpressionAttributeValues={
                    ":start": {"N": f"{start:.3f}"},
                    ":entry": {"S": entry or ""},
                },
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            pass
        except Exception:  # noqa: BLE001 - see above
            logger.warning("could not store a returning visit's start", exc_info=True)

    def unsee(self, site: str, visitor: str, day: date, token: str, old: VisitState | None) -> None:
        """Undoes `see` when its hit was surely not counted (unless a later hit wrote)."""
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}}
        try:
            if old is None:
                self.table.send(
                    "delete_item",
                    TableName=self.table.name,
                    Key=key,
                    ConditionExpression="tok = :tok",
                    ExpressionAttributeValues={":tok": {"S": token}},
                )
            else:
                self.table.send(
                    "update_item",
                    TableName=self.table.name,
                    Key=key,
                    UpdateExpression="SET seen = :last, prev = :prev, lp = :page REMOVE tok",
                    ConditionExpression="tok = :tok",
                    ExpressionAttributeValues={
                        ":tok": {"S": token},
                        ":last": {"N": f"{old.seen:.3f}"},
                        ":prev": {"N": f"{old.prev or 0:.3f}"},
                        ":page": {"S": old.last_page or ""},
                    },
                )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            pass  # a later hit of the same visitor wrote since: it stands

    def admit_new(
        self, site: str, address: str, day: date, now: float, per_minute: int, opening: bool
    ) -> bool:
        """Takes one of a client address's `per_minute` places for new visitors in the
        current minute (a fixed window kept on the address's day item); whether one was left.

        One request while the minute's window is open; its first admission opens it (one
        more, unless the caller says it is `opening`: a first try), and a race to open it
        costs one more. A write re-sent after a lost answer may
        take a place twice: that only refuses one visitor sooner, never admits one more.
        """
        key = {"pk": {"S": address_pk(site, address)}, "sk": {"S": dated_sk(day)}}
        minute, one, expires = n(int(now // 60)), n(1), n(int(now) + VISITOR_TTL_SECONDS)
        take: dict[str, Any] = {
            "UpdateExpression": "ADD win_new :one, visitors :one SET expires_at = :expires",
            "ConditionExpression": "win_at >= :minute AND win_new < :cap",
            "ExpressionAttributeValues": {
                ":minute": minute,
                ":one": one,
                ":cap": n(per_minute),
                ":expires": expires,
            },
        }
        start = {
            "UpdateExpression": (
                "SET win_at = :minute, win_new = :one, expires_at = :expires ADD visitors :one"
            ),
            "ConditionExpression": "attribute_not_exists(win_at) OR win_at < :minute",
            "ExpressionAttributeValues": {":minute": minute, ":one": one, ":expires": expires},
        }
        if not opening:
            old = self._update(key, take)
            if old is None:
                return True
            if int_of(old, "win_at") >= int(now // 60):
                return False  # this minute's places are taken
            # No window yet, or an older minute's (or the engine did not say): open this one.
        # Refused: another hit opened it, so a place is taken as above, if one is left.
        return self._update(key, start) is None or self._update(key, take) is None

    def _update(self, key: Item, request: dict[str, Any]) -> Item | None:
        """None if the conditional update applied; else the item that refused it ({} if
        none, or if the engine did not return it)."""
        try:
            self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=key,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **request,
            )
        except self.table.client.exceptions.ConditionalCheckFailedException as refused:
            return refused_item(refused)
        return None

    def note_event(
        self,
        site: str,
        visitor: str,
        day: date,
        now: float,
        note: str,
        slot: int,
        tag: str,
        interactive: bool = True,
    ) -> None:
        """An event's one write: its note (`he`: `h` stays the last hit's), for the stream to carry to the report
        aggregator, and its name's slot (see `counters.events.slots`). A visitor with no
        item today gets one without `seen`: no page view, so no visit, and `see` still
        takes it for a new visitor. Safe to re-send: the same note again is no new note.
        An interactive event sets `ie`, the time of the last page view (its visit's bounce
        ended: `counters.counting.engagement.event_bounce`).
        """
        self.table.send(
            "update_item",
            TableName=self.table.name,
            Key={"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}},
            UpdateExpression=(
                f"SET he = :h, ev{slot} = :tag, es{slot} = if_not_exists(seen, :none), "
                "expires_at = if_not_exists(expires_at, :expires)"
                + (", ie = if_not_exists(seen, :none)" if interactive else "")
            ),
            ExpressionAttributeValues={
                ":h": {"S": note},
                ":tag": {"S": tag},
                ":none": n(0),
                ":expires": n(int(now) + VISITOR_TTL_SECONDS),
            },
        )


def visit_state(item: Item) -> VisitState | None:
    """A visitor item as `see` answers it (None: no item). A high-traffic item keeps its
    last page in its note (`h`) rather than in `lp`."""
    seen = _number(item, "seen")
    if seen is None:
        return None
    last_page = _text(item, "lp")
    if last_page is None and "h" in item:
        last_page = note_page(item["h"].get("S", ""))
    prev = _number(item, "prev") or None
    return _state(item, seen, prev, last_page)


def _state(item: Item, seen: float, prev: float | None, last_page: str | None) -> VisitState:
    ie, marks = _number(item, "ie"), marks_of(item)  # issue 19: interactive events, page goals
    return VisitState(seen, prev, _number(item, "vs"), _text(item, "ve"), last_page, ie, marks)


def note_page(note: str) -> str | None:
    """The page of a note (its `u`), as an entry or exit page; None if it has none."""
    try:
        path = json.loads(note).get("u")
    except (ValueError, AttributeError):
        return None
    return engagement_page(path) if isinstance(path, str) else None


def _number(item: Item, name: str) -> float | None:
    value = item.get(name)
    return float(value["N"]) if value and "N" in value else None


def _text(item: Item, name: str) -> str | None:
    value = item.get(name)
    return (value.get("S") or None) if value else None
