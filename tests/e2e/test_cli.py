"""The operators' command line (`visit-counter`) against the local API, a stub and moto."""

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
    site = run_json(
        capsys,
        url,
        "site",
        "set",
        "cli-site",
        "--timezone",
        "Asia/Ho_Chi_Minh",
        "--origin",
        "https://laichau.gov.vn",
        "--count",
        "pageviews",
    )
    assert site["allowed_origins"] == ["https://laichau.gov.vn"] and site["count"] == "pageviews"
    # An update changes only what it names.
    site = run_json(capsys, url, "site", "set", "cli-site", "--reports", "private")
    assert (site["reports"], site["count"], site["timezone"]) == (
        "private",
        "pageviews",
        "Asia/Ho_Chi_Minh",
    )
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
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        answer = json.dumps({"site": "laichau", "imported": 3}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    """A stand-in for `POST /v1/sites/{site}/history` (built on another branch)."""
    _Recorder.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("history.csv", b"period,visits\n2024,1200\n2024-05,300\n", "text/csv"),
        ("history.json", b'{"years": {"2024": 1200}}', "application/json"),
    ],
)
def test_history_file_is_sent_as_is_and_signed(
    capsys: Any, stub: str, tmp_path: Path, name: str, content: bytes, content_type: str
) -> None:
    file = tmp_path / name
    file.write_bytes(content)
    assert run_json(capsys, stub, "--region", "ap-southeast-1", "history", "laichau", str(file))
    (request,) = _Recorder.seen
    assert request["path"] == "/v1/sites/laichau/history"
    assert request["body"] == content
    assert request["headers"]["Content-Type"] == content_type
    # SigV4 for execute-api from the environment's credentials (the tests' fake ones).
    authorization = request["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/ap-southeast-1/execute-api/aws4_request" in authorization
    assert "X-Amz-Date" in request["headers"]


def test_a_nukeviet_dump_is_sent_with_its_format_and_date(
    capsys: Any, stub: str, tmp_path: Path
) -> None:
    dump = tmp_path / "counter.tsv"
    dump.write_bytes(b"c_type\tc_val\tc_count\ntotal\thits\t5\n")
    assert run_json(capsys, stub, "history", "laichau", str(dump), "--nukeviet", "2025-06-15")
    (request,) = _Recorder.seen
    assert request["path"] == "/v1/sites/laichau/history?format=nukeviet&date=2025-06-15"
    assert request["headers"]["Content-Type"] == "text/csv"
    assert request["body"] == dump.read_bytes()


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
