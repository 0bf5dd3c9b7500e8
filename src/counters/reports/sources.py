"""Where a visit comes from: the referrer's named source or host, and its utm campaign.

No maintained referrer list is on PyPI (referer-parser's last release is from
2016), so named sources come from the small table below: the global and
Vietnamese search engines and social networks a portal sees, matched by host
suffix or by a search engine's country domains (google.com.vn, yahoo.co.jp...).
Anything else is the referrer's normalised host. Only the host is kept: path,
query and fragment are dropped before anything else looks at the referrer.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

MAX_REFERRER = 2048
MAX_SOURCE_BYTES = 90
MAX_CAMPAIGN_PART_BYTES = 40
DIRECT = "direct"
INTERNAL = "(internal)"
INVALID = "(invalid)"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")

# host suffix -> named source; a host matches when it is the suffix or ends with "." + suffix.
_NAMED_HOSTS = {
    "bing.com": "Bing",
    "coccoc.com": "Cốc Cốc",
    "duckduckgo.com": "DuckDuckGo",
    "ecosia.org": "Ecosia",
    "search.brave.com": "Brave Search",
    "baidu.com": "Baidu",
    "naver.com": "Naver",
    "perplexity.ai": "Perplexity",
    "chatgpt.com": "ChatGPT",
    "facebook.com": "Facebook",
    "fb.com": "Facebook",
    "fb.me": "Facebook",
    "messenger.com": "Facebook",
    "zalo.me": "Zalo",
    "zaloapp.com": "Zalo",
    "zingnews.vn": "Zing News",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "tiktok.com": "TikTok",
    "instagram.com": "Instagram",
    "threads.net": "Threads",
    "t.co": "X (Twitter)",
    "twitter.com": "X (Twitter)",
    "x.com": "X (Twitter)",
    "linkedin.com": "LinkedIn",
    "lnkd.in": "LinkedIn",
    "reddit.com": "Reddit",
    "t.me": "Telegram",
    "telegram.org": "Telegram",
    "pinterest.com": "Pinterest",
    "wikipedia.org": "Wikipedia",
    "github.com": "GitHub",
}
# Search engines with country domains: google.com.vn, google.de, yahoo.co.jp, yandex.ru...
_COUNTRY_DOMAINS = re.compile(r"(?:^|\.)(google|yahoo|yandex)\.(?:com?\.)?[a-z]{2,3}$")
_ENGINE_NAMES = {"google": "Google", "yahoo": "Yahoo", "yandex": "Yandex"}
# Android apps send "android-app://package/": name the few that matter.
_APPS = {
    "com.google.android.googlequicksearchbox": "Google",
    "com.google.android.gm": "Gmail",
    "com.facebook.katana": "Facebook",
    "com.facebook.orca": "Facebook",
    "com.zing.zalo": "Zalo",
    "com.ss.android.ugc.trill": "TikTok",
    "com.zhiliaoapp.musically": "TikTok",
}
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")


def normalised_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host.removeprefix("www.")


def named(host: str) -> str | None:
    engine = _COUNTRY_DOMAINS.search(host)
    if engine:
        return _ENGINE_NAMES[engine.group(1)]
    labels = host.split(".")
    for start in range(len(labels)):
        name = _NAMED_HOSTS.get(".".join(labels[start:]))
        if name:
            return name
    return None


def source_of(referrer: str | None, site_hosts: Collection[str]) -> str:
    """The named source or normalised host of a referrer; direct when none; internal for the site's own hosts."""
    if not referrer or not referrer.strip():
        return DIRECT
    text = referrer[:MAX_REFERRER].strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        return INVALID
    if parts.scheme == "android-app":
        return _app_source(host)
    if parts.scheme not in ("http", "https") or not host:
        return INVALID
    return _web_source(normalised_host(host), site_hosts)


def _app_source(package: str) -> str:
    if package in _APPS:
        return _APPS[package]
    return package[:MAX_SOURCE_BYTES] if _HOST.match(package) else INVALID


def _web_source(host: str, site_hosts: Collection[str]) -> str:
    if len(host) > MAX_SOURCE_BYTES or not _HOST.match(host):
        return INVALID
    if host in {normalised_host(h) for h in site_hosts}:
        return INTERNAL
    return named(host) or host


def _bounded_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8", errors="replace")[:limit]  # a lone surrogate becomes "?"
    return encoded.decode("utf-8", errors="ignore")


def campaign_part(value: str) -> str:
    value = _UNSAFE.sub("", value[: MAX_CAMPAIGN_PART_BYTES * 4])
    value = _SPACES.sub(" ", value).strip().lower().replace("/", "-")
    return _bounded_bytes(value, MAX_CAMPAIGN_PART_BYTES).strip()


def campaign_of(utm: Mapping[str, str] | None) -> str:
    """ "source / medium / campaign", "-" for a missing part, "" when there is no utm at all."""
    if not utm:
        return ""
    parts = [campaign_part(str(utm.get(key) or "")) for key in UTM_KEYS]
    if not any(parts):
        return ""
    return " / ".join(part or "-" for part in parts)
