"""The table's key layout: the one place every `pk` and `sk` is built.

One table, string keys `pk` (partition) and `sk` (sort), TTL attribute `expires_at`,
a stream of new and old images (read by the aggregators, `counters.aggregation.batches`):

| item           | pk                            | sk                   | attributes                                  |
|----------------|-------------------------------|----------------------|---------------------------------------------|
| site settings  | SITE#{site}                   | CONFIG               | timezone, allowed_origins, count, mode, ... |
| day counters   | SITE#{site}                   | DAY#{yyyy-mm-dd}     | v, p: the day's visits and page views;      |
|                |                               |                      | {v,p}_yesterday/_month/_year/_total: bases; |
|                |                               |                      | sealed_by: the next day, once it opened;    |
|                |                               |                      | hb: the site's first day, opened with no    |
|                |                               |                      | baseline: its bases are imported history's  |
|                |                               |                      | oa{W}, ob{W}: online tallies of 5-minute    |
|                |                               |                      | window W (see counters.counting.visits);    |
|                |                               |                      | h: the last direct hit's note (see below);  |
|                |                               |                      | bn, du: the day's bounces and visit duration|
|                |                               |                      | (ms), added with v (counters.counting.      |
|                |                               |                      | engagement)                                 |
|                |                               |                      | w_{shard}: added up to (high-traffic sites) |
| day's events   | SITE#{site}                   | DAY#{yyyy-mm-dd}#e   | bn: bounces a direct site's events ended;   |
|                |                               |                      | w_{shard}: added up to. Apart from the day  |
|                |                               |                      | item, which every direct hit writes: its    |
|                |                               |                      | shard marks would grow that write past 1 KB |
| visitor        | VISITOR#{site}#{id}           | {yyyy-mm-dd}         | seen (epoch seconds), expires_at;           |
|                |                               |                      | tok, prev: the last hit's token and the     |
|                |                               |                      | seen before it (makes re-sends harmless);   |
|                |                               |                      | vs, ve: the latest visit's start and entry  |
|                |                               |                      | page; lp: the last page (engagement; pages  |
|                |                               |                      | at most 200 bytes, "": none);               |
|                |                               |                      | h: a high-traffic site's last hit's note    |
| hit lane       | LANE#{site}#{0..127}          | NOTE                 | h: the note of a high-traffic site's hit    |
|                |                               |                      | with no visitor item (a bot, capped address)|
| client address | ADDRESS#{site}#{id}           | {yyyy-mm-dd}         | win_at, win_new: a minute (epoch minutes)   |
|                |                               |                      | and the new visitors one IP (IPv6: /56)     |
|                |                               |                      | brought in it; visitors: that day's checked |
|                |                               |                      | ones (once it brought many); expires_at     |
| daily salt     | SALT                          | {yyyy-mm-dd}         | salt (32 random bytes), expires_at          |
| report value   | REPORT#{site}#{dim}#{yyyy-mm} | {yyyy-mm-dd}#{value} | v, p: visits and page views of one value of |
|                |                               |                      | a dimension (page, source, browser, ...)    |
|                |                               |                      | on a day; w_{shard}: added up to; a page's  |
|                |                               |                      | ev, eb, ed, x: visits begun on it, their    |
|                |                               |                      | bounces and duration (ms), visits it ended  |
| month rollup   | ROLLUP#{site}#{dim}#{yyyy-mm} | {value}              | v{dd}, p{dd}, ev{dd}, ...: a copy of each   |
|                |                               |                      | closed day item's figures of the value that |
|                |                               |                      | month (see counters.storage.rollup_items)   |
| rollups' mark  | ROLLUP#{site}                 | THROUGH              | first, through: the days copied (all dims)  |
| report values  | REPORT#{site}#{dim}#{yyyy-mm} | {yyyy-mm-dd}#        | values: distinct values stored that day     |
| imported year  | SITE#{site}                   | IMPORT#Y#{yyyy}      | v, p: a previous counter's visits and page  |
| imported month | SITE#{site}                   | IMPORT#M#{yyyy-mm}   | views (absent: unknown); never DAY#, so day |
| imported day   | SITE#{site}                   | IMPORT#D#{yyyy-mm-dd}| Queries never meet them                     |
| report token   | SITE#{site}                   | TOKEN#{sha256}       | id, label, created: a private site's read   |
|                |                               |                      | token, by its hash                          |
|                |                               |                      | (counters.reports.read_tokens)              |
| site registry  | SITES                         | {site}               | timezone, count, reports, mode: sites are   |
|                |                               |                      | listed without a Scan                       |
| idempotency    | IDEMPOTENCY#{site}            | hash of the key      | Powertools Idempotency's record (hits with  |
|                |                               |                      | an Idempotency-Key; written by Powertools)  |

Day dates are the site's local dates. Visitor and address ids are keyed hashes that
change with the daily salt; visitor items expire a day after they were last seen. A
day item exists only for days with traffic (or an imported baseline): idle days cost
nothing. Bases are the figures before the day began (see `counters.counting.figures`).

A hit note (`h`, see `counters.aggregation.notes.HitNote`) rides on an item the hit
writes: the day item of a direct site (which it writes anyway), or the visitor
item of a high-traffic site (its only write; a hit with no visitor item of its
own uses one of 128 lane items). The stream carries it to the aggregators, which
add pages and breakdowns (and a high-traffic site's day counters) to their items.
One shard's records arrive in order, so each item an aggregator writes keeps the
last sequence number it added per shard (`w_{shard}`, `s` and 12 hex digits of
the shard id's hash; the value a string of 40 digits): a batch delivered again adds
nothing twice. Report items
keep history (no TTL); at most
`MAX_VALUES_PER_DAY` values per dimension and day, the rest counted as "(other)".

History reads are range Queries: a series' day items are one partition (a year of
days is about 80 KB, one page); a report reads the month rollups of its range's copied
days, one partition per dimension and month whatever the number of days, and the day
items of its other days (`sk BETWEEN {from}# AND {to}$`).
"""

from __future__ import annotations

from datetime import date

CONFIG_SK = "CONFIG"
IMPORT_PREFIX = "IMPORT#"  # imported history: IMPORT#Y#yyyy, IMPORT#M#yyyy-mm, IMPORT#D#yyyy-mm-dd
TOKEN_PREFIX = "TOKEN#"  # a report token: SITE#{site} / TOKEN#{sha256 of the token}
REGISTRY_PK = "SITES"  # the site registry: SITES / {site}
SALT_PK = "SALT"
DAY_PREFIX = "DAY#"


def site_pk(site: str) -> str:
    return f"SITE#{site}"


def day_sk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def day_of_sk(sk: str) -> date:
    return date.fromisoformat(sk.removeprefix(DAY_PREFIX)[:10])


# A day's events item sorts right after its day item, inside a Query of the days.
DAY_EVENTS_SUFFIX = "#e"


def day_events_sk(day: date) -> str:
    return day_sk(day) + DAY_EVENTS_SUFFIX


def is_day_events_sk(sk: str) -> bool:
    return sk.endswith(DAY_EVENTS_SUFFIX)


def visitor_pk(site: str, visitor: str) -> str:
    return f"VISITOR#{site}#{visitor}"


def address_pk(site: str, address: str) -> str:
    return f"ADDRESS#{site}#{address}"


def dated_sk(day: date) -> str:
    """The sort key of per-day items of one visitor, address or salt."""
    return day.isoformat()


def idempotency_pk(site: str) -> str:
    return f"IDEMPOTENCY#{site}"


def report_pk(site: str, dimension: str, day: date) -> str:
    return f"REPORT#{site}#{dimension}#{day.year:04d}-{day.month:02d}"


def report_sk(day: date, value: str) -> str:
    """A value's item; with value "" the day's tally of distinct values (sorts first)."""
    return f"{day.isoformat()}#{value}"


def report_sk_range(first: date, last: date) -> tuple[str, str]:
    # "$" sorts right after "#": every key of the day `last` is below "{last}$".
    return f"{first.isoformat()}#", f"{last.isoformat()}$"


def rollup_pk(site: str, dimension: str, day: date) -> str:
    """The month rollups of a dimension: one item per value, its figures per day of the month."""
    return f"ROLLUP#{site}#{dimension}#{day.year:04d}-{day.month:02d}"


def rollup_watermark_key(site: str) -> dict[str, dict[str, str]]:
    """The days a site's month rollups hold (see counters.storage.rollup_items)."""
    return {"pk": {"S": f"ROLLUP#{site}"}, "sk": {"S": "THROUGH"}}


def lane_pk(site: str, lane: int) -> str:
    return f"LANE#{site}#{lane}"


LANE_SK = "NOTE"


def watermark_attr(shard: str) -> str:
    """The attribute naming how far an item has added the stream records of a shard."""
    return f"w_{shard}"
