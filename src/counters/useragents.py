"""What a User-Agent says, in categories: bot or not, bot family, browser, OS, device type.

Chosen by measurement (docs/breakdowns.md): bots by the maintained
crawler-user-agents pattern list compiled with RE2 (linear time, one DFA pass;
crawlerdetect's own list needs look-ahead, which RE2 lacks, and costs ~0.36 ms
a distinct User-Agent with Python's backtracking `re`); browser and OS by
ua-parser's builtin rules on its Rust resolver (ua-parser-rs); device type from
the OS and a few tokens, which spares loading ua-parser's 633 device rules
(70 ms of cold start) for an answer they do not give (they name models, not
types). Everything loads on first use, and every input is cut to
MAX_USER_AGENT characters before any parser sees it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from operator import attrgetter
from typing import Any

MAX_USER_AGENT = 512

# Named bot families, first match wins (case-insensitive substring of the bounded UA).
_BOT_FAMILIES = (
    ("googlebot", "Googlebot"),
    ("google-inspectiontool", "Googlebot"),
    ("adsbot-google", "Googlebot"),
    ("mediapartners-google", "Googlebot"),
    ("storebot-google", "Googlebot"),
    ("googleother", "Googlebot"),
    ("bingbot", "Bingbot"),
    ("bingpreview", "Bingbot"),
    ("adidxbot", "Bingbot"),
    ("yandex", "YandexBot"),
    ("baiduspider", "Baiduspider"),
    ("coccocbot", "coccocbot"),
    ("facebookexternalhit", "facebookexternalhit"),
    ("meta-externalagent", "facebookexternalhit"),
    ("facebookcatalog", "facebookexternalhit"),
    ("zalo", "Zalo"),
    ("applebot", "Applebot"),
    ("duckduckbot", "DuckDuckBot"),
    ("twitterbot", "Twitterbot"),
    ("linkedinbot", "LinkedInBot"),
    ("slurp", "Yahoo! Slurp"),
    ("petalbot", "PetalBot"),
    ("bytespider", "Bytespider"),
    ("ahrefsbot", "AhrefsBot"),
    ("semrushbot", "SemrushBot"),
    ("mj12bot", "MJ12bot"),
    ("dotbot", "DotBot"),
    ("gptbot", "GPTBot"),
    ("chatgpt-user", "ChatGPT-User"),
    ("oai-searchbot", "OAI-SearchBot"),
    ("claudebot", "ClaudeBot"),
    ("claude-web", "ClaudeBot"),
    ("perplexitybot", "PerplexityBot"),
    ("ccbot", "CCBot"),
    ("amazonbot", "Amazonbot"),
    ("seznambot", "SeznamBot"),
    ("uptimerobot", "UptimeRobot"),
    ("telegrambot", "TelegramBot"),
    ("discordbot", "Discordbot"),
    ("whatsapp", "WhatsApp"),
    ("headlesschrome", "HeadlessChrome"),
    ("python-requests", "python-requests"),
    ("curl/", "curl"),
    ("wget/", "Wget"),
)

# ua-parser families folded into the major names the dashboard shows.
_BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Android WebView",
    "Chromium": "Chrome",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
    "Coc Coc": "Cốc Cốc",
    "Samsung Internet": "Samsung Internet",
    "Yandex Browser": "Yandex",
    "Facebook": "Facebook app",
    "Instagram": "Instagram app",
    "Google": "Google app",
}
_OSES = {
    "Mac OS X": "macOS",
    "Chrome OS": "ChromeOS",
    "Ubuntu": "Linux",
    "Fedora": "Linux",
    "Debian": "Linux",
    "Windows Phone": "Windows Phone",
}
_DESKTOP_OSES = frozenset({"Windows", "macOS", "Linux", "ChromeOS", "FreeBSD", "OpenBSD"})


def bounded(user_agent: str) -> str:
    return user_agent[:MAX_USER_AGENT]


@cache
def _bot_pattern() -> Any:
    import re2  # type: ignore[import-untyped]

    data = resources.files("crawleruseragents").joinpath("crawler-user-agents.json")
    patterns = [entry["pattern"] for entry in json.loads(data.read_text(encoding="utf-8"))]
    options = re2.Options()
    # 32 MB lets RE2's lazy DFA hold the ~1,500 alternatives (8 MB spills to the
    # slower NFA on every bot); never_capture: a yes/no is all we ask.
    options.max_mem = 32 << 20
    options.never_capture = True
    return re2.compile("|".join(patterns), options)


def is_bot(user_agent: str) -> bool:
    return _bot_pattern().search(bounded(user_agent)) is not None


def bot_family(user_agent: str) -> str:
    lowered = bounded(user_agent).lower()
    for token, family in _BOT_FAMILIES:
        if token in lowered:
            return family
    return "other bot"


@cache
def _extractors() -> tuple[Any, Any]:
    import ua_parser_rs
    from ua_parser_builtins.lazy import MATCHERS

    agents, systems, _devices = MATCHERS
    fields = attrgetter("regex", "family", "major", "minor", "patch", "patch_minor")
    return (
        ua_parser_rs.UserAgentExtractor(map(fields, agents)),
        ua_parser_rs.OSExtractor(map(fields, systems)),
    )


def describe(user_agent: str) -> tuple[str, str, str]:
    """(browser, OS, device type) of a browser's User-Agent, major names only."""
    agent = bounded(user_agent)
    agents, systems = _extractors()
    browser_match = agents.extract(agent)
    os_match = systems.extract(agent)
    browser = browser_match.family if browser_match else "Other"
    system = os_match.family if os_match else "Other"
    browser = _BROWSERS.get(browser, browser)
    system = _OSES.get(system, system)
    if "Zalo" in agent:  # Zalo's in-app browser, the Vietnamese messenger's
        browser = "Zalo"
    return browser, system, device_type(agent, system)


def device_type(user_agent: str, system: str) -> str:
    if "iPad" in user_agent or "Tablet" in user_agent or "Tab " in user_agent:
        return "tablet"
    if system == "Android":
        # Android phones say "Mobile"; tablets leave it out.
        return "mobile" if "Mobile" in user_agent else "tablet"
    if system in ("iOS", "Windows Phone", "KaiOS", "BlackBerry OS", "Symbian OS"):
        return "mobile"
    if system in _DESKTOP_OSES:
        return "desktop"
    return "other"
