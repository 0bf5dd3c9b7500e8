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


# Draws each <img> on a canvas: its natural size, a pixel of each half (1 px from the
# top and from its edge, clear of the text) and how many pixels are near white (the text).
PIXELS = """images => images.map(image => {
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const drawn = canvas.getContext('2d');
  drawn.drawImage(image, 0, 0);
  const at = (x, y) => Array.from(drawn.getImageData(x, y, 1, 1).data);
  const all = drawn.getImageData(0, 0, canvas.width, canvas.height).data;
  let white = 0;
  for (let i = 0; i < all.length; i += 4) {
    if (all[i] > 200 && all[i + 1] > 200 && all[i + 2] > 200) white++;
  }
  return {width: image.naturalWidth, height: image.naturalHeight,
          left: at(1, 1), right: at(canvas.width - 2, 1), white: white};
})"""


def test_badge_renders_as_an_image(page: Any, local_api: Any) -> None:
    url = local_api.url + "/e2e/badge.html"
    body = (
        '<!doctype html><meta charset="utf-8"><body style="margin:8px">'
        '<img id="vi" src="/v1/sites/demo/badge.svg"><br>'
        '<img id="en" src="/v1/sites/demo/badge.svg?lang=en">'
    )
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    types: list[str] = []
    page.on(
        "response",
        lambda r: types.append(r.headers.get("content-type", "")) if "badge.svg" in r.url else None,
    )
    page.goto(url)
    page.wait_for_function("[...document.images].every(i => i.complete)")
    drawn = page.eval_on_selector_all("img", PIXELS)
    assert [t.split(";")[0] for t in types] == ["image/svg+xml", "image/svg+xml"]
    for image in drawn:
        # A shields-style badge: 20 px high, a grey label (#555) beside a red value (#c0392b),
        # white text on them.
        assert image["height"] == 20 and image["width"] > 100, image
        assert image["left"] == [0x55, 0x55, 0x55, 255], image
        assert image["right"] == [0xC0, 0x39, 0x2B, 255], image
        assert image["white"] > 100, image
    # "lượt truy cập" / "hôm nay 0 · tổng 0" is longer than "visits" / "today 0 · total 0".
    assert drawn[0]["width"] > drawn[1]["width"]
    screenshot(page.locator("body"), "badge.png")
