"""GET /v1/openapi.json and /v1/docs: the OpenAPI document of every route, and Swagger UI.

The document is what Powertools generates from the routers of the other
functions and their pydantic models, so it cannot drift from the code.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.models import Server

from handlers import hits, sites, stats
from handlers.common import create_app, lambda_entry

OPENAPI: dict[str, Any] = {
    "title": "Visit counter API",
    "version": "1.0.0",
    "description": "Per-site visit figures for portal footers, history for dashboards. "
    "Operator routes (site settings, baselines) are AWS_IAM authorised: sign requests "
    "with SigV4.",
    "servers": [Server(url="/")],
}

app = create_app()
for module in (hits, stats, sites):
    # include_router points a router at the app including it (for current_event);
    # a copy keeps the functions' own routers pointing at their own apps when
    # several handlers share a process (tests, the local server).
    app.include_router(copy.copy(module.router))

app.enable_swagger(path="/v1/docs", compress=True, **OPENAPI)


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


@cache
def document() -> str:
    """Powertools' document of every route, with the error answers the API really gives."""
    openapi = json.loads(app.get_openapi_json_schema(**OPENAPI))
    schemas = openapi["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
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
    return json.dumps(openapi)


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi_json() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=document(),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
