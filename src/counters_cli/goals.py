"""visit-counter goals: list, add and remove a site's goals, and read their conversions.

visit-counter goals list laichau
visit-counter goals add laichau "Tải văn bản" --event download
visit-counter goals add laichau "Dịch vụ công" --page "/dich-vu-cong/*"
visit-counter goals remove laichau "Tải văn bản"
visit-counter goals report laichau --from 2026-11-01 --to 2026-11-30
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import quote, urlencode

from counters_cli.client import Api

SETTINGS = ("timezone", "allowed_origins", "count", "visit_timeout_minutes", "mode", "reports")


class GoalError(Exception):
    """A goal command that cannot be sent as given."""


def _site(site: str) -> str:
    return f"/v1/sites/{quote(site, safe='')}"


def _put_goals(api: Api, site: str, goals: list[dict[str, Any]]) -> None:
    current = api.request("GET", _site(site))
    settings = {key: current[key] for key in SETTINGS if key in current}
    answer = api.send_json("PUT", _site(site), {**settings, "goals": goals})
    print(json.dumps(answer["goals"], ensure_ascii=False, indent=2))


def _goals(api: Api, site: str) -> list[dict[str, Any]]:
    goals = api.request("GET", _site(site)).get("goals", [])
    return [{k: v for k, v in goal.items() if v is not None} for goal in goals]


def goals_list(api: Api, args: argparse.Namespace) -> None:
    print(json.dumps(_goals(api, args.site), ensure_ascii=False, indent=2))


def goals_add(api: Api, args: argparse.Namespace) -> None:
    goals = [goal for goal in _goals(api, args.site) if goal["name"] != args.name]
    kind = {"event": args.event} if args.event else {"page": args.page}
    _put_goals(api, args.site, [*goals, {"name": args.name, **kind}])


def goals_remove(api: Api, args: argparse.Namespace) -> None:
    goals = _goals(api, args.site)
    kept = [goal for goal in goals if goal["name"] != args.name]
    if len(kept) == len(goals):
        raise GoalError(f"site {args.site!r} has no goal named {args.name!r}")
    _put_goals(api, args.site, kept)


def goals_report(api: Api, args: argparse.Namespace) -> None:
    query = {k: v for k, v in (("from", args.start), ("to", args.end)) if v}
    path = f"{_site(args.site)}/goals" + (f"?{urlencode(query)}" if query else "")
    print(json.dumps(api.request("GET", path), ensure_ascii=False, indent=2))


def add_commands(commands: Any) -> None:
    goals = commands.add_parser("goals", help="a site's goals and their conversions")
    actions = goals.add_subparsers(dest="goals_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the site's goals")
    listing.add_argument("site")
    listing.set_defaults(run=goals_list)
    add = actions.add_parser("add", help="add a goal (or replace the one of that name)")
    add.add_argument("site")
    add.add_argument("name")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--event", help="an event's name: download, outbound, or a custom one")
    kind.add_argument("--page", help="a path pattern, * for any characters: /dich-vu-cong/*")
    add.set_defaults(run=goals_add)
    remove = actions.add_parser("remove", help="remove a goal by its name")
    remove.add_argument("site")
    remove.add_argument("name")
    remove.set_defaults(run=goals_remove)
    report = actions.add_parser("report", help="conversions over a range of local days")
    report.add_argument("site")
    report.add_argument("--from", dest="start", help="YYYY-MM-DD (default: 30 days to today)")
    report.add_argument("--to", dest="end", help="YYYY-MM-DD (default: today)")
    report.set_defaults(run=goals_report)
