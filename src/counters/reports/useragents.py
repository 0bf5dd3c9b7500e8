"""What a User-Agent says, in categories: bot or not, bot family, browser, OS, device type.

Chosen by measurement (docs/breakdowns.md): bots by crawlerdetect's maintained
list and crawler-user-agents' together, compiled with RE2 (linear time; Python's
backtracking `re` took ~0.36 ms a distinct User-Agent for crawlerdetect's alone); browser and OS by
ua-parser's builtin rules on its Rust resolver (ua-parser-rs); device type from
the OS and a few tokens, which spares loading ua-parser's 633 device rules
(70 ms of cold start) for an answer they do not give (they name models, not
types). Everything loads on first use, and every input is cut to
MAX_USER_AGENT characters before any parser sees it.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from importlib import resources
from operator import attrgetter
from typing import Any

MAX_USER_AGENT = 512
_LOOKAHEAD = re.compile(r"\(\?!([A-Za-z0-9 ]+)\)")

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
    "Android": "Android Browser",
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


def preload() -> None:
    """Compile the bot patterns and load the browser/OS rules now (e.g. in a function's
    init phase) rather than on the first hit: ~15-80 ms and ~70-340 ms measured."""
    _bot_patterns()
    _extractors()


def bounded(user_agent: str) -> str:
    return user_agent[:MAX_USER_AGENT]


def _not_followed_by(literal: str) -> str:
    """RE2 has no look-ahead: "(?!Search)" as "end, or a first character that differs"."""
    ways = [re.escape(literal[:i]) + f"(?:$|[^{re.escape(ch)}])" for i, ch in enumerate(literal)]
    return "(?:" + "|".join(ways) + ")"


@cache
def _bot_patterns() -> tuple[Any, Any, Any]:
    """(crawlerdetect's exclusions, crawlerdetect's crawlers, crawler-user-agents), on RE2."""
    import re2  # type: ignore[import-untyped]
    from crawlerdetect.providers.crawlers import data as crawlers
    from crawlerdetect.providers.exclusions import data as exclusions

    def options(case_sensitive: bool) -> Any:
        chosen = re2.Options()
        # 32 MB lets RE2's lazy DFA hold the ~1,500 alternatives of a list (8 MB
        # spills to the slower NFA on every bot); never_capture: yes/no is all we ask.
        chosen.max_mem = 32 << 20
        chosen.never_capture = True
        chosen.case_sensitive = case_sensitive
        return chosen

    # crawlerdetect's one look-ahead ("Yandex(?!Search)") rewritten; its list is
    # case-insensitive, crawler-user-agents' is written case-sensitive.
    rewritten = [_LOOKAHEAD.sub(lambda m: _not_followed_by(m.group(1)), p) for p in crawlers]
    listed = resources.files("crawleruseragents").joinpath("crawler-user-agents.json")
    patterns = [entry["pattern"] for entry in json.loads(listed.read_text(encoding="utf-8"))]
    return (
        re2.compile("|".join(exclusions), options(False)),
        re2.compile("|".join(rewritten), options(False)),
        re2.compile("|".join(patterns), options(True)),
    )


def is_bot(user_agent: str) -> bool:
    """crawlerdetect's verdict (same list, same exclusions) or crawler-user-agents'."""
    return _is_bot(bounded(user_agent))


# A visitor's next hits repeat its User-Agent: 1,024 bounded strings are at most ~0.5 MB.
@lru_cache(maxsize=1024)
def _is_bot(agent: str) -> bool:
    exclusions, crawlers, listed = _bot_patterns()
    # On UTF-8 bytes, as RE2 sees them: the wrapper maps every match of a str back to
    # character offsets, which made removing the exclusions ~3x slower (~43 us a new UA).
    encoded = agent.encode()
    if listed.search(encoded) is not None:
        return True
    rest = _without(exclusions, encoded)
    return bool(rest.decode().strip()) and crawlers.search(rest) is not None


def _without(pattern: Any, text: bytes) -> bytes:
    """`pattern.sub(b"", text)`, without building a replacement for each match."""
    pieces, end = [], 0
    for found in pattern.finditer(text):
        start, stop = found.span()
        pieces.append(text[end:start])
        end = stop
    pieces.append(text[end:])
    return b"".join(pieces)


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
    return _describe(bounded(user_agent))


@lru_cache(maxsize=1024)
def _describe(agent: str) -> tuple[str, str, str]:
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


# TVs, consoles, cars and streaming sticks: neither phones, tablets nor desktops.
_OTHER_DEVICES = re.compile(
    r"SmartTV|Smart-TV|SMART-TV|HbbTV|Web0S|webOS\.TV|\bTV\b|GoogleTV|BRAVIA|AFT[A-Z]|CrKey|"
    r"PlayStation|Xbox|Nintendo|Tesla/|CarPad|Android Automotive"
)
# Every alternative above holds one of these: most User-Agents hold none, and substring
# tests cost less than the expression (~1 us against ~5 us).
_OTHER_DEVICE_TOKENS = (
    "TV",
    "Web0S",
    "BRAVIA",
    "AFT",
    "CrKey",
    "PlayStation",
    "Xbox",
    "Nintendo",
    "Tesla/",
    "CarPad",
    "Android Automotive",
)


_TABLET_TOKENS = ("iPad", "Tablet", "Tab ")


def _is_other_device(user_agent: str) -> bool:
    """A TV, console or car: a few substrings first, the expression only if one is there."""
    return any(token in user_agent for token in _OTHER_DEVICE_TOKENS) and bool(
        _OTHER_DEVICES.search(user_agent)
    )


def device_type(user_agent: str, system: str) -> str:
    if _is_other_device(user_agent):
        return "other"
    if any(token in user_agent for token in _TABLET_TOKENS):
        return "tablet"
    if system == "Android":
        # Android phones say "Mobile"; tablets leave it out.
        return "mobile" if "Mobile" in user_agent else "tablet"
    if system in ("iOS", "Windows Phone", "KaiOS", "BlackBerry OS", "Symbian OS"):
        return "mobile"
    if system in _DESKTOP_OSES:
        return "desktop"
    return "other"
