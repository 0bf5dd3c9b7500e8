"""All DynamoDB access, and the one place the table's key layout is written down.

One table, string keys `pk` (partition) and `sk` (sort), TTL attribute `expires_at`:

| item            | pk                    | sk                | attributes                                  |
|-----------------|-----------------------|-------------------|---------------------------------------------|
| site settings   | SITE#{site}           | CONFIG            | timezone, allowed_origins, count, ...       |
| day counters    | SITE#{site}           | DAY#{yyyy-mm-dd}  | v, p: the day's visits and page views;      |
|                 |                       |                   | {v,p}_yesterday/_month/_year/_total: bases; |
|                 |                       |                   | sealed_by: the next day, once it opened     |

Day dates are the site's local dates. A day item exists only for days with
traffic (or an imported baseline): idle days cost nothing. Bases are the
figures before the day began (see `counters.rollover`).

The low-level client is used on purpose: it imports faster than the resource
API and lets us write the exact expressions, one request per call below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from counters.models import Site
from counters.rollover import Bases, DayRecord, Metric, Tally

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


def day_sk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


CONFIG_SK = "CONFIG"
DAY_PREFIX = "DAY#"


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
    return DayRecord(
        day=date.fromisoformat(item["sk"]["S"].removeprefix(DAY_PREFIX)),
        tallies=tallies,
        sealed_by=date.fromisoformat(sealed["S"]) if sealed else None,
    )


@dataclass(frozen=True)
class Sealed:
    """The answer of a write refused because the day item is already sealed."""

    by: date


class Storage:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    # -- site settings -------------------------------------------------------

    def get_site(self, site: str) -> Site | None:
        answer = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": site_pk(site)}, "sk": {"S": CONFIG_SK}}
        )
        item = answer.get("Item")
        if item is None:
            return None
        return Site.model_construct(
            id=site,
            timezone=item["timezone"]["S"],
            allowed_origins=[origin["S"] for origin in item["allowed_origins"]["L"]],
            count=item["count"]["S"],
            visit_timeout_minutes=int(item["visit_timeout_minutes"]["N"]),
        )

    def put_site(self, site: Site) -> None:
        item = {
            "pk": {"S": site_pk(site.id)},
            "sk": {"S": CONFIG_SK},
            "timezone": {"S": site.timezone},
            "allowed_origins": {"L": [{"S": origin} for origin in site.allowed_origins]},
            "count": {"S": site.count},
            "visit_timeout_minutes": {"N": str(site.visit_timeout_minutes)},
        }
        self.client.put_item(TableName=self.table, Item=item)

    # -- day counters ----------------------------------------------------------

    def latest_day(self, site: str, on_or_before: date, *, consistent: bool = False) -> DayRecord | None:
        """The newest day item on or before a date: one Query, however long the site was idle."""
        return self._newest(site, day_sk(on_or_before), consistent=consistent)

    def last_day_before(self, site: str, day: date) -> DayRecord | None:
        return self.latest_day(site, day - timedelta(days=1), consistent=True)

    def _newest(self, site: str, upper_key: str, *, consistent: bool) -> DayRecord | None:
        answer = self.client.query(
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

    def add(self, site: str, day: date, counts: Mapping[Metric, int]) -> DayRecord | Sealed | None:
        """Adds to an opened, unsealed day item and returns it whole: the hit's one request.

        None means the day item is not opened yet; `Sealed` that a later day has begun.
        """
        return self._update(
            site,
            day,
            counts,
            condition="attribute_exists(v_total) AND attribute_not_exists(sealed_by)",
        )

    def open_day(
        self, site: str, day: date, bases: Mapping[Metric, Bases], counts: Mapping[Metric, int]
    ) -> DayRecord | Sealed:
        """Opens a day item with its bases (kept if another request opened it first) and adds."""
        sets = []
        values: Item = {}
        for metric, metric_bases in bases.items():
            prefix = METRIC_ATTR[metric]
            for name in BASE_FIELDS:
                attr = f"{prefix}_{name}"
                sets.append(f"{attr} = if_not_exists({attr}, :{attr})")
                values[f":{attr}"] = _n(getattr(metric_bases, name))
        result = self._update(
            site, day, counts, condition="attribute_not_exists(sealed_by)", sets=sets, values=values
        )
        assert result is not None  # only a sealed item can refuse this write
        return result

    def _update(
        self,
        site: str,
        day: date,
        counts: Mapping[Metric, int],
        *,
        condition: str,
        sets: list[str] | None = None,
        values: Item | None = None,
    ) -> DayRecord | Sealed | None:
        adds = [f"{METRIC_ATTR[m]} :{METRIC_ATTR[m]}" for m in counts]
        values = {**(values or {}), **{f":{METRIC_ATTR[m]}": _n(n) for m, n in counts.items()}}
        expression = "ADD " + ", ".join(adds)
        if sets:
            expression = "SET " + ", ".join(sets) + " " + expression
        try:
            answer = self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as refused:
            old = refused.response.get("Item")
            if old and "sealed_by" in old:
                return Sealed(by=date.fromisoformat(old["sealed_by"]["S"]))
            return None
        return _day_record(answer["Attributes"])

    def seal(self, site: str, day: date, by: date) -> DayRecord | Sealed:
        """Closes a day item to further increments, naming the day that opens after it.

        Returns the day's final record, or `Sealed` if a different day sealed it first.
        """
        try:
            answer = self.client.update_item(
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
            old = refused.response.get("Item") or {}
            if "sealed_by" not in old:
                raise RuntimeError(f"day {day} of {site} vanished while sealing") from refused
            return Sealed(by=date.fromisoformat(old["sealed_by"]["S"]))
        return _day_record(answer["Attributes"])
