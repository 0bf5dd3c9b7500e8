"""Site settings items."""

from __future__ import annotations

import json
from typing import cast

from counters.counting.figures import Metric
from counters.models import Goal, Site
from counters.storage.keys import CONFIG_SK, site_pk
from counters.storage.table import Item, Table


class SiteItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, site: str) -> Site | None:
        answer = self.table.send(
            "get_item",
            TableName=self.table.name,
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
            # Sites saved before the high-traffic mode existed count directly.
            mode="buffered" if item.get("mode", {}).get("S") == "buffered" else "direct",
            # Sites saved before private reports existed are public.
            reports="private" if item.get("reports", {}).get("S") == "private" else "public",
            # As saved (validated then): a JSON list, absent when there are none.
            goals=[
                Goal.model_construct(**goal)
                for goal in json.loads(item.get("goals", {}).get("S", "[]"))
            ],
        )

    def put(self, site: Site) -> None:
        item: Item = {
            "pk": {"S": site_pk(site.id)},
            "sk": {"S": CONFIG_SK},
            "timezone": {"S": site.timezone},
            "allowed_origins": {"L": [{"S": origin} for origin in site.allowed_origins]},
            "count": {"S": site.count},
            "visit_timeout_minutes": {"N": str(site.visit_timeout_minutes)},
            "mode": {"S": site.mode},
            "reports": {"S": site.reports},
        }
        if site.goals:
            goals = [goal.model_dump(exclude_none=True) for goal in site.goals]
            item["goals"] = {"S": json.dumps(goals, ensure_ascii=False)}
        self.table.send("put_item", TableName=self.table.name, Item=item)
