"""Shortcuts on the hit path give exactly what the longer way gives."""

from __future__ import annotations

import ipaddress
import json
import random
import re
from importlib.resources import files

import pytest

from counters.counting.visits import _address_key, address_id
from counters.reports import useragents


def _verdict_of_the_libraries(agent: str) -> bool:
    """The two libraries' own verdicts, on text, with Python's `re`: the model."""
    import crawleruseragents
    from crawlerdetect import CrawlerDetect

    return crawleruseragents.is_crawler(agent) or CrawlerDetect().is_crawler(agent)


def _agents() -> list[str]:
    browsers = files("fake_useragent") / "data" / "browsers.jsonl"
    agents = [json.loads(line)["useragent"] for line in browsers.read_text().splitlines() if line]
    listed = files("crawleruseragents").joinpath("crawler-user-agents.json").read_text()
    agents += [seen for entry in json.loads(listed) for seen in entry.get("instances", [])]
    # Non-ASCII and odd whitespace, where bytes and characters part ways.
    pieces = [
        "Mozilla/5.0 ",
        "(Safari; ",
        "Chrome/1.0 ",
        "bot",
        "crawl",
        "ñ",
        "中",
        "\u00a0",
        "\u3000",
        "\t",
        "Gecko) ",
        "like ",
        "Yandex",
        "Search",
        "Safari/604.1",
    ]
    draw = random.Random(7)
    agents += ["".join(draw.choices(pieces, k=draw.randint(0, 12))) for _ in range(3000)]
    return agents + ["Safari/1.0 \u3000", "\u00a0Mozilla/5.0\u00a0", "YandexSearch", "Yandex"]


def test_the_bot_check_gives_the_verdict_of_crawlerdetect_or_crawler_user_agents() -> None:
    agents = [useragents.bounded(agent) for agent in _agents()]
    verdicts = {agent: _verdict_of_the_libraries(agent) for agent in agents}
    assert len(agents) > 5000 and any(verdicts.values()) and not all(verdicts.values())
    differing = [a for a in agents if useragents.is_bot(a) != verdicts[a]]
    assert differing == []


@pytest.mark.parametrize(
    "client_ip",
    [
        "203.0.113.7",
        "0.0.0.0",
        "255.255.255.255",
        "01.2.3.4",
        "256.1.1.1",
        "1.2.3",
        "１.2.3.4",
        " 1.2.3.4",
        "not an address",
        "",
        "::1",
        "::ffff:1.2.3.4",
        "2001:db8::1",
        "2001:db8::1:",
    ],
)
def test_an_address_is_keyed_as_parsing_would_key_it(client_ip: str) -> None:
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        parsed = client_ip
    else:
        if isinstance(address, ipaddress.IPv6Address):
            network = ipaddress.IPv6Network((address, 56), strict=False)
            parsed = str(address.ipv4_mapped or network)
        else:
            parsed = str(address)
    assert _address_key(client_ip) == parsed


def test_every_ipv4_spelling_keys_as_its_parsed_form() -> None:
    draw = random.Random(11)
    for _ in range(5000):
        text = ".".join(str(draw.randint(0, 300)).zfill(draw.choice((1, 1, 1, 2))) for _ in "abcd")
        try:
            expected = str(ipaddress.ip_address(text))
        except ValueError:
            expected = text
        assert _address_key(text) == expected


def test_an_ipv6_client_is_keyed_by_its_56_network() -> None:
    """A home's /56 (256 /64s) is one address for the cap; the next /56 is another."""
    salt = b"s" * 32
    home = ["2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:ff::1", "2001:db8:1::9"]
    keys = {address_id(salt, "site", ip) for ip in home}
    assert len(keys) == 1
    assert address_id(salt, "site", "2001:db8:1:100::a") not in keys
    assert address_id(salt, "site", "2001:db8:2:2::a") not in keys


# The model: what marks a TV, console, car or streaming stick, written out here.
OTHER_DEVICE = re.compile(
    r"SmartTV|Smart-TV|SMART-TV|HbbTV|Web0S|webOS\.TV|\bTV\b|GoogleTV|BRAVIA|AFT[A-Z]|CrKey|"
    r"PlayStation|Xbox|Nintendo|Tesla/|CarPad|Android Automotive"
)


def test_tvs_consoles_and_cars_are_other_devices_and_nothing_else_is() -> None:
    # The code tries a few cheap substrings before its expression: none may hide a device.
    agents = _agents() + [
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0)",
        "AFTMM Build/PS7",
        "Web0S; Linux/SmartTV",
        "Mozilla/5.0 (PlayStation 5 8.20)",
        "Tesla/2024.20",
        "CrKey armv7l 1.5",
        "a TV b",
        "Mozilla/5.0 (X11; Linux x86_64; GoogleTV)",
        "HbbTV/1.6.1 (+DRM; Samsung; SmartTV2021)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One)",
        "Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet)",
        "Mozilla/5.0 (Linux; Android 10; CarPad)",
        "Mozilla/5.0 (Linux; Android Automotive 12)",
        "Mozilla/5.0 (Linux; Android 9; BRAVIA 4K GB)",
        "Mozilla/5.0 (Linux; webOS.TV 6.0)",
    ]
    others = [a for a in agents if OTHER_DEVICE.search(a)]
    assert len(others) >= 15
    for agent in others:
        assert useragents.device_type(agent, "Android") == "other", agent
    for agent in ("TVision/1.0", "ATV box", "aft", "Tesla 3", "PlayStatio"):
        assert useragents.device_type(agent, "Windows") == "desktop", agent
    wrong = [
        a for a in agents if (useragents.device_type(a, "Android") == "other") != (a in others)
    ]
    assert wrong == []
    assert useragents.device_type("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile", "Android") == (
        "mobile"
    )
