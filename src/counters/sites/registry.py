"""The list of registered sites, for operators (`GET /v1/sites`), without a Scan.

Saving a site also writes one registry item in a single partition:

| item          | pk    | sk     | attributes              |
|---------------|-------|--------|-------------------------|
| site registry | SITES | {site} | timezone, count, reports, mode |

Listing N sites with today's figures costs 1 Query for the registry (paged
every 1 MB, ~10,000 sites), then one BatchGetItem per 100 sites for the items
of each site's local today, then one Query per site that has no traffic yet
today (its newest day item before today gives yesterday, month, year and total).
A portal group whose sites all had a visit today: 2 requests for up to 100 sites.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, cast

from pydantic import BaseModel

from counters.counting.figures import DayRecord, Metric
from counters.counting.periods import local_date
from counters.counting.service import CounterService
from counters.models import Site, SiteSettings, Stats
from counters.storage.day_records import day_record
from counters.storage.keys import REGISTRY_PK, day_sk, site_pk

BATCH_SIZE = 100  # BatchGetItem's limit


class SiteOverview(Stats):
    """A registered site's settings that matter at a glance, and its figures today."""

    count: Literal["visits", "pageviews"]
    reports: Literal["public", "private"]
    mode: Literal["direct", "buffered"]


class SiteList(BaseModel):
    sites: list[SiteOverview]


def save_site(counter: CounterService, site_id: str, site_settings: SiteSettings) -> Site:
    """Saves a site's settings and lists it in the registry (two PutItems, both idempotent)."""
    site = counter.save_site(site_id, site_settings)
    item = {
        "pk": {"S": REGISTRY_PK},
        "sk": {"S": site.id},
        "timezone": {"S": site.timezone},
        "count": {"S": site.count},
        "reports": {"S": site.reports},
        "mode": {"S": site.mode},
    }
    counter.storage.table.send("put_item", TableName=counter.storage.table.name, Item=item)
    return site


def _registered(counter: CounterService) -> list[Site]:
    items = counter.storage.table.query_all(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": REGISTRY_PK}}
    )
    return [
        Site.model_construct(
            id=item["sk"]["S"],
            timezone=item["timezone"]["S"],
            count=cast(Metric, item["count"]["S"]),
            reports=item["reports"]["S"],
            mode=item["mode"]["S"],
        )
        for item in items
    ]


def _days_today(counter: CounterService, wanted: dict[str, date]) -> dict[str, DayRecord]:
    """The day item of each site's today, where there is one: BatchGetItem per 100 sites."""
    found: dict[str, DayRecord] = {}
    keys = [{"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}} for site, day in wanted.items()]
    for item in counter.storage.table.get_many(keys, consistent=False):
        found[item["pk"]["S"].removeprefix("SITE#")] = day_record(item)
    return found


def list_sites(counter: CounterService) -> SiteList:
    sites = _registered(counter)
    instant = counter.clock()
    today = {site.id: local_date(site.timezone, instant) for site in sites}
    records = _days_today(counter, today)
    overviews = []
    for site in sites:
        record = records.get(site.id) or counter.latest_record(site, today[site.id])
        stats = counter.stats_of(site, record, today[site.id], instant.timestamp())
        overviews.append(
            SiteOverview(
                **stats.model_dump(), count=site.count, reports=site.reports, mode=site.mode
            )
        )
    return SiteList(sites=overviews)
