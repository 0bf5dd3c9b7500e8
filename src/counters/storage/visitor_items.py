"""Visitor and client-address items: who was seen today, and how many new visitors an
address brought in the current minute."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from counters.storage.keys import address_pk, dated_sk, visitor_pk
from counters.storage.table import Item, Table, int_of, n, refused_item

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
    ) -> float | None | NotFound:
        """Records that a visitor was seen now; returns when it was last seen that day.

        Safe for the SDK to re-send: `token` (unique per hit) marks the write, and a
        re-sent write that finds its own token answers the `prev` it saved.
        With `must_exist`, a visitor without an item today gets none (`NOT_FOUND`).
        `note`: a high-traffic hit's note (`h`), which the stream carries to the aggregators.
        """
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}}
        values: Item = {
            ":now": {"N": f"{now:.3f}"},
            ":none": n(0),
            ":tok": {"S": token or secrets.token_urlsafe(12)},
            ":expires": n(int(now) + VISITOR_TTL_SECONDS),
        }
        expression = (
            "SET prev = if_not_exists(seen, :none), seen = :now, tok = :tok, expires_at = :expires"
        )
        if note is not None:
            expression += ", h = :h"
            values[":h"] = {"S": note}
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
        seen = answer.get("Attributes", {}).get("seen")
        return float(seen["N"]) if seen else None

    def _own_write(self, refused: Any, key: Item, must_exist: bool) -> float | None | NotFound:
        """A refused sighting: our own write, applied before its response was lost (or,
        with `must_exist`, no item). Without `must_exist` the item surely exists: it is
        read if the engine did not answer it."""
        old = refused_item(refused) if must_exist else self.table.refused_item(refused, key)
        if not old or (must_exist and "seen" not in old):
            return NOT_FOUND
        prev = float(old["prev"]["N"]) if "prev" in old else 0.0
        return prev or None

    def unsee(
        self, site: str, visitor: str, day: date, token: str, last_seen: float | None
    ) -> None:
        """Undoes `see` when its hit was surely not counted (unless a later hit wrote)."""
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}}
        try:
            if last_seen is None:
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
                    UpdateExpression="SET seen = :last REMOVE tok",
                    ConditionExpression="tok = :tok",
                    ExpressionAttributeValues={
                        ":tok": {"S": token},
                        ":last": {"N": f"{last_seen:.3f}"},
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
        self, site: str, visitor: str, day: date, now: float, note: str, slot: int, tag: str
    ) -> None:
        """An event's one write: its note (`h`), for the stream to carry to the report
        aggregator, and its name's slot (see `counters.events.slots`). A visitor with no
        item today gets one without `seen`: no page view, so no visit, and `see` still
        takes it for a new visitor. Safe to re-send: the same note again is no new note.
        """
        self.table.send(
            "update_item",
            TableName=self.table.name,
            Key={"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": dated_sk(day)}},
            UpdateExpression=(
                f"SET h = :h, ev{slot} = :tag, es{slot} = if_not_exists(vs, :none), "
                "expires_at = if_not_exists(expires_at, :expires)"
            ),
            ExpressionAttributeValues={
                ":h": {"S": note},
                ":tag": {"S": tag},
                ":none": n(0),
                ":expires": n(int(now) + VISITOR_TTL_SECONDS),
            },
        )
