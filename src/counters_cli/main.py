"""visit-counter: register sites, read their figures, import history, share private reports.

    visit-counter --stack visit-counter site set laichau --timezone Asia/Ho_Chi_Minh
    visit-counter --api http://127.0.0.1:3000 sites

The API is `--api URL`, or the `ApiUrl` output of `--stack NAME`, or $VISIT_COUNTER_API.
Requests are signed with SigV4 from the usual AWS credentials (see `counters_cli.client`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from counters_cli import goals
from counters_cli.client import Api, ApiError, api_from_stack

SETTINGS = (
    "timezone",
    "allowed_origins",
    "count",
    "visit_timeout_minutes",
    "mode",
    "reports",
    "goals",
)
FIGURES = ("today", "yesterday", "month", "year", "total")


class UsageError(Exception):
    """A command that cannot be sent as given."""


def _site_path(site: str, rest: str = "") -> str:
    return f"/v1/sites/{quote(site, safe='')}{rest}"


def _print(answer: Any) -> None:
    print(json.dumps(answer, ensure_ascii=False, indent=2))


def site_set(api: Api, args: argparse.Namespace) -> None:
    """Creates a site, or changes only the settings given (the others are kept)."""
    try:
        current = api.request("GET", _site_path(args.site))
    except ApiError as exc:
        if exc.status != 404:
            raise
        current = {}
    settings = {key: current[key] for key in SETTINGS if key in current}
    given = {
        "timezone": args.timezone,
        "allowed_origins": args.origin,
        "count": args.count,
        "visit_timeout_minutes": args.visit_timeout,
        "mode": args.mode,
        "reports": args.reports,
    }
    settings.update({key: value for key, value in given.items() if value is not None})
    if "timezone" not in settings:
        raise UsageError(f"site {args.site!r} is new: --timezone is required")
    _print(api.send_json("PUT", _site_path(args.site), settings))


def site_show(api: Api, args: argparse.Namespace) -> None:
    _print(api.request("GET", _site_path(args.site)))


def sites(api: Api, args: argparse.Namespace) -> None:
    listed = api.request("GET", "/v1/sites")["sites"]
    if args.json:
        _print(listed)
        return
    columns = ("site", "date", "today", "yesterday", "month", "year", "total", "online", "reports")
    rows = [[str(site[c]) for c in columns] for site in listed]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    for row in [list(columns), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def baseline(api: Api, args: argparse.Namespace) -> None:
    body = {"date": args.date, **{name: getattr(args, name) for name in FIGURES}}
    _print(api.send_json("POST", _site_path(args.site, "/baseline"), body))


def history(api: Api, args: argparse.Namespace) -> None:
    """Sends the file as it is: the API reads JSON, CSV and NukeViet dumps itself."""
    path = Path(args.file)
    query = ""
    if args.nukeviet:
        # A dump is tab-separated text (mysql -B); the API needs its date to place the day rows.
        query = "?" + urlencode({"format": "nukeviet", "date": args.nukeviet})
    is_text = args.nukeviet or path.suffix.lower() in (".csv", ".tsv", ".txt")
    content_type = "text/csv" if is_text else "application/json"
    route = _site_path(args.site, "/history") + query
    _print(api.request("POST", route, path.read_bytes(), content_type))


def token_issue(api: Api, args: argparse.Namespace) -> None:
    issued = api.send_json("POST", _site_path(args.site, "/tokens"), {"label": args.label})
    # The fragment never reaches a server: the dashboard reads it and sends a header.
    issued["share_link"] = f"{api.base}/dashboard?site={args.site}#token={issued['token']}"
    _print(issued)
    print(
        "The token is shown only now; revoke it with: visit-counter token revoke "
        f"{args.site} {issued['id']}",
        file=sys.stderr,
    )


def token_list(api: Api, args: argparse.Namespace) -> None:
    _print(api.request("GET", _site_path(args.site, "/tokens")))


def token_revoke(api: Api, args: argparse.Namespace) -> None:
    api.request("DELETE", _site_path(args.site, f"/tokens/{quote(args.id, safe='')}"))
    print(f"token {args.id} of {args.site} no longer opens its reports")


def export(api: Api, args: argparse.Namespace) -> None:
    """Writes a range of the event archive to a file (a large one is fetched from its link)."""
    query = urlencode({"from": args.start, "to": args.end, "format": args.format})
    content_type, data = api.fetch("GET", _site_path(args.site, f"/export?{query}"))
    if content_type.startswith("application/json"):  # a large export: a link to the file
        link = json.loads(data)
        with urllib.request.urlopen(link["url"], timeout=api.timeout) as answer:  # presigned
            data = answer.read()
    output = Path(args.output or f"{args.site}-{args.start}-{args.end}.{args.format}")
    output.write_bytes(data)
    print(f"wrote {output} ({len(data)} bytes)")


def rebuild(api: Api, args: argparse.Namespace) -> None:
    """Rebuilds the report items of each day of a range from the archive, one day a request."""
    first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if last < first:
        raise UsageError("--to is before --from")
    day = first
    while day <= last:
        done = api.send_json("POST", _site_path(args.site, "/rebuild"), {"date": day.isoformat()})
        print(f"{done['date']}: {done['hits']} hits, {done['cleared']} report items replaced")
        day += timedelta(days=1)


def rollup(api: Api, args: argparse.Namespace) -> None:
    """Copies the days from --from on into the month rollups, a month a request."""
    first = date.fromisoformat(args.start)
    while True:
        done = api.send_json("POST", _site_path(args.site, "/rollups"), {"from": first.isoformat()})
        print(f"month rollups of {args.site}: {done['first']} to {done['through']}")
        if date.fromisoformat(done["first"]) <= first:
            return


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser("visit-counter", description=__doc__.split("\n")[0])
    where = top.add_mutually_exclusive_group()
    where.add_argument("--api", help="the API's base URL (default: $VISIT_COUNTER_API)")
    where.add_argument("--stack", help="a CloudFormation stack name: its ApiUrl output")
    top.add_argument("--region", help="AWS region (default: the API URL's, or your profile's)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    site = commands.add_parser("site", help="register, update or show a site")
    site_commands = site.add_subparsers(dest="site_command", required=True, metavar="ACTION")
    put = site_commands.add_parser("set", help="create a site, or change the settings given")
    put.add_argument("site")
    put.add_argument("--timezone", help="IANA timezone (required for a new site)")
    put.add_argument("--origin", action="append", help="an allowed origin (repeat); any if none")
    put.add_argument("--count", choices=["visits", "pageviews"])
    put.add_argument("--visit-timeout", type=int, help="minutes (default 30)")
    put.add_argument("--mode", choices=["direct", "buffered"])
    put.add_argument("--reports", choices=["public", "private"])
    put.set_defaults(run=site_set)
    show = site_commands.add_parser("show", help="a site's settings")
    show.add_argument("site")
    show.set_defaults(run=site_show)

    listing = commands.add_parser("sites", help="every site, with today's figures")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=sites)

    base = commands.add_parser("baseline", help="import a previous counter's figures on a date")
    base.add_argument("site")
    base.add_argument("--date", required=True, help="YYYY-MM-DD, the site's local date")
    for name in FIGURES:
        base.add_argument(f"--{name}", type=int, required=True)
    base.set_defaults(run=baseline)

    past = commands.add_parser("history", help="import a previous counter's history file")
    past.add_argument("site")
    past.add_argument("file", help=".json, or .csv / .tsv / .txt (sent as text/csv)")
    past.add_argument(
        "--nukeviet",
        metavar="DATE",
        help="the file is a NukeViet nv4_counter dump (mysql -B) taken on DATE, the site's "
        "local YYYY-MM-DD: history before it, and its figures as a baseline",
    )
    past.set_defaults(run=history)

    token = commands.add_parser("token", help="read tokens of private reports")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = token_commands.add_parser("issue", help="a new token and its share link")
    issue.add_argument("site")
    issue.add_argument("--label", default="", help="what it is for, e.g. who gets it")
    issue.set_defaults(run=token_issue)
    listed = token_commands.add_parser("list", help="a site's live tokens")
    listed.add_argument("site")
    listed.set_defaults(run=token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("site")
    revoke.add_argument("id")
    revoke.set_defaults(run=token_revoke)

    out = commands.add_parser("export", help="a range of the event archive, to a file")
    out.add_argument("site")
    out.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD, local")
    out.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, local")
    out.add_argument("--format", choices=["csv", "parquet"], default="csv")
    out.add_argument("-o", "--output", help="file (default: SITE-FROM-TO.FORMAT)")
    out.set_defaults(run=export)

    again = commands.add_parser(
        "rebuild", help="recompute pages and breakdowns of a range of days from the archive"
    )
    again.add_argument("site")
    again.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD, local")
    again.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, local")
    again.set_defaults(run=rebuild)

    roll = commands.add_parser(
        "rollup", help="copy a site's older days into the month rollups (see docs/operations.md)"
    )
    roll.add_argument("site")
    roll.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD, local")
    roll.set_defaults(run=rollup)
    goals.add_commands(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.stack:
        url = api_from_stack(args.stack, args.region)
    else:
        url = args.api or os.environ.get("VISIT_COUNTER_API") or ""
    if not url:
        print("error: give --api URL or --stack NAME (or set VISIT_COUNTER_API)", file=sys.stderr)
        return 2
    try:
        args.run(Api(url, args.region or ""), args)
    except (UsageError, goals.GoalError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
