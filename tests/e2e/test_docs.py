"""Swagger UI at /v1/docs renders every documented route in the browser, offline."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_swagger_ui_lists_every_route(page: Any, local_api: Any) -> None:
    document = requests.get(local_api.url + "/v1/openapi.json", timeout=10).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    # Nothing may come from the internet: the UI's assets are inlined.
    outside: list[str] = []
    page.on(
        "request", lambda r: outside.append(r.url) if not r.url.startswith(local_api.url) else None
    )
    page.goto(local_api.url + "/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert page.locator(".swagger-ui .opblock").count() == operations >= 8
    assert "/v1/sites/{site}/series" in page.locator(".swagger-ui").inner_text()
    assert [u for u in outside if not u.startswith("data:")] == []
    screenshot(page, "swagger-ui.png")


def test_badge_renders_as_an_image(page: Any, local_api: Any) -> None:
    url = local_api.url + "/e2e/badge.html"
    body = (
        '<!doctype html><meta charset="utf-8"><body style="margin:8px">'
        '<img id="vi" src="/v1/sites/demo/badge.svg"><br>'
        '<img id="en" src="/v1/sites/demo/badge.svg?lang=en">'
    )
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    page.goto(url)
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 100)")
    screenshot(page.locator("body"), "badge.png")
