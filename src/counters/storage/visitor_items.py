"""Visitor and client-address items: who was seen today, and how many visitors an address brought."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from counters.storage.keys import address_pk, dated_sk, visitor_pk
from counters.storage.table import Item, Table, n, refused_item

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
                ConditionExpression=("attribute_exists(pk) AND " if must_exist else "")
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
        if not old:
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

    def count_address(self, site: str, address: str, day: date, now: float, added: int = 1) -> int:
        """Adds new visitors to a client address's count for the day; returns the count."""
        answer = self.table.send(
            "update_item",
            TableName=self.table.name,
            Key={"pk": {"S": address_pk(site, address)}, "sk": {"S": dated_sk(day)}},
            UpdateExpression="ADD visitors :one SET expires_at = :expires",
            ExpressionAttributeValues={
                ":one": n(added),
                ":expires": n(int(now) + VISITOR_TTL_SECONDS),
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["visitors"]["N"])
