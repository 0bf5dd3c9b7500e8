"""The dashboard and the demo page under their Content-Security-Policy, in a real browser:
each still works, and the browser reports no violation of the policy."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from handlers.static import DASHBOARD_SECURITY, DEMO_PAGE_SECURITY
from tests.e2e.conftest import USER_AGENT, Operator

pytestmark = pytest.mark.e2e

WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


def violations(page: Any) -> list[str]:
    return page.evaluate("window.__violations")  # type: ignore[no-any-return]


def test_the_pages_answer_with_their_policies(local_api: Any) -> None:
    for path, expected in (("/dashboard", DASHBOARD_SECURITY), ("/", DEMO_PAGE_SECURITY)):
        headers = requests.get(local_api.url + path, timeout=10).headers
        assert {name: headers.get(name) for name in expected} == expected, path
    assert "'unsafe-inline'" not in DASHBOARD_SECURITY["Content-Security-Policy"]
    assert "script-src 'self';" in DASHBOARD_SECURITY["Content-Security-Policy"]


def test_the_dashboard_works_under_its_policy(page: Any, local_api: Any) -> None:
    operator = Operator(local_api.url)
    operator.register("e2e-csp")
    operator.hit("e2e-csp", "/tin-tuc/a", user_agent=f"{USER_AGENT} csp/1")
    local_api.drain_streams()
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(local_api.url + "/dashboard?site=e2e-csp")
    page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=45_000)
    assert page.get_attribute("body", "data-state") == "ready", page.text_content("#status")
    assert page.locator("svg").count() >= 1  # charts drawn by script
    assert violations(page) == []


def test_an_injected_inline_script_does_not_run_on_the_dashboard(page: Any, local_api: Any) -> None:
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(local_api.url + "/dashboard?site=e2e-csp")
    page.evaluate(
        """() => { const s = document.createElement("script");
        s.textContent = "window.__ran = true"; document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__ran === true") is False
    assert any(v.startswith("script-src") for v in violations(page))


def test_the_demo_page_counts_under_its_policy(page: Any, local_api: Any) -> None:
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(local_api.url + "/")
    # The widget's style injected, and its figures fetched and shown.
    page.wait_for_selector(".vc-widget[data-state]", timeout=45_000)
    assert page.get_attribute(".vc-widget", "data-state") == "ready"
    assert page.locator("#vc-style").count() == 1
    assert violations(page) == []
