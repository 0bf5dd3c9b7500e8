"""Private reports (read tokens) and the site list, through the handlers on moto."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import time_machine

from counters.counting.service import default_service
from tests.conftest import Api, LambdaContext, handler_for, table_dump

REPORTS = [
    "/series",
    "/pages",
    "/breakdown?dimension=source",
    "/breakdown?dimension=entry",
    "/summary",
    "/goals",
]
PUBLIC = ["/stats", "/badge.svg"]


def issue(api: Api, site: str, label: str = "") -> dict[str, Any]:
    status, answer = api.call("POST", f"/v1/sites/{site}/tokens", {"label": label})
    assert status == 201, answer
    return answer  # type: ignore[no-any-return]


def read(api: Api, site: str, path: str, token: str | None = None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    path, _, query = path.partition("?")
    return api.call("GET", f"/v1/sites/{site}{path}", headers=headers, query=dict(parse_qsl(query)))


def requests_of(storage: Any) -> list[str]:
    calls: list[str] = []
    storage.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    return calls


def test_sites_are_public_by_default_and_need_no_token(api: Api) -> None:
    api.register("open")
    status, site = api.call("GET", "/v1/sites/open")
    assert status == 200 and site["reports"] == "public"
    for path in REPORTS + PUBLIC:
        status, answer = read(api, "open", path)
        assert status == 200, (path, answer)


def test_private_reports_need_a_live_token(api: Api) -> None:
    api.register("closed", reports="private")
    api.hit("closed", body={"path": "/a"})
    for path in REPORTS:
        status, answer = read(api, "closed", path)
        assert status == 401, answer
        assert "private" in answer["message"] and "Bearer" in answer["message"]
    token = issue(api, "closed", "the mayor's office")
    for path in REPORTS:
        status, answer = read(api, "closed", path, token["token"])
        assert status == 200, (path, answer)
    # Hits, stats and the badge stay public: the footer shows them.
    for path in PUBLIC:
        assert read(api, "closed", path)[0] == 200, path
    assert api.hit("closed")["today"] >= 1


def test_wrong_malformed_and_foreign_tokens_are_403_and_name_nothing(api: Api) -> None:
    api.register("closed", reports="private")
    api.register("other", reports="private")
    good = issue(api, "closed")["token"]
    foreign = issue(api, "other")["token"]
    wrong = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for bad in (wrong, foreign, "x" * 43, "not a token!", "A" * 500):
        status, answer = read(api, "closed", "/series", bad)
        assert status == 403, (bad, answer)
        assert answer["message"] == "the read token is not valid for this site (wrong or revoked)"
        assert bad not in json.dumps(answer) and good not in json.dumps(answer)
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "x" * 5000):
        status, answer = read(api, "closed", "/pages", Authorization=header)
        assert status in (401, 403), (header, answer)


def test_revoked_token_is_refused_and_listing_shows_no_secret(api: Api, dynamodb: Any) -> None:
    api.register("closed", reports="private")
    first, second = issue(api, "closed", "press"), issue(api, "closed", "council")
    status, listed = api.call("GET", "/v1/sites/closed/tokens")
    assert status == 200
    assert {t["id"]: t["label"] for t in listed} == {first["id"]: "press", second["id"]: "council"}
    assert all(set(t) == {"id", "label", "created"} for t in listed)
    # Stored: the hash, never the token.
    dump = json.dumps(table_dump(dynamodb))
    for issued in (first, second):
        assert issued["token"] not in dump
        assert hashlib.sha256(issued["token"].encode()).hexdigest() in dump

    status, answer = api.call("DELETE", f"/v1/sites/closed/tokens/{first['id']}")
    assert status == 204, answer
    assert read(api, "closed", "/series", first["token"])[0] == 403
    assert read(api, "closed", "/series", second["token"])[0] == 200
    status, listed = api.call("GET", "/v1/sites/closed/tokens")
    assert [t["id"] for t in listed] == [second["id"]]
    # Revoking again, or an id that never was, is the same 204: DELETE is idempotent.
    assert api.call("DELETE", f"/v1/sites/closed/tokens/{first['id']}")[0] == 204
    assert api.call("DELETE", "/v1/sites/closed/tokens/not-an-id")[0] == 422


def test_token_check_is_one_get_item_whatever_the_token(api: Api) -> None:
    api.register("closed", reports="private")
    good = issue(api, "closed")["token"]
    read(api, "closed", "/series", good)  # warm: site settings cached
    storage = default_service().storage
    calls = requests_of(storage)
    read(api, "closed", "/series", good)
    with_good = list(calls)
    calls.clear()
    read(api, "closed", "/series", good[:-1] + ("B" if good[-1] != "B" else "C"))
    assert calls == ["GetItem"]  # a wrong token: the same lookup by hash, then refused
    assert with_good[0] == "GetItem"


def test_making_a_site_private_then_public_again(api: Api) -> None:
    api.register("site")
    assert read(api, "site", "/series")[0] == 200
    api.register("site", reports="private")
    default_service()._sites.clear()  # another warm function: settings cached 30 s at most
    assert read(api, "site", "/series")[0] == 401
    api.register("site", reports="public")
    default_service()._sites.clear()
    assert read(api, "site", "/series")[0] == 200


def test_a_token_needs_no_body_and_a_label_is_bounded(api: Api) -> None:
    api.register("closed", reports="private")
    status, issued = api.call("POST", "/v1/sites/closed/tokens")
    assert status == 201 and issued["label"] == "" and len(issued["token"]) == 43
    status, answer = api.call("POST", "/v1/sites/closed/tokens", {"label": "x" * 201})
    assert status == 422 and "label" in answer["message"]


def test_tokens_of_an_unknown_site_are_404(api: Api, dynamodb: Any) -> None:
    before = table_dump(dynamodb)
    assert api.call("POST", "/v1/sites/nowhere/tokens", {})[0] == 404
    assert api.call("GET", "/v1/sites/nowhere/tokens")[0] == 404
    assert table_dump(dynamodb) == before


def test_site_list_has_todays_figures_in_few_requests(api: Api) -> None:
    when = datetime(2025, 6, 15, 5, tzinfo=UTC)
    with time_machine.travel(when, tick=False):
        for name in ("a-busy", "b-busy", "c-idle-today"):
            api.register(
                name, "Asia/Ho_Chi_Minh", reports="private" if name == "b-busy" else "public"
            )
        baseline = {"today": 4, "yesterday": 5, "month": 30, "year": 300, "total": 3000}
        status, _ = api.call(
            "POST", "/v1/sites/c-idle-today/baseline", {"date": "2025-06-14", **baseline}
        )
        assert status == 200
        api.hit("a-busy")
        api.hit("b-busy")
        api.hit("b-busy", headers={"User-Agent": "Mozilla/5.0 other"})
        calls = requests_of(default_service().storage)
        status, answer = api.call("GET", "/v1/sites")
    assert status == 200, answer
    by_site = {s["site"]: s for s in answer["sites"]}
    assert list(by_site) == ["a-busy", "b-busy", "c-idle-today"]
    assert (by_site["a-busy"]["today"], by_site["b-busy"]["today"]) == (1, 2)
    assert by_site["b-busy"]["reports"] == "private"
    idle = by_site["c-idle-today"]
    assert (idle["date"], idle["today"], idle["yesterday"], idle["total"]) == (
        "2025-06-15",
        0,
        4,
        3000,
    )
    # Registry Query, one BatchGetItem for every site's today, one Query for the idle one.
    assert calls == ["Query", "BatchGetItem", "Query"]


def test_a_dashboard_on_another_origin_may_send_the_token_header(api: Api) -> None:
    api.register("closed", reports="private")
    asks = {
        "Origin": "https://intranet.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    for path in REPORTS:
        event = api.event("OPTIONS", f"/v1/sites/closed{path.partition('?')[0]}", headers=asks)
        answer = handler_for(event)(event, LambdaContext())
        assert answer["statusCode"] == 204, (path, answer)
        headers = answer["headers"]
        assert "Authorization" in headers["Access-Control-Allow-Headers"].split(",")
        assert "GET" in headers["Access-Control-Allow-Methods"]
