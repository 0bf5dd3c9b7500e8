"""Breakdowns: bot detection and User-Agent parsing checked against labelled corpora, and their CPU.

Corpora come from maintained packages (pinned in requirements-dev.txt / src/requirements.txt),
nothing is written here and nothing is downloaded at run time:
- browsers: fake-useragent's data file (real browser User-Agents with browser, OS and
  device-type labels; its labels are ua-parser's families, so browser/OS agreement checks
  our folding more than an independent parser);
- bots: the `instances` (real User-Agents seen in the wild) of crawler-user-agents.
  Our detector *is* crawler-user-agents' patterns, so its recall on its own instances is a
  consistency check; crawlerdetect and ua-parser's "Spider" device give independent figures.

CPU: per distinct User-Agent (every parser cache bypassed: each string is new to it) and
per repeated one (the same string again; only the bot pattern's lazy DFA warms).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from importlib import resources

from counters import useragents

MAX_UA = useragents.MAX_USER_AGENT


def browsers() -> list[dict[str, str]]:
    text = resources.files("fake_useragent").joinpath("data/browsers.jsonl").read_text("utf-8")
    seen: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        row = json.loads(line)
        seen.setdefault(row["useragent"], row)
    return list(seen.values())


def bots() -> list[str]:
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


def _precision_recall(
    detect: Callable[[str], bool], bot_uas: list[str], browser_uas: list[str]
) -> str:
    true_positive = sum(map(detect, bot_uas))
    false_positive = sum(map(detect, browser_uas))
    precision = true_positive / max(1, true_positive + false_positive)
    return (
        f"recall {true_positive / len(bot_uas):.3f} ({true_positive}/{len(bot_uas)}), "
        f"precision {precision:.4f} ({false_positive} browsers called bots)"
    )


def report() -> list[str]:
    labelled = browsers()
    browser_uas = [row["useragent"][:MAX_UA] for row in labelled]
    bot_uas = [ua[:MAX_UA] for ua in bots()]
    out = [
        f"breakdowns: {len(browser_uas)} distinct browser UAs (fake-useragent), "
        f"{len(bot_uas)} distinct bot UAs (crawler-user-agents instances)"
    ]

    # Cold loads, first use in this process.
    start = time.perf_counter()
    useragents.is_bot("warm")
    bot_load = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    useragents.describe("warm")
    parser_load = (time.perf_counter() - start) * 1000
    out.append(
        f"  first use: bot patterns {bot_load:.0f} ms, browser/OS rules {parser_load:.0f} ms"
    )

    out.append("  bots vs browsers")
    out.append(
        "    ours (crawler-user-agents on RE2): "
        + _precision_recall(useragents.is_bot, bot_uas, browser_uas)
    )
    try:
        from crawlerdetect import CrawlerDetect
    except ImportError:
        crawler_detect = None
    else:
        crawler_detect = CrawlerDetect()
        out.append(
            "    crawlerdetect (independent):       "
            + _precision_recall(
                lambda ua: crawler_detect._check_crawler(ua)[0], bot_uas, browser_uas
            )
        )

    agree = {"browser": 0, "os": 0, "device": 0}
    for row in labelled:
        browser, system, device = useragents.describe(row["useragent"])
        agree["browser"] += browser == useragents._BROWSERS.get(row["browser"], row["browser"])
        agree["os"] += system == useragents._OSES.get(row["os"], row["os"])
        agree["device"] += device == row["type"]
    out.append(
        "  agreement with the labels: "
        + ", ".join(f"{name} {n / len(labelled):.3f}" for name, n in agree.items())
    )

    # A fresh parser for the cache-miss figure: describe() keeps no cache, the RE2 DFA warms.
    useragents._bot_pattern.cache_clear()
    useragents.is_bot("warm")
    miss_bot = _cpu_ms(useragents.is_bot, browser_uas)
    hit_bot = _cpu_ms(useragents.is_bot, browser_uas)
    parse = _cpu_ms(useragents.describe, browser_uas)
    import iptocc

    addresses = [
        f"{(i * 7919) % 223 + 1}.{i % 256}.{(i * 31) % 256}.{(i * 17) % 256}" for i in range(5000)
    ]
    country = _cpu_ms(iptocc.country_code, addresses)
    out.append("  CPU per browser hit (ms)")
    out.append(f"    bot check   distinct UA {miss_bot:.4f}, repeated {hit_bot:.4f}")
    out.append(f"    browser/OS  distinct UA {parse:.4f} (no cache: the same cost repeated)")
    out.append(f"    country     {country:.5f} (iptocc)")
    out.append(f"    together    distinct UA {miss_bot + parse + country:.4f}")
    if crawler_detect is not None:
        fresh = CrawlerDetect()
        replaced = _cpu_ms(lambda ua: fresh._check_crawler(ua), browser_uas)
        out.append(f"    (crawlerdetect, replaced: distinct UA {replaced:.4f})")
    hostile = "Mozilla/5.0 (" + "A(" * 5000
    out.append(
        f"  hostile 10 KB UA (cut to {MAX_UA}): bot check {_cpu_ms(useragents.is_bot, [hostile] * 50):.4f} ms, "
        f"browser/OS {_cpu_ms(useragents.describe, [hostile] * 50):.4f} ms"
    )
    return out


if __name__ == "__main__":
    print("\n".join(report()))
