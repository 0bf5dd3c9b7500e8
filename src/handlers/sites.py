"""Operator routes (AWS_IAM in the template): site settings."""

from __future__ import annotations

from counters.models import Site, SiteSettings
from counters.service import default_counter
from handlers.common import SiteIdPath, create_app, lambda_entry

app = create_app()


@app.put("/v1/sites/<site>", summary="Create or update a site")
def put_site(site: SiteIdPath, body: SiteSettings) -> Site:
    return default_counter().save_site(site, body)


@app.get("/v1/sites/<site>", summary="A site's settings")
def get_site(site: SiteIdPath) -> Site:
    return default_counter().site(site)


lambda_handler = lambda_entry(app)
