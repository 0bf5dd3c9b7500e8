"""The stack serves its own widget and dashboard: the template's wiring and the function's answers."""

from __future__ import annotations

import gzip
import re
from base64 import b64decode
from typing import Any

from local.cloudformation import load_template, routes
from tests.conftest import REPO, Api, LambdaContext, handler_for

TEMPLATE = load_template()
API_URL = "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"


def get(path: str, **headers: str) -> dict[str, Any]:
    event = Api().event("GET", path, headers=headers)
    event["headers"].pop("content-type")
    return handler_for(event)(event, LambdaContext())


def test_outputs_name_the_widget_and_dashboard_urls_and_their_routes_exist() -> None:
    outputs = TEMPLATE["Outputs"]
    assert outputs["ApiUrl"]["Value"] == {"Fn::Sub": API_URL}
    assert outputs["WidgetUrl"]["Value"] == {"Fn::Sub": API_URL + "/widget.js"}
    assert outputs["DashboardUrl"]["Value"] == {"Fn::Sub": API_URL + "/dashboard"}
    by_key = {route.route_key: route for route in routes(template=TEMPLATE)}
    for key in ("GET /widget.js", "GET /dashboard", "GET /static/{file}"):
        assert by_key[key].handler == "handlers.static.lambda_handler", key
        assert not by_key[key].iam_auth, key
    static = TEMPLATE["Resources"]["StaticFunction"]["Properties"]
    assert "Policies" not in static  # it reads files of its own package only
    # The files are in the function's package: CodeUri src/ holds web/ (a link that
    # `sam build` copies as files; `make check-build` asserts they are in the build).
    code_uri = static.get("CodeUri") or TEMPLATE["Globals"]["Function"]["CodeUri"]
    assert (REPO / code_uri / "web" / "widget.js").is_file()


def test_widget_is_the_repos_file_cached_a_day_and_revalidated_by_etag() -> None:
    answer = get("/widget.js")
    assert answer["statusCode"] == 200
    headers = answer["headers"]
    assert headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert headers["Cache-Control"].startswith("public, max-age=86400")
    assert answer["body"] == (REPO / "web" / "widget.js").read_text()
    again = get("/widget.js", **{"If-None-Match": headers["ETag"]})
    assert again["statusCode"] == 304 and not again["body"]
    assert get("/widget.js", **{"If-None-Match": '"0000000000"'})["statusCode"] == 200


def test_widget_is_gzipped_for_browsers_that_accept_it() -> None:
    answer = get("/widget.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert answer["headers"]["Content-Encoding"] == "gzip" and answer["isBase64Encoded"]
    raw = (REPO / "web" / "widget.js").read_bytes()
    packed = b64decode(answer["body"])
    assert gzip.decompress(packed) == raw and len(packed) < len(raw) / 2


def test_dashboard_names_its_files_by_content_hash_and_they_are_immutable() -> None:
    page = get("/dashboard")
    assert page["statusCode"] == 200 and page["headers"]["Cache-Control"] == "no-cache"
    # Every file the page loads is one the stack serves (a deployed stack has no web/ server).
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page["body"])
    expected = [
        rf"static/{stem}\.[0-9a-f]{{10}}\.{suffix}"
        for stem, suffix in [
            ("dashboard", "css"),
            ("breakdowns", "js"),
            ("engagement", "js"),
            ("segments", "js"),
            ("dashboard", "js"),
        ]
    ]
    assert len(loaded) == 5, page["body"]
    assert all(re.fullmatch(e, name) for e, name in zip(expected, loaded, strict=True)), loaded
    names = [name.removeprefix("static/") for name in loaded]
    for name in names:
        answer = get(f"/static/{name}")
        assert answer["statusCode"] == 200, name
        assert answer["headers"]["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = name.split(".")[0] + "." + name.split(".")[-1]
        assert answer["body"] == (REPO / "web" / plain).read_text()


def test_unknown_stale_or_hostile_file_names_are_404_json() -> None:
    for name in (
        "dashboard.0000000000.js",
        "dashboard.js",
        "index.html",
        "static.py",
        "..%2f..%2fetc%2fpasswd",
        "x" * 5000,
    ):
        answer = get(f"/static/{name}")
        assert answer["statusCode"] == 404, name
        assert "message" in answer["body"]
