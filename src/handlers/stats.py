"""Read-only routes: the figures and history of a site, counting nothing."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import CORSConfig
from aws_lambda_powertools.event_handler.api_gateway import Router

from counters.models import Stats
from counters.service import default_counter
from handlers.common import SiteIdPath, create_app, lambda_entry

router = Router()


@router.get("/v1/sites/<site>/stats", summary="The figures, counting nothing")
def stats(site: SiteIdPath) -> Stats:
    counter = default_counter()
    return counter.stats(counter.site(site))


app = create_app(cors=CORSConfig(allow_origin="*", max_age=86400))
app.include_router(router)
lambda_handler = lambda_entry(app)
