"""Breakdowns: bot detection and User-Agent parsing against labelled corpora, and their CPU.

Corpora come from maintained packages pinned in requirements-dev.txt and
src/requirements.txt; nothing is written here and nothing is downloaded at run time:
- Matomo Device Detector's test fixtures (shipped in the `device-detector` package): real
  bot User-Agents (bots.yml) and real browser User-Agents labelled with browser, OS and
  device type. Independent of both our bot lists and of ua-parser.
- fake-useragent's data file: today's common browser User-Agents (labels are ua-parser's
  own families, so there it checks our folding, not the parser).
- crawler-user-agents' `instances`: real bot User-Agents; one of our two bot lists, so its
  recall there is a consistency check.

CPU: per distinct User-Agent (no cache anywhere: every string is new) and per repeated one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

from counters.reports import useragents

MAX_UA = useragents.MAX_USER_AGENT
# Matomo's names -> ours, for the few that differ only in naming.
MATOMO_BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Webview": "Android WebView",
    "Mobile Safari": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox Mobile iOS": "Firefox",
    "Samsung Browser": "Samsung Internet",
    "Microsoft Edge": "Edge",
    "Opera Mobile": "Opera",
    "Yandex Browser": "Yandex",
    "Coc Coc": "Cốc Cốc",
    "UC Browser": "UC Browser",
    "IE Mobile": "IE Mobile",
    "Internet Explorer": "IE",
}
MATOMO_OSES = {
    "Mac": "macOS",
    "GNU/Linux": "Linux",
    "Ubuntu": "Linux",
    "Debian": "Linux",
    "Fedora": "Linux",
}
MATOMO_DEVICES = {"smartphone": "mobile", "phablet": "mobile", "feature phone": "mobile"}


def _yaml(name: str) -> list[dict[str, Any]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = resources.files("device_detector").joinpath("tests/fixtures/upstream")
    return yaml.load(root.joinpath(name).read_text("utf-8"), Loader=loader) or []  # noqa: S506


def matomo() -> tuple[list[str], list[dict[str, Any]]]:
    """(bot UAs, labelled browser rows) of Matomo's fixtures, distinct."""
    root = resources.files("device_detector").joinpath("tests/fixtures/upstream")
    bots = list(dict.fromkeys(row["user_agent"] for row in _yaml("bots.yml")))
    browsers: dict[str, dict[str, Any]] = {}
    for entry in sorted(p.name for p in root.iterdir() if p.name.endswith(".yml")):
        if entry == "bots.yml":
            continue
        for row in _yaml(entry):
            if isinstance(row, dict) and (row.get("client") or {}).get("type") == "browser":
                browsers.setdefault(row["user_agent"], row)
    return bots, list(browsers.values())


def fake_useragent_browsers() -> list[dict[str, str]]:
    text = resources.files("fake_useragent").joinpath("data/browsers.jsonl").read_text("utf-8")
    seen: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        row = json.loads(line)
        seen.setdefault(row["useragent"], row)
    return list(seen.values())


def crawler_instances() -> list[str]:
    text = (
        resources.files("crawleruseragents").joinpath("crawler-user-agents.json").read_text("utf-8")
    )
    return list(
        dict.fromkeys(ua for entry in json.loads(text) for ua in entry.get("instances", []))
    )


def _cpu_ms(check: Callable[[str], object], agents: Iterable[str]) -> float:
    agents = list(agents)
    start = time.process_time()
    for agent in agents:
        check(agent)
    return (time.process_time() - start) / len(agents) * 1000


def _detection(
    detect: Callable[[str], bool], bots: dict[str, list[str]], browsers: dict[str, list[str]]
) -> str:
    parts = []
    for name, agents in bots.items():
        found = sum(map(detect, agents))
        parts.append(f"recall {name} {found / len(agents):.3f}")
    for name, agents in browsers.items():
        wrong = sum(map(detect, agents))
        parts.append(
            f"browsers called bots {name} {wrong}/{len(agents)} ({wrong / len(agents):.2%})"
        )
    return ", ".join(parts)


def _agreement(rows: list[dict[str, Any]]) -> str:
    agree = {"browser": 0, "os": 0, "device": 0}
    for row in rows:
        browser, system, device = useragents.describe(row["user_agent"])
        want_browser = MATOMO_BROWSERS.get(row["client"]["name"], row["client"]["name"])
        want_os = (row.get("os") or {}).get("name") or "Other"
        want_device = (row.get("device") or {}).get("type") or "other"
        agree["browser"] += browser == want_browser
        agree["os"] += system == MATOMO_OSES.get(want_os, want_os)
        want_device = MATOMO_DEVICES.get(want_device, want_device)
        agree["device"] += device == (
            want_device if want_device in ("desktop", "mobile", "tablet") else "other"
        )
    return ", ".join(f"{name} {n / len(rows):.3f}" for name, n in agree.items())


def report() -> list[str]:
    matomo_bots, matomo_browsers = matomo()
    labelled = fake_useragent_browsers()
    bots = {
        "Matomo": [ua[:MAX_UA] for ua in matomo_bots],
        "crawler-user-agents": crawler_instances(),
    }
    browsers = {
        "Matomo": [row["user_agent"][:MAX_UA] for row in matomo_browsers],
        "fake-useragent": [row["useragent"][:MAX_UA] for row in labelled],
    }
    out = [
        "breakdowns: bots vs browsers, browser/OS/device, CPU (bench/breakdown_accuracy.py)",
        f"  corpora: Matomo fixtures {len(matomo_bots)} bots + {len(matomo_browsers)} labelled browsers; "
        f"fake-useragent {len(labelled)} browsers; crawler-user-agents {len(bots['crawler-user-agents'])} bots",
    ]
    useragents._bot_patterns.cache_clear()
    useragents._extractors.cache_clear()
    useragents._is_bot.cache_clear()
    useragents._describe.cache_clear()
    start = time.perf_counter()
    useragents.is_bot("warm")
    bot_load = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    useragents.describe("warm")
    parser_load = (time.perf_counter() - start) * 1000
    out.append(
        f"  first use in this process: bot patterns {bot_load:.0f} ms, browser/OS rules {parser_load:.0f} ms"
    )

    out.append(
        "  ours (crawlerdetect + crawler-user-agents lists, RE2): "
        + _detection(useragents.is_bot, bots, browsers)
    )
    try:
        from crawlerdetect import CrawlerDetect
    except ImportError:  # pragma: no cover - a dependency of the functions
        crawler_detect = None
    else:
        crawler_detect = CrawlerDetect()
        out.append(
            "  crawlerdetect alone (Python re, before): "
            + _detection(lambda ua: crawler_detect._check_crawler(ua)[0], bots, browsers)
        )
    out.append("  agreement with Matomo's labels: " + _agreement(matomo_browsers))
    folded = {"browser": 0, "os": 0, "device": 0}
    for row in labelled:
        browser, system, device = useragents.describe(row["useragent"])
        folded["browser"] += browser == useragents._BROWSERS.get(row["browser"], row["browser"])
        folded["os"] += system == useragents._OSES.get(row["os"], row["os"])
        folded["device"] += device == row["type"]
    out.append(
        "  agreement with fake-useragent's labels: "
        + ", ".join(f"{name} {n / len(labelled):.3f}" for name, n in folded.items())
    )

    # Cache miss: fresh patterns (RE2 builds its DFA lazily), every UA new to them.
    today = browsers["fake-useragent"] + browsers["Matomo"][:2000]
    # Caches: 1,024 UAs each, so the second pass over the last 500 finds them all.
    useragents._bot_patterns.cache_clear()
    useragents._is_bot.cache_clear()
    useragents._describe.cache_clear()
    useragents.is_bot("warm")
    miss_bot = _cpu_ms(useragents.is_bot, today)
    hit_bot = _cpu_ms(useragents.is_bot, today[-500:])
    parse = _cpu_ms(useragents.describe, today)
    parse_hit = _cpu_ms(useragents.describe, today[-500:])
    import iptocc

    addresses = [
        f"{(i * 7919) % 223 + 1}.{i % 256}.{(i * 31) % 256}.{(i * 17) % 256}" for i in range(5000)
    ]
    country = _cpu_ms(iptocc.country_code, addresses)
    out.append(f"  CPU per browser hit, {len(today)} distinct UAs (ms)")
    out.append(f"    bot check   distinct {miss_bot:.4f}, repeated {hit_bot:.4f}")
    out.append(f"    browser/OS  distinct {parse:.4f}, repeated {parse_hit:.4f}")
    out.append(f"    country     {country:.5f} (iptocc)")
    out.append(f"    together    distinct {miss_bot + parse + country:.4f}")
    useragents._is_bot.cache_clear()
    useragents._describe.cache_clear()
    if crawler_detect is not None:
        fresh = CrawlerDetect()
        replaced = _cpu_ms(lambda ua: fresh._check_crawler(ua), today)
        out.append(f"    (crawlerdetect alone, replaced: distinct {replaced:.4f})")
    from counters.reports.breakdowns import facts_of

    def facts(agent: str, referrer: str, utm: dict[str, str], language: str) -> object:
        return facts_of(
            user_agent=agent,
            referrer=referrer,
            utm=utm,
            client_ip="113.160.12.34",
            accept_language=language,
            viewer_country=None,
            site_hosts=("laichau.gov.vn", "www.laichau.gov.vn"),
        )

    ordinary = _cpu_ms(
        lambda ua: facts(
            ua, "https://www.google.com.vn/search?q=x", {"utm_source": "zalo"}, "vi-VN,vi;q=0.9"
        ),
        today,
    )
    out.append(f"    facts_of (UA, source, campaign, country, language) distinct {ordinary:.4f}")
    # Distinct hostile strings (they differ before the 512-character cut): no cache helps.
    hostile = [f"{i} Mozilla/5.0 (" + "A(" * 5000 for i in range(200)]
    worst = _cpu_ms(
        lambda ua: facts(
            ua,
            "https://" + "a." * 1000,
            {"utm_source": "ệ" * 200, "utm_campaign": "/" * 200},
            "-" * 9000,
        ),
        hostile,
    )
    out.append(f"    facts_of, every field hostile and at its bound: {worst:.4f}")
    useragents._is_bot.cache_clear()
    useragents._describe.cache_clear()
    hostile_bot = _cpu_ms(useragents.is_bot, hostile)
    hostile_parse = _cpu_ms(useragents.describe, hostile)
    out.append(
        f"  a hostile 10 KB UA (cut to {MAX_UA}), distinct: bot check {hostile_bot:.4f} ms, "
        f"browser/OS {hostile_parse:.4f} ms"
    )
    return out


if __name__ == "__main__":
    print("\n".join(report()))
