"""Shortcuts on the hit path give exactly what the longer way gives."""

from __future__ import annotations

import ipaddress
import json
import random
from importlib.resources import files

import pytest

from counters.counting.visits import _address_key, address_id
from counters.reports import useragents


def _verdict_on_str(agent: str) -> bool:
    """The bot check as crawlerdetect writes it: exclusions removed from the text."""
    exclusions, crawlers, listed = useragents._bot_patterns()
    if listed.search(agent) is not None:
        return True
    rest = exclusions.sub("", agent)
    return bool(rest.strip()) and crawlers.search(rest) is not None


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


def test_the_bot_check_on_bytes_gives_crawlerdetects_verdict_on_text() -> None:
    agents = [useragents.bounded(agent) for agent in _agents()]
    assert len(agents) > 5000 and any(_verdict_on_str(agent) for agent in agents)
    differing = [a for a in agents if useragents._is_bot.__wrapped__(a) != _verdict_on_str(a)]
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


def test_every_other_device_the_expression_finds_holds_one_of_the_cheap_tokens() -> None:
    found = [a for a in _agents() if useragents._OTHER_DEVICES.search(a)]
    found += [
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0)",
        "AFTMM Build/PS7",
        "Web0S; Linux/SmartTV",
        "Mozilla/5.0 (PlayStation 5 8.20)",
        "Tesla/2024.20",
        "CrKey armv7l 1.5",
        "a TV b",
    ]
    for agent in found:
        assert any(token in agent for token in useragents._OTHER_DEVICE_TOKENS), agent
        assert useragents.device_type(agent, "Android") == "other"
    assert useragents.device_type("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile", "Android") == (
        "mobile"
    )
