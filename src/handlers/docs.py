"""GET /v1/openapi.json and /v1/docs: the OpenAPI document of every route, and Swagger UI.

The document is what Powertools generates from the routers of the other
functions and their pydantic models, so it cannot drift from the code.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.models import Server

from counters.models import HistoryRows
from handlers import archive_api, events, hits, reads, segments, sites
from handlers.common import create_app, lambda_entry
from handlers.sites import MAX_HISTORY_BYTES

OPENAPI: dict[str, Any] = {
    "title": "Visit counter API",
    "version": "1.0.0",
    "description": "Per-site visit figures for portal footers, history for dashboards. "
    "Operator routes (sites, baselines, history, report tokens) are AWS_IAM authorised: sign requests "
    "with SigV4.",
    "servers": [Server(url="/")],
}

# Every error this API answers: JSON with a human-readable message (and, for invalid
# input, the fields at fault). Powertools documents its own default 422 shape instead.
ERROR_ANSWER: dict[str, Any] = {
    "title": "ErrorAnswer",
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "title": "Message"},
        "errors": {
            "type": "array",
            "title": "Errors",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}


def _document_errors(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for default in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(default, None)
    schemas["ErrorAnswer"] = ERROR_ANSWER
    error = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}
    }
    for operations in openapi["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            responses.pop("422", None)
            responses["4XX"] = {"description": "Refused: invalid input, unknown site, ...", **error}
            responses["503"] = {"description": "Storage unavailable: retry", **error}


def _document_history_body(openapi: dict[str, Any]) -> None:
    """The history route reads its body itself (JSON or CSV): document both."""
    operation = openapi["paths"].get("/v1/sites/{site}/history", {}).get("post")
    if operation is None:
        return
    schema = HistoryRows.model_json_schema(ref_template="#/components/schemas/{model}")
    openapi["components"]["schemas"].update(schema.pop("$defs", {}))
    openapi["components"]["schemas"]["HistoryRows"] = schema
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HistoryRows"}},
            "text/csv": {
                "schema": {"type": "string", "maxLength": MAX_HISTORY_BYTES},
                "example": "period,visits,pageviews\n2019,1200000,\n2020-01,98000,310000\n",
            },
        },
    }


class DocsResolver(APIGatewayHttpResolver):
    """Powertools' document of every route (JSON and Swagger UI alike), with the error
    answers the API really gives."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        openapi = super().get_openapi_schema(*args, **kwargs)
        document = openapi.model_dump(by_alias=True, exclude_none=True, mode="json")
        _document_errors(document)
        _document_history_body(document)
        return type(openapi).model_validate(document)


@cache
def document() -> str:
    return app.get_openapi_json_schema(**OPENAPI)


app = create_app(resolver=DocsResolver)
for module in (hits, events, reads, sites, archive_api, segments):
    # include_router points a router at the app including it (for current_event);
    # a copy keeps the functions' own routers pointing at their own apps when
    # several handlers share a process (tests, the local server).
    app.include_router(copy.copy(module.router))

app.enable_swagger(path="/v1/docs", compress=True, **OPENAPI)


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi_json() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=document(),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
