"""The OpenAPI document covers exactly the template's routes, and Swagger UI is served."""

from __future__ import annotations

from typing import Any

from local.template import routes
from tests.conftest import Api

# Routes the document leaves out on purpose: CORS preflight, and the docs themselves.
NOT_DOCUMENTED = {
    ("OPTIONS", "/v1/sites/{site}/hits"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/docs"),
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


def test_swagger_ui(api: Api) -> None:
    status, page = api.call("GET", "/v1/docs")
    assert status == 200
    assert "SwaggerUIBundle" in page and "/v1/sites/{site}/series" in page


def test_docs_app_leaves_the_other_functions_routers_alone(api: Api) -> None:
    """Handlers share a process locally: including a router elsewhere must not capture it."""
    import handlers.docs  # noqa: F401
    from handlers import hits, sites, stats

    for module in (hits, stats, sites):
        assert module.router.api_resolver is module.app
    api.register("shared")
    answer: Any = api.hit("shared", body={"path": "/a"})
    assert answer["counted"]
