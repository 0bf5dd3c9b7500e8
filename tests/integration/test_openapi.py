"""The OpenAPI document covers exactly the template's routes, and Swagger UI is served."""

from __future__ import annotations

import json
import re
from typing import Any

from local.cloudformation import routes
from tests.conftest import Api

# Routes the document leaves out on purpose: CORS preflight, the docs themselves, and
# the static files (widget, dashboard).
NOT_DOCUMENTED = {
    ("OPTIONS", "/v1/sites/{site}/hits"),
    ("OPTIONS", "/v1/sites/{site}/events"),
    ("OPTIONS", "/v1/sites/{site}/series"),
    ("OPTIONS", "/v1/sites/{site}/pages"),
    ("OPTIONS", "/v1/sites/{site}/breakdown"),
    ("OPTIONS", "/v1/sites/{site}/goals"),
    ("OPTIONS", "/v1/sites/{site}/summary"),
    ("OPTIONS", "/v1/sites/{site}/segment"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/docs"),
    ("GET", "/widget.js"),
    ("GET", "/dashboard"),
    ("GET", "/static/{file}"),
}


def test_openapi_paths_match_template_routes(api: Api) -> None:
    status, document = api.call("GET", "/v1/openapi.json")
    assert status == 200
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    in_template = {(route.method, route.path) for route in routes()}
    assert in_template >= NOT_DOCUMENTED
    assert documented == in_template - NOT_DOCUMENTED
    assert document["openapi"].startswith("3.")
    schemas = document["components"]["schemas"]
    assert {"Stats", "HitStats", "Series", "TopPages", "Baseline", "SiteSettings"} <= set(schemas)
    assert {"HistoryRows", "HistoryImported"} <= set(schemas)  # the history body, both ways
    assert {"Summary", "Totals", "Change", "EntryRow"} <= set(schemas)


def test_swagger_ui(api: Api) -> None:
    status, page = api.call("GET", "/v1/docs")
    assert status == 200
    assert "SwaggerUIBundle" in page and "/v1/sites/{site}/series" in page


def test_docs_app_leaves_the_other_functions_routers_alone(api: Api) -> None:
    """Handlers share a process locally: including a router elsewhere must not capture it."""
    import handlers.docs  # noqa: F401
    from handlers import hits, reads, sites

    for module in (hits, reads, sites):
        assert module.router.api_resolver is module.app
    api.register("shared")
    answer: Any = api.hit("shared", body={"path": "/a"})
    assert answer["counted"]


def test_documented_errors_are_the_answers_given(api: Api) -> None:
    """Every operation documents its errors as ErrorAnswer, and real errors match it."""
    import jsonschema

    _, document = api.call("GET", "/v1/openapi.json")
    for operations in document["paths"].values():
        for operation in operations.values():
            for status in ("4XX", "503"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorAnswer"}
    error_schema = document["components"]["schemas"]["ErrorAnswer"]
    # Swagger UI shows the same document, and no schema refers to one that is not there.
    assert api.call("GET", "/v1/docs", query={"format": "json"})[1] == document
    text = json.dumps(document)
    for ref in re.findall(r'"#/components/schemas/([A-Za-z]+)"', text):
        assert ref in document["components"]["schemas"], ref
    api.register("documented")
    answers = [
        api.call("GET", "/v1/sites/unknown/stats"),  # 404
        api.call("POST", "/v1/sites/documented/hits", '{"path": 5}'),  # 422
        api.call("PUT", "/v1/sites/documented", {"timezone": "Mars/Olympus"}),  # 422
        api.call("GET", "/v1/sites/documented/series", query={"from": "2020-01-01"}),  # 400
    ]
    assert sorted(status for status, _ in answers) == [400, 404, 422, 422]
    for _, answer in answers:
        jsonschema.validate(answer, error_schema)
