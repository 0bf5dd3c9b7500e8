"""Visit ids end to end (docs/counting.md, "The visit id"): real hits and events through the
API on a direct and a high-traffic site, their notes read off the stream as the aggregators
read them. Every page view and event of one visit carries one id, whichever path computed it
(the hit path, or the aggregator from the stream images); two visits never share one, a
returning visit of the same visitor included. Expected visits come from the plan below (its
gaps against the 30-minute timeout), never from the code under test."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from counters.aggregation.batches import noted_hit
from tests.conftest import Api, Streams
from tests.integration.test_aggregation import FIREFOX, records

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City
# (visitor, minutes after T0, page view or event name, the visit the model says it is of).
# Visitor 1 returns after 40 minutes (a new visit, of three page views so its start is
# stored by the returning visit's second hit); its events belong to its last page view's visit.
PLAN = [
    (1, 0, "/", "a"),
    (1, 2, "download", "a"),
    (1, 5, "/tin-tuc", "a"),
    (2, 6, "/", "b"),
    (1, 45, "/van-ban", "c"),
    (1, 46, "signup", "c"),
    (1, 50, "/lien-he", "c"),
    (1, 52, "/", "c"),
    (1, 53, "download", "c"),
    (2, 100, "/tin-tuc", "d"),
]


def send(api: Api, site: str, visitor: int, minutes: int, what: str) -> None:
    headers = {"user-agent": FIREFOX}
    ip = f"198.51.100.{visitor}"
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        if what.startswith("/"):
            api.hit(site, headers=headers, source_ip=ip, body={"path": what})
            return
        url = "https://portal.example/files/a.pdf" if what == "download" else None
        body = {"name": what, **({"url": url} if url else {})}
        status, answer = api.call(
            "POST", f"/v1/sites/{site}/events", body=body, headers=headers, source_ip=ip
        )
        assert status in (200, 202, 204), answer


@pytest.mark.parametrize("mode", ["direct", "buffered"])
def test_every_hit_and_event_of_a_visit_has_its_visits_id_and_no_other(
    api: Api, streams: Streams, mode: str
) -> None:
    api.register("site", "Asia/Ho_Chi_Minh", mode=mode)
    for visitor, minutes, what, _ in PLAN:
        send(api, "site", visitor, minutes, what)
    ids: dict[str, set[str | None]] = defaultdict(set)
    found = []
    for record in records(streams, "ReportAggregateFunction"):
        stream = DynamoDBRecord(record).dynamodb
        assert stream is not None
        hit = noted_hit(
            stream.keys or {}, stream.new_image, stream.old_image, stream.sequence_number or ""
        )
        if hit is not None and (hit.note.pageviews or hit.note.event):
            found.append(hit.note)
    assert len(found) == len(PLAN)
    # Notes in stream order per item, not across items: match them to the plan by content.
    remaining = list(found)
    for _, minutes, what, visit in PLAN:
        note = next(
            n
            for n in remaining
            if (n.path == what if what.startswith("/") else n.facts.get("event") == what)
            and n.window == int((T0 + timedelta(minutes=minutes)).timestamp() // 300)
        )
        remaining.remove(note)
        ids[visit].add(note.visit_id)
    for visit, seen in ids.items():
        assert len(seen) == 1 and None not in seen, (visit, seen)
    distinct = {next(iter(seen)) for seen in ids.values()}
    assert len(distinct) == len(ids)  # four visits, four ids
    assert all(len(i or "") == 16 for i in distinct)
