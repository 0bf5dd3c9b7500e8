"""Browser tests: Debian's chromium driven by Playwright, against the local API run in-process.

Nothing here downloads a browser. Without /usr/bin/chromium these tests fail (CI
installs it with `make e2e-deps`), unless ALLOW_NO_BROWSER=1 says to skip them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO, reset_warm_state
from tests.zones import midday_timezone as midday_timezone  # for the e2e modules

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = REPO / "artifacts"
# Headless Chromium says "HeadlessChrome", which the counter rightly skips as a bot.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: install Debian's chromium (make e2e-deps)"
        if os.environ.get("ALLOW_NO_BROWSER") == "1":
            pytest.skip(reason + "; skipped because ALLOW_NO_BROWSER=1")
        pytest.fail(reason + " or set ALLOW_NO_BROWSER=1 to skip browser tests", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        user_agent=USER_AGENT, viewport={"width": 1280, "height": 900}, locale="vi-VN"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="module")
def local_api() -> Iterator[Any]:
    """The template's API and web/ files on a free port, on an in-process moto server.

    Module-scoped: it sets AWS_ENDPOINT_URL_DYNAMODB, which must be gone before
    tests that use moto's in-memory mock run.
    """
    from local.server import start_local_api

    reset_warm_state()
    with start_local_api(port=0, demo=True, quiet=True) as api:
        yield api
    reset_warm_state()


def screenshot(page: Any, name: str, **options: Any) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **options)
    return path


class Operator:
    """Operator calls from loopback (the local API treats them as AWS_IAM signed)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def register(self, site: str, **settings: Any) -> None:
        # By default a zone at midday: a test reads the site's today (from the API, which
        # runs in real time) and asserts on it; its local midnight is hours away.
        body = {"timezone": midday_timezone(), **settings}
        answer = requests.put(f"{self.url}/v1/sites/{site}", json=body, timeout=10)
        assert answer.status_code == 200, answer.text

    def today(self, site: str) -> str:
        answer = requests.get(f"{self.url}/v1/sites/{site}/stats", timeout=10)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["date"])

    def baseline(self, site: str, **figures: Any) -> dict[str, Any]:
        answer = requests.post(f"{self.url}/v1/sites/{site}/baseline", json=figures, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def hit(self, site: str, path: str, user_agent: str = USER_AGENT) -> dict[str, Any]:
        answer = requests.post(
            f"{self.url}/v1/sites/{site}/hits",
            json={"path": path},
            headers={"User-Agent": user_agent},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]


@pytest.fixture
def operator(local_api: Any) -> Operator:
    return Operator(local_api.url)
