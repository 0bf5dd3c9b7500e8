"""The operators' command line (`visit-counter`) against the local API (through a recording
proxy where what it sends matters) and moto."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from counters_cli.main import main
from tests.e2e.conftest import midday_timezone


def run(capsys: Any, url: str, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--api", url, *argv])
    out, err = capsys.readouterr()
    # The in-process API's functions print their metrics (EMF lines) to the same stdout.
    out = "".join(line for line in out.splitlines(True) if not line.startswith('{"_aws"'))
    return code, out, err


def run_json(capsys: Any, url: str, *argv: str) -> Any:
    code, out, err = run(capsys, url, *argv)
    assert code == 0, err
    return json.loads(out)


def test_register_update_show_and_list_sites(capsys: Any, local_api: Any) -> None:
    url = local_api.url
    code, _, err = run(capsys, url, "site", "set", "cli-new")
    assert code == 2 and "--timezone is required" in err
    zone = midday_timezone()  # the site's today cannot turn between reading and using it
    site = run_json(
        capsys,
        url,
        "site",
        "set",
        "cli-site",
        "--timezone",
        zone,
        "--origin",
        "https://laichau.gov.vn",
        "--count",
        "pageviews",
    )
    assert site["allowed_origins"] == ["https://laichau.gov.vn"] and site["count"] == "pageviews"
    # An update changes only what it names.
    site = run_json(capsys, url, "site", "set", "cli-site", "--reports", "private")
    assert (site["reports"], site["count"], site["timezone"]) == ("private", "pageviews", zone)
    assert run_json(capsys, url, "site", "show", "cli-site") == site

    today = requests.get(f"{url}/v1/sites/cli-site/stats", timeout=10).json()["date"]
    figures = ["--today", "4", "--yesterday", "5", "--month", "40", "--year", "400"]
    answer = run_json(
        capsys, url, "baseline", "cli-site", "--date", today, *figures, "--total", "4000"
    )
    assert answer["total"] == 4000

    listed = run_json(capsys, url, "sites", "--json")
    mine = next(s for s in listed if s["site"] == "cli-site")
    assert (mine["today"], mine["total"], mine["reports"]) == (4, 4000, "private")
    code, table, _ = run(capsys, url, "sites")
    assert code == 0
    header, *rows = table.splitlines()
    assert header.split() == [
        "site",
        "date",
        "today",
        "yesterday",
        "month",
        "year",
        "total",
        "online",
        "reports",
    ]
    assert any(row.split()[:3] == ["cli-site", today, "4"] for row in rows)


def test_tokens_issue_list_revoke(capsys: Any, local_api: Any) -> None:
    url = local_api.url
    run_json(capsys, url, "site", "set", "cli-private", "--timezone", "UTC", "--reports", "private")
    issued = run_json(capsys, url, "token", "issue", "cli-private", "--label", "council")
    assert issued["share_link"] == f"{url}/dashboard?site=cli-private#token={issued['token']}"
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    series = f"{url}/v1/sites/cli-private/series"
    assert requests.get(series, headers=bearer, timeout=10).status_code == 200
    listed = run_json(capsys, url, "token", "list", "cli-private")
    assert listed == [{"id": issued["id"], "label": "council", "created": issued["created"]}]
    code, out, _ = run(capsys, url, "token", "revoke", "cli-private", issued["id"])
    assert code == 0 and issued["id"] in out
    assert requests.get(series, headers=bearer, timeout=10).status_code == 403
    assert run_json(capsys, url, "token", "list", "cli-private") == []


def test_api_errors_are_reported_with_their_message(capsys: Any, local_api: Any) -> None:
    code, _, err = run(capsys, local_api.url, "site", "show", "never-registered")
    assert code == 1 and "HTTP 404" in err and "never-registered" in err
    code, _, err = run(capsys, "http://127.0.0.1:9", "sites")
    assert code == 1 and "cannot reach" in err


class _Recorder(BaseHTTPRequestHandler):
    """Records each request as the command line sent it, then passes it to the local API."""

    seen: list[dict[str, Any]] = []
    api = ""

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        # The local API takes loopback calls as signed (it checks no signature).
        passed = requests.post(
            self.api + self.path,
            data=body,
            headers={"Content-Type": self.headers["Content-Type"]},
            timeout=30,
        )
        self.send_response(passed.status_code)
        self.send_header("Content-Type", passed.headers["Content-Type"])
        self.send_header("Content-Length", str(len(passed.content)))
        self.end_headers()
        self.wfile.write(passed.content)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder(local_api: Any) -> Iterator[str]:
    """A recording proxy in front of the local API's `POST /v1/sites/{site}/history`."""
    _Recorder.seen, _Recorder.api = [], local_api.url
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "written"),
    [
        ("history.csv", b"period,visits\n2024,1200\n2024-05,300\n", "text/csv", 2),
        ("history.json", b'{"rows": [{"period": "2024", "visits": 1200}]}', "application/json", 1),
    ],
)
def test_history_file_is_sent_as_is_and_signed(
    capsys: Any,
    local_api: Any,
    recorder: str,
    tmp_path: Path,
    name: str,
    content: bytes,
    content_type: str,
    written: int,
) -> None:
    site = "cli-" + name.replace(".", "-")
    run_json(capsys, local_api.url, "site", "set", site, "--timezone", "Asia/Ho_Chi_Minh")
    file = tmp_path / name
    file.write_bytes(content)
    answer = run_json(capsys, recorder, "--region", "ap-southeast-1", "history", site, str(file))
    assert (answer["periods"], answer["written"], answer["unchanged"]) == (written, written, 0)
    (request,) = _Recorder.seen
    assert request["path"] == f"/v1/sites/{site}/history"
    assert request["body"] == content
    assert request["headers"]["Content-Type"] == content_type
    # SigV4 for execute-api from the environment's credentials (the tests' fake ones).
    authorization = request["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/ap-southeast-1/execute-api/aws4_request" in authorization
    assert "X-Amz-Date" in request["headers"]
    years = requests.get(
        f"{local_api.url}/v1/sites/{site}/series",
        params={"granularity": "year", "from": "2024", "to": "2024"},
        timeout=10,
    ).json()["points"]
    assert [(p["period"], p["visits"]) for p in years] == [("2024", 1200)]


def test_a_nukeviet_dump_is_sent_with_its_format_and_date(
    capsys: Any, local_api: Any, recorder: str, tmp_path: Path
) -> None:
    # A zone at midday: the site's today cannot turn while the test runs.
    run_json(capsys, local_api.url, "site", "set", "cli-dump", "--timezone", midday_timezone())
    # The site's today, from the API: a dump is of the day its day rows count.
    today = requests.get(f"{local_api.url}/v1/sites/cli-dump/stats", timeout=10).json()["date"]
    dump = tmp_path / "counter.tsv"
    dump.write_bytes(b"c_type\tc_val\tc_count\ntotal\thits\t5\n")
    answer = run_json(capsys, recorder, "history", "cli-dump", str(dump), "--nukeviet", today)
    (request,) = _Recorder.seen
    assert request["path"] == f"/v1/sites/cli-dump/history?format=nukeviet&date={today}"
    assert request["headers"]["Content-Type"] == "text/csv"
    assert request["body"] == dump.read_bytes()
    assert (answer["baseline"]["date"], answer["baseline"]["total"]) == (today, 5)


def test_stack_name_finds_the_api_url(monkeypatch: Any) -> None:
    from moto import mock_aws

    from counters_cli.client import api_from_stack

    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ApiUrl": {"Value": "https://abc123.execute-api.ap-southeast-1.amazonaws.com"}},
    }
    with mock_aws():
        import boto3

        cloudformation = boto3.client("cloudformation", region_name="ap-southeast-1")
        cloudformation.create_stack(StackName="visit-counter", TemplateBody=json.dumps(template))
        url = api_from_stack("visit-counter", "ap-southeast-1")
    assert url == "https://abc123.execute-api.ap-southeast-1.amazonaws.com"
