"""GET /v1/openapi.json and /v1/docs: the OpenAPI document of every route, and Swagger UI.

The document is what Powertools generates from the routers of the other
functions and their pydantic models, so it cannot drift from the code.
"""

from __future__ import annotations

import copy
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


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi_json() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(**OPENAPI),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
