"""All DynamoDB access, and the one place the table's key layout is written down.

One table, string keys `pk` (partition) and `sk` (sort), TTL attribute `expires_at`:

| item            | pk                    | sk                | attributes                                  |
|-----------------|-----------------------|-------------------|---------------------------------------------|
| site settings   | SITE#{site}           | CONFIG            | timezone, allowed_origins, count, mode, ... |
| day counters    | SITE#{site}           | DAY#{yyyy-mm-dd}  | v, p: the day's visits and page views;      |
|                 |                       |                   | {v,p}_yesterday/_month/_year/_total: bases; |
|                 |                       |                   | sealed_by: the next day, once it opened;    |
|                 |                       |                   | oa{W}, ob{W}: online tallies of 5-minute    |
|                 |                       |                   | window W (see counters.visitors)            |
| visitor         | VISITOR#{site}#{id}   | {yyyy-mm-dd}      | seen (epoch seconds), expires_at;           |
|                 |                       |                   | tok, prev: the last hit's token and the     |
|                 |                       |                   | seen before it (makes re-sends harmless)    |
| client address  | ADDRESS#{site}#{id}   | {yyyy-mm-dd}      | visitors: visitor items made from one IP    |
|                 |                       |                   | (IPv6: /64) that day, once it brought many, |
|                 |                       |                   | expires_at                                  |
| daily salt      | SALT                  | {yyyy-mm-dd}      | salt (32 random bytes), expires_at          |
| hit marker      | HIT#{id}              | COUNTED           | expires_at                                  |
| hit page marker | HIT#{id}              | PAGE              | expires_at                                  |
| idempotency     | IDEMPOTENCY#{site}    | hash of the key   | Powertools Idempotency's record (hits with  |
|                 |                       |                   | an Idempotency-Key; written by Powertools)  |
| page views      | PAGES#{site}#{yyyy-mm}| {yyyy-mm-dd}#{path}| n: the day's counted hits on that path     |

Day dates are the site's local dates. Visitor and address ids are keyed hashes that change
with the daily salt; visitor items expire a day after they were last seen. A day item exists only for days with
traffic (or an imported baseline): idle days cost nothing. Bases are the
figures before the day began (see `counters.rollover`).

A hit marker records that the aggregator of buffered hits (site mode
"buffered") has added that hit to a day item. The aggregator adds up to 99
hits with one transaction: the day's ADD and a conditional Put of each hit's
marker, so a hit delivered again, in whatever batch, adds nothing twice.
Markers are keyed by random hit ids (spread over all partitions; only the day
item is hot) and expire after the queue's retention period. A buffered hit's
page view is added the same way, in its own transaction (the page item's ADD
and a `PAGE` marker per hit, up to 99 hits of one path and day), so that the
day item's transactions keep their 99 hits whatever the number of paths.

History reads are range Queries: the day items of a series are one partition
(`sk BETWEEN DAY#from AND DAY#to`; a year of days is about 80 KB, one page of a
Query), and page views are one partition per site and month, so a range of
days within a month is one Query. Paths are normalised (`counters.pages`) and
at most 1000 bytes, within the 1024-byte sort key limit. Page items keep
history: no TTL.

The low-level client is used on purpose: it imports faster than the resource
API and lets us write the exact expressions, one request per call below.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

from counters.models import Site
from counters.periods import month_end, months
from counters.rollover import Bases, DayRecord, Metric, Tally, opening_bases

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

Item = dict[str, Any]

# Attribute prefix of each metric on a day item.
METRIC_ATTR: dict[Metric, str] = {"visits": "v", "pageviews": "p"}
BASE_FIELDS = ("yesterday", "month", "year", "total")


def site_pk(site: str) -> str:
    return f"SITE#{site}"


def visitor_pk(site: str, visitor: str) -> str:
    return f"VISITOR#{site}#{visitor}"


def day_sk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


CONFIG_SK = "CONFIG"
SALT_PK = "SALT"
# A visitor item is only read on the day it was written (its id changes daily).
VISITOR_TTL_SECONDS = 26 * 3600
DAY_PREFIX = "DAY#"
# What a series needs of a day item: counts and bases, not the online tallies.
SERIES_ATTRS = ", ".join(
    ["sk", *METRIC_ATTR.values()]
    + [f"{prefix}_{name}" for prefix in METRIC_ATTR.values() for name in BASE_FIELDS]
)

logger = logging.getLogger(__name__)


def pages_pk(site: str, day: date) -> str:
    return f"PAGES#{site}#{day.year:04d}-{day.month:02d}"


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _int(item: Item, name: str) -> int:
    attr = item.get(name)
    return int(attr["N"]) if attr else 0


def _day_record(item: Item) -> DayRecord:
    tallies: dict[Metric, Tally] = {}
    for metric, prefix in METRIC_ATTR.items():
        bases = Bases(**{f: _int(item, f"{prefix}_{f}") for f in BASE_FIELDS})
        tallies[metric] = Tally(count=_int(item, prefix), bases=bases)
    sealed = item.get("sealed_by")
    first_in_window: dict[int, int] = {}
    new_since_previous: dict[int, int] = {}
    for name, value in item.items():
        if name[:2] in ("oa", "ob") and name[2:].isdigit():
            tally = first_in_window if name[1] == "a" else new_since_previous
            tally[int(name[2:])] = int(value["N"])
    return DayRecord(
        day=date.fromisoformat(item["sk"]["S"].removeprefix(DAY_PREFIX)),
        tallies=tallies,
        sealed_by=date.fromisoformat(sealed["S"]) if sealed else None,
        first_in_window=first_in_window,
        new_since_previous=new_since_previous,
    )


@dataclass(frozen=True)
class Increment:
    """What one write adds to a day item: counts, and the online tallies of a window."""

    counts: Mapping[Metric, int]
    window: int | None = None
    first_in_window: int = 0
    new_since_previous: int = 0


# Online tallies older than the window before the current one are dropped as hits
# come in, so that a day item stays well under 1 KB (one write unit per hit).
STALE_WINDOWS = (2, 3, 4)


@dataclass(frozen=True)
class Sealed:
    """The answer of a write refused because the day item is already sealed."""

    by: date


class OutcomeUnknownError(Exception):
    """An ADD failed in a way that leaves unknown whether DynamoDB applied it.

    Such a write is never re-sent (ADD is not idempotent): the hit may have been
    counted once, never twice. Answered like any storage failure (503).
    """


# Errors that DynamoDB answers before writing anything: safe to re-send an ADD.
NOT_WRITTEN_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# ...and failures to reach DynamoDB at all.
NOT_SENT_ERRORS = (ConnectTimeoutError, EndpointConnectionError)
# Server errors: worth another try, but a write may have been applied before them.
TRANSIENT_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


# A transaction holds at most 100 actions: the day's (or page's) ADD and 99 hit markers.
MAX_MARKERS = 99
# Sort keys of a hit's markers: added to its day item, added to its page item.
COUNTED_SK = "COUNTED"
PAGE_SK = "PAGE"


@dataclass(frozen=True)
class HitMarkers:
    """The hits one transactional write adds, so that each is added at most once."""

    ids: tuple[str, ...]
    expires_at: int


@dataclass(frozen=True)
class Batched:
    """The answer of a write with hit markers: added, or refused for hits added before."""

    already_counted: frozenset[str] = frozenset()


class TransactionConflictError(RuntimeError):
    """Another transaction held the day item; nothing was written, try again."""


class _UpdateExpression:
    """Builds one UpdateExpression: SET ..., ADD ..., REMOVE ..."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.removes: list[str] = []
        self.values: Item = {}

    def _value(self, value: int) -> str:
        name = f":v{len(self.values)}"
        self.values[name] = _n(value)
        return name

    def set_if_absent(self, attr: str, value: int, plus: int = 0) -> None:
        initial = f"if_not_exists({attr}, {self._value(value)})"
        self.sets.append(
            f"{attr} = {initial} + {self._value(plus)}" if plus else f"{attr} = {initial}"
        )

    def increment(self, increment: Increment) -> None:
        for metric, amount in increment.counts.items():
            self.adds.append(f"{METRIC_ATTR[metric]} {self._value(amount)}")
        w = increment.window
        if w is None:
            return
        if increment.first_in_window:
            self.adds.append(f"oa{w} {self._value(increment.first_in_window)}")
        if increment.new_since_previous:
            self.adds.append(f"ob{w} {self._value(increment.new_since_previous)}")
        self.removes += [f"{kind}{w - age}" for age in STALE_WINDOWS for kind in ("oa", "ob")]

    def text(self) -> str:
        clauses = [("SET", self.sets), ("ADD", self.adds), ("REMOVE", self.removes)]
        return " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses if parts)


class Storage:
    """Every request goes through `_send`, which retries like the SDK's standard mode.

    The client must not retry by itself (total_max_attempts=1): the ADDs to day
    and page items are not idempotent, and a re-send after a lost response would
    count a hit twice. `_send` re-sends an ADD only after errors that prove
    nothing was written (throttling, no connection); every other request is
    idempotent and retried on any transient error. One client, not two: a
    second costs ~25 ms of cold start.
    """

    def __init__(self, client: DynamoDBClient, table: str, attempts: int = 4) -> None:
        self.client = client
        self.table = table
        self.attempts = attempts

    def _send(self, operation: str, *, adds: bool = False, **request: Any) -> Any:
        """One request; `adds` marks a non-idempotent ADD (see the class docstring)."""
        call = getattr(self.client, operation)
        for attempt in range(1, self.attempts + 1):
            try:
                return call(**request)
            except ClientError as exc:
                code = _error_code(exc)
                if code not in NOT_WRITTEN_CODES:
                    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                    if code not in TRANSIENT_CODES and status < 500:
                        raise  # an answer, not a failure: a refused condition, a bad request
                    if adds:  # a 5xx may come after the write was applied
                        raise OutcomeUnknownError(f"counter write failed: {code}") from exc
                if attempt == self.attempts:
                    raise
            except NOT_SENT_ERRORS:
                if attempt == self.attempts:
                    raise
            except BotoCoreError as exc:
                # Read timeout, connection dropped: the response may be all that was lost.
                if adds:
                    raise OutcomeUnknownError(f"counter write failed: {exc}") from exc
                if attempt == self.attempts:
                    raise
            # Full jitter, as the SDK's standard mode: 25 ms, 50 ms, 100 ms caps.
            time.sleep(random.uniform(0, 0.025 * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")

    # -- site settings -------------------------------------------------------

    def get_site(self, site: str) -> Site | None:
        answer = self._send(
            "get_item",
            TableName=self.table,
            Key={"pk": {"S": site_pk(site)}, "sk": {"S": CONFIG_SK}},
        )
        item = answer.get("Item")
        if item is None:
            return None
        return Site.model_construct(
            id=site,
            timezone=item["timezone"]["S"],
            allowed_origins=[origin["S"] for origin in item["allowed_origins"]["L"]],
            count=cast(Metric, item["count"]["S"]),
            visit_timeout_minutes=int(item["visit_timeout_minutes"]["N"]),
            # Sites saved before the buffered mode existed count directly.
            mode="buffered" if item.get("mode", {}).get("S") == "buffered" else "direct",
        )

    def put_site(self, site: Site) -> None:
        item: Item = {
            "pk": {"S": site_pk(site.id)},
            "sk": {"S": CONFIG_SK},
            "timezone": {"S": site.timezone},
            "allowed_origins": {"L": [{"S": origin} for origin in site.allowed_origins]},
            "count": {"S": site.count},
            "visit_timeout_minutes": {"N": str(site.visit_timeout_minutes)},
            "mode": {"S": site.mode},
        }
        self._send("put_item", TableName=self.table, Item=item)

    # -- day counters ----------------------------------------------------------

    def latest_day(
        self, site: str, on_or_before: date, *, consistent: bool = False
    ) -> DayRecord | None:
        """The newest day item on or before a date: one Query, however long the site was idle."""
        return self._newest(site, day_sk(on_or_before), consistent=consistent)

    def last_day_before(self, site: str, day: date) -> DayRecord | None:
        return self.latest_day(site, day - timedelta(days=1), consistent=True)

    def _newest(self, site: str, upper_key: str, *, consistent: bool) -> DayRecord | None:
        answer = self._send(
            "query",
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": site_pk(site)},
                ":lo": {"S": DAY_PREFIX},
                ":hi": {"S": upper_key},
            },
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=consistent,
        )
        items = answer.get("Items", [])
        return _day_record(items[0]) if items else None

    def day_records(self, site: str, first: date, last: date) -> list[DayRecord]:
        """The day items from `first` to `last`, oldest first: one paginated Query."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": site_pk(site)},
                ":lo": {"S": day_sk(first)},
                ":hi": {"S": day_sk(last)},
            },
            ProjectionExpression=SERIES_ATTRS,
        )
        return [_day_record(item) for item in items]

    def _query_all(self, **kwargs: Any) -> Iterator[Item]:
        while True:
            answer = self._send("query", TableName=self.table, **kwargs)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def add(
        self, site: str, day: date, increment: Increment, marker: HitMarkers | None = None
    ) -> DayRecord | Sealed | Batched | None:
        """Adds to an opened, unsealed day item and returns it whole: the hit's one request.

        None means the day item is not opened yet; `Sealed` that a later day has begun.
        With hit markers the write is a transaction with the markers' Puts and
        answers `Batched` (the aggregator's path, never a hit's).
        """
        expression = _UpdateExpression()
        expression.increment(increment)
        condition = "attribute_exists(v_total) AND attribute_not_exists(sealed_by)"
        if marker is not None:
            return self._update_once(site, day, expression, condition, marker)
        return self._update(site, day, expression, condition)

    def open_day(
        self,
        site: str,
        day: date,
        previous: DayRecord | None,
        increment: Increment,
        marker: HitMarkers | None = None,
    ) -> DayRecord | Sealed | Batched:
        """Opens a day item with its bases from the sealed previous day, and adds.

        Whatever another request opening the same day wrote first is kept: both
        computed the same bases from the same sealed day.
        """
        expression = _UpdateExpression()
        for metric, prefix in METRIC_ATTR.items():
            bases = opening_bases(previous, day, metric)
            for name in BASE_FIELDS:
                expression.set_if_absent(f"{prefix}_{name}", getattr(bases, name))
        if previous is not None and increment.window is not None:
            # Online tallies of the current windows carry over local midnight.
            w = increment.window
            expression.set_if_absent(f"oa{w - 1}", previous.first_in_window.get(w - 1, 0))
            expression.set_if_absent(
                f"oa{w}", previous.first_in_window.get(w, 0), plus=increment.first_in_window
            )
            expression.set_if_absent(
                f"ob{w}", previous.new_since_previous.get(w, 0), plus=increment.new_since_previous
            )
            increment = Increment(increment.counts)
        expression.increment(increment)
        condition = "attribute_not_exists(sealed_by)"
        result = (
            self._update(site, day, expression, condition)
            if marker is None
            else self._update_once(site, day, expression, condition, marker)
        )
        assert result is not None  # only a sealed item can refuse this write
        return result

    def _update_once(
        self,
        site: str,
        day: date,
        expression: _UpdateExpression,
        condition: str,
        marker: HitMarkers,
    ) -> Sealed | Batched | None:
        """`_update` in one transaction with a conditional Put of each hit's marker."""
        update = {
            "TableName": self.table,
            "Key": {"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}},
            "UpdateExpression": expression.text(),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": expression.values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            return self._transact_once(update, marker, COUNTED_SK, f"day {day} of {site}")
        except self.client.exceptions.TransactionCanceledException as cancelled:
            reasons = cancelled.response.get("CancellationReasons") or []
            if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                raise
            old: Item = dict(reasons[0].get("Item") or {})
            if "sealed_by" in old:
                return Sealed(by=date.fromisoformat(old["sealed_by"]["S"]))
            return None

    def _transact_once(
        self, update: Item, marker: HitMarkers, marker_sk: str, what: str
    ) -> Batched:
        """One transaction: `update` and a conditional Put of each hit's marker.

        Answers `Batched` with the hits whose marker exists (then nothing was
        written); raises `TransactionConflictError` if another transaction held an
        item, and re-raises any other cancellation for the caller to read.
        Re-sending it is safe: a write applied before a lost answer left its markers.
        """
        if not 0 < len(marker.ids) <= MAX_MARKERS:
            raise ValueError(f"a transaction adds 1 to {MAX_MARKERS} hits, not {len(marker.ids)}")
        puts: list[Any] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": {"S": f"HIT#{hit_id}"},
                        "sk": {"S": marker_sk},
                        "expires_at": _n(marker.expires_at),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for hit_id in marker.ids
        ]
        try:
            self._send("transact_write_items", TransactItems=[{"Update": update}, *puts])
        except self.client.exceptions.TransactionCanceledException as cancelled:
            reasons = cancelled.response.get("CancellationReasons") or []
            codes = [reason.get("Code") for reason in reasons]
            counted = frozenset(
                hit_id
                for hit_id, code in zip(marker.ids, codes[1:], strict=False)
                if code == "ConditionalCheckFailed"
            )
            if counted:
                return Batched(already_counted=counted)
            if "TransactionConflict" in codes:
                raise TransactionConflictError(f"{what} is busy") from cancelled
            raise
        return Batched()

    def _update(
        self, site: str, day: date, expression: _UpdateExpression, condition: str
    ) -> DayRecord | Sealed | None:
        try:
            answer = self._send(
                "update_item",
                adds=True,
                TableName=self.table,
                Key={"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}},
                UpdateExpression=expression.text(),
                ConditionExpression=condition,
                ExpressionAttributeValues=expression.values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as refused:
            old: Item = refused.response.get("Item") or {}  # type: ignore[assignment]
            if "sealed_by" in old:
                return Sealed(by=date.fromisoformat(old["sealed_by"]["S"]))
            return None
        return _day_record(answer["Attributes"])

    def seal(self, site: str, day: date, by: date) -> DayRecord | Sealed:
        """Closes a day item to further increments, naming the day that opens after it.

        Returns the day's final record, or `Sealed` if a different day sealed it first.
        """
        try:
            answer = self._send(
                "update_item",
                TableName=self.table,
                Key={"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}},
                UpdateExpression="SET sealed_by = :by",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(sealed_by) OR sealed_by = :by)",
                ExpressionAttributeValues={":by": {"S": by.isoformat()}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as refused:
            current: Item = refused.response.get("Item") or {}  # type: ignore[assignment]
            if "sealed_by" not in current:
                raise RuntimeError(f"day {day} of {site} vanished while sealing") from refused
            return Sealed(by=date.fromisoformat(current["sealed_by"]["S"]))
        return _day_record(answer["Attributes"])

    # -- visitors ------------------------------------------------------------------

    def see_visitor(
        self, site: str, visitor: str, day: date, now: float, token: str = ""
    ) -> float | None:
        """Records that a visitor was seen now; returns when it was last seen that day.

        Safe for the SDK to re-send: `token` (unique per hit) marks the write, and a
        re-sent write that finds its own token answers the `prev` it saved.
        """
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": day.isoformat()}}
        try:
            answer = self._send(
                "update_item",
                TableName=self.table,
                Key=key,
                UpdateExpression="SET prev = if_not_exists(seen, :none), seen = :now, "
                "tok = :tok, expires_at = :expires",
                ConditionExpression="attribute_not_exists(tok) OR tok <> :tok",
                ExpressionAttributeValues={
                    ":now": {"N": f"{now:.3f}"},
                    ":none": _n(0),
                    ":tok": {"S": token or secrets.token_urlsafe(12)},
                    ":expires": _n(int(now) + VISITOR_TTL_SECONDS),
                },
                ReturnValues="ALL_OLD",  # UPDATED_OLD omits `seen` when rewritten unchanged
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as refused:
            # Our own write, applied before its response was lost.
            old = refused.response.get("Item")
            prev = float(old["prev"]["N"]) if isinstance(old, dict) and "prev" in old else 0.0
            return prev or None
        seen = answer.get("Attributes", {}).get("seen")
        return float(seen["N"]) if seen else None

    def unsee_visitor(
        self, site: str, visitor: str, day: date, token: str, last_seen: float | None
    ) -> None:
        """Undoes `see_visitor` when its hit was surely not counted (unless a later hit wrote)."""
        key = {"pk": {"S": visitor_pk(site, visitor)}, "sk": {"S": day.isoformat()}}
        try:
            if last_seen is None:
                self._send(
                    "delete_item",
                    TableName=self.table,
                    Key=key,
                    ConditionExpression="tok = :tok",
                    ExpressionAttributeValues={":tok": {"S": token}},
                )
            else:
                self._send(
                    "update_item",
                    TableName=self.table,
                    Key=key,
                    UpdateExpression="SET seen = :last REMOVE tok",
                    ConditionExpression="tok = :tok",
                    ExpressionAttributeValues={
                        ":tok": {"S": token},
                        ":last": {"N": f"{last_seen:.3f}"},
                    },
                )
        except self.client.exceptions.ConditionalCheckFailedException:
            pass  # a later hit of the same visitor wrote since: it stands

    def count_address(self, site: str, address: str, day: date, now: float, added: int = 1) -> int:
        """Adds new visitors to a client address's count for the day; returns the count."""
        answer = self._send(
            "update_item",
            TableName=self.table,
            Key={"pk": {"S": f"ADDRESS#{site}#{address}"}, "sk": {"S": day.isoformat()}},
            UpdateExpression="ADD visitors :one SET expires_at = :expires",
            ExpressionAttributeValues={
                ":one": _n(added),
                ":expires": _n(int(now) + VISITOR_TTL_SECONDS),
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["visitors"]["N"])

    def salt(self, day: date) -> bytes | None:
        answer = self._send(
            "get_item",
            TableName=self.table,
            Key={"pk": {"S": SALT_PK}, "sk": {"S": day.isoformat()}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return bytes(item["salt"]["B"]) if item else None

    def create_salt(self, day: date, salt: bytes, expires_at: int) -> bool:
        """Stores the day's salt unless another request stored one first."""
        try:
            self._send(
                "put_item",
                TableName=self.table,
                Item={
                    "pk": {"S": SALT_PK},
                    "sk": {"S": day.isoformat()},
                    "salt": {"B": salt},
                    "expires_at": _n(expires_at),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def delete_salts_before(self, day: date) -> None:
        """Deletes old salts now rather than whenever TTL gets to them."""
        answer = self._send(
            "query",
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk < :day",
            ExpressionAttributeValues={":pk": {"S": SALT_PK}, ":day": {"S": day.isoformat()}},
            ProjectionExpression="sk",
        )
        for item in answer.get("Items", []):
            self._send(
                "delete_item", TableName=self.table, Key={"pk": {"S": SALT_PK}, "sk": item["sk"]}
            )

    # -- baselines -------------------------------------------------------------------

    def put_baseline(self, site: str, day: date, count: int, bases: Bases) -> DayRecord:
        """Writes a day item holding imported figures, for both metrics."""
        item: Item = {"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}}
        for prefix in METRIC_ATTR.values():
            item[prefix] = _n(count)
            for name in BASE_FIELDS:
                item[f"{prefix}_{name}"] = _n(getattr(bases, name))
        self._send("put_item", TableName=self.table, Item=item)
        return _day_record(item)

    # -- page views --------------------------------------------------------------------

    def add_page_view(self, site: str, day: date, path: str) -> bool:
        """Adds one view of a (normalised) path on a day: one request, best effort.

        Called after the hit was counted: failing the hit now would make a client
        retry it and count the figures twice, so a failure is logged, not raised.
        """
        try:
            # An ADD: never re-sent blindly (see Storage).
            self._send(
                "update_item",
                adds=True,
                TableName=self.table,
                Key={"pk": {"S": pages_pk(site, day)}, "sk": {"S": f"{day.isoformat()}#{path}"}},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": _n(1)},
            )
        except (ClientError, BotoCoreError, OutcomeUnknownError):
            logger.warning("page view of %s on %s not counted", site, day, exc_info=True)
            return False
        return True

    def add_page_views_once(self, site: str, day: date, path: str, marker: HitMarkers) -> Batched:
        """Adds buffered hits' views of one path on a day, each hit at most once.

        One transaction: the page item's ADD and a `PAGE` marker per hit (see
        `_transact_once`). Unlike `add_page_view`, a failure raises: the
        aggregator reports the hits and SQS brings them back.
        """
        update = {
            "TableName": self.table,
            "Key": {"pk": {"S": pages_pk(site, day)}, "sk": {"S": f"{day.isoformat()}#{path}"}},
            "UpdateExpression": "ADD n :n",
            "ExpressionAttributeValues": {":n": _n(len(marker.ids))},
        }
        return self._transact_once(update, marker, PAGE_SK, f"page {path} of {site} on {day}")

    def page_views(self, site: str, first: date, last: date) -> Iterator[tuple[str, int]]:
        """(path, views) of every page item from `first` to `last`: one paginated Query a month."""
        for month in months(first, last):
            lo, hi = max(first, month), min(last, month_end(month))
            # "$" sorts right after "#": every key of the day `hi` is below "{hi}$".
            items = self._query_all(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": {"S": pages_pk(site, month)},
                    ":lo": {"S": f"{lo.isoformat()}#"},
                    ":hi": {"S": f"{hi.isoformat()}$"},
                },
            )
            for item in items:
                yield item["sk"]["S"].split("#", 1)[1], int(item["n"]["N"])
