"""Breakdowns' pure logic: sources, campaigns, user agents, facts encoding, merging days."""

from __future__ import annotations

import pytest

from counters.reports import sources, useragents
from counters.reports.breakdowns import (
    OTHER,
    HitFacts,
    Row,
    bot_family,
    dimension_values,
    facts_of,
    language_of,
    site_hosts,
    top_rows,
)

CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.3.1 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
COCCOC = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/124.0.238 Chrome/118.0.5993.238 Safari/537.36"
)
ZALO = (
    "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Zalo android/12100527 ZaloTheme/light"
)
SITE = ("laichau.gov.vn",)


@pytest.mark.parametrize(
    ("referrer", "source"),
    [
        (None, "direct"),
        ("", "direct"),
        ("https://www.google.com.vn/search?q=lai+chau", "Google"),
        ("https://www.google.com/", "Google"),
        ("https://coccoc.com/search?query=x", "Cốc Cốc"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Flaichau.gov.vn", "Facebook"),
        ("https://m.facebook.com/", "Facebook"),
        ("https://chat.zalo.me/", "Zalo"),
        ("https://vn.search.yahoo.com/", "Yahoo"),
        ("https://www.bing.com/search?q=a", "Bing"),
        ("https://youtu.be/abc", "YouTube"),
        ("android-app://com.zing.zalo/", "Zalo"),
        ("https://WWW.Baomoi.com:443/tin/a.html?utm_source=x#top", "baomoi.com"),
        ("https://laichau.gov.vn/tin-tuc/a", "(internal)"),
        ("https://www.laichau.gov.vn/", "(internal)"),
        ("javascript:alert(1)", "(invalid)"),
        ("https://[::1/", "(invalid)"),
        ("https://" + "a" * 120 + ".com/", "(invalid)"),
        ("https://exa mple.com/", "(invalid)"),
    ],
)
def test_source_of_a_referrer(referrer: str | None, source: str) -> None:
    assert sources.source_of(referrer, SITE) == source


def test_campaign_is_three_normalised_bounded_parts() -> None:
    assert sources.campaign_of(None) == ""
    assert sources.campaign_of({"utm_source": "  ", "utm_medium": ""}) == ""
    assert (
        sources.campaign_of(
            {"utm_source": "Zalo", "utm_medium": "Social", "utm_campaign": "Tết 2026"}
        )
        == "zalo / social / tết 2026"
    )
    assert sources.campaign_of({"utm_campaign": "a/b\x00c"}) == "- / - / a-bc"
    long = sources.campaign_of(
        {"utm_source": "ệ" * 100, "utm_medium": "x" * 100, "utm_campaign": "y"}
    )
    source, medium, campaign = long.split(" / ")
    assert len(source.encode()) <= 40 and len(medium) == 40 and campaign == "y"


@pytest.mark.parametrize(
    ("ua", "browser", "os", "device"),
    [
        (CHROME_WIN, "Chrome", "Windows", "desktop"),
        (IPHONE, "Safari", "iOS", "mobile"),
        (ANDROID_TABLET, "Chrome", "Android", "tablet"),
        (COCCOC, "Cốc Cốc", "Windows", "desktop"),
        (ZALO, "Zalo", "Android", "mobile"),
        ("", "Other", "Other", "other"),
    ],
)
def test_browser_os_and_device(ua: str, browser: str, os: str, device: str) -> None:
    assert useragents.describe(ua) == (browser, os, device)


@pytest.mark.parametrize(
    ("ua", "family"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Bingbot"),
        (
            "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",
            "coccocbot",
        ),
        (
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "facebookexternalhit",
        ),
        ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot"),
        (
            "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
            "Baiduspider",
        ),
        ("SomethingElse-crawler/1.0", "other bot"),
        ("x" * 600 + "Googlebot", "other bot"),  # past the bound: never seen
    ],
)
def test_bot_family(ua: str, family: str) -> None:
    assert bot_family(ua) == family


def test_bots_are_detected_and_browsers_are_not() -> None:
    assert useragents.is_bot(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    )
    assert useragents.is_bot("curl/8.5.0")
    assert not useragents.is_bot(CHROME_WIN)
    assert not useragents.is_bot(IPHONE)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("EN", "en"),
        ("*", ""),
        (None, ""),
        ("x" * 10_000, ""),
        ("fil-PH", "fil"),
    ],
)
def test_language_is_the_first_primary_subtag(header: str | None, language: str) -> None:
    assert language_of(header) == language


def test_facts_of_a_hit() -> None:
    facts = facts_of(
        user_agent=COCCOC,
        referrer="https://coccoc.com/search?query=lai+chau",
        utm={"utm_source": "zalo"},
        client_ip="113.160.0.1",
        accept_language="vi-VN,vi;q=0.9",
        viewer_country=None,
        site_hosts=SITE,
    )
    assert facts == HitFacts("Cốc Cốc", "zalo / - / -", "Cốc Cốc", "Windows", "desktop", "VN", "vi")


def test_viewer_country_header_wins_and_bad_ones_are_ignored() -> None:
    common = {
        "user_agent": IPHONE,
        "referrer": None,
        "utm": None,
        "accept_language": None,
        "site_hosts": (),
    }
    assert facts_of(client_ip="113.160.0.1", viewer_country="jp", **common).country == "JP"
    assert facts_of(client_ip="113.160.0.1", viewer_country="XYZ", **common).country == "VN"
    assert facts_of(client_ip="not an address", viewer_country=None, **common).country == ""


def test_encoding_round_trips_within_300_bytes() -> None:
    widest = HitFacts(
        source="a" * 90,
        campaign=" / ".join(["ệ" * 13] * 3),
        browser="b" * 24,
        os="o" * 24,
        device="tablet",
        country="VN",
        language="fil",
    )
    text = widest.encode()
    assert len(text.encode()) <= 300
    assert HitFacts.decode(text) == widest


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2\x1fdirect\x1f\x1fChrome\x1fWindows\x1fdesktop\x1fVN\x1fvi",
        "1\x1fdirect\x1f\x1fChrome\x1fWindows\x1fphone\x1fVN\x1fvi",
        "1\x1fdirect\x1f\x1fChrome\x1fWindows\x1fdesktop\x1fvn\x1fvi",
        "1\x1fdirect\x1f\x1fChrome\x1fWindows\x1fdesktop\x1fVN",
        "1\x1f\x1f\x1fChrome\x1fWindows\x1fdesktop\x1fVN\x1fvi",
        "1\x1f" + "a" * 400,
    ],
)
def test_decode_refuses_anything_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        HitFacts.decode(text)


def test_dimension_values_of_a_counted_hit() -> None:
    facts = HitFacts("Google", "", "Chrome", "Android", "mobile", "", "vi")
    assert dimension_values(facts, 7) == {
        "source": "Google",
        "browser": "Chrome",
        "os": "Android",
        "device": "mobile",
        "country": "(unknown)",
        "language": "vi",
        "hour": "07",
    }
    with_campaign = HitFacts("Google", "a / b / c", "Chrome", "Android", "mobile", "VN", "vi")
    assert dimension_values(with_campaign, 23)["campaign"] == "a / b / c"
    with pytest.raises(ValueError):
        dimension_values(facts, 24)


def test_top_rows_add_days_rank_by_the_sites_figure_and_fold_the_rest() -> None:
    days = [
        {"Google": (5, 9), "Facebook": (3, 20), "a.vn": (1, 1), OTHER: (2, 2)},
        {"Google": (1, 1), "b.vn": (1, 1), "Facebook": (3, 3)},
    ]
    # visits tie at 6: page views decide, then the value
    assert top_rows(days, limit=2) == [
        Row("Facebook", 6, 23),
        Row("Google", 6, 10),
        Row(OTHER, 4, 4),
    ]
    assert [row.value for row in top_rows(days, limit=10, count="pageviews")] == [
        "Facebook",
        "Google",
        "a.vn",
        "b.vn",
        OTHER,
    ]
    assert top_rows([], limit=5) == []


def test_site_hosts_from_allowed_origins_and_the_hits_origin() -> None:
    hosts = site_hosts(
        ["https://laichau.gov.vn", "http://www.tinhlaichau.vn:8080"], "https://m.laichau.gov.vn"
    )
    assert hosts == {"laichau.gov.vn", "tinhlaichau.vn", "m.laichau.gov.vn"}
    assert site_hosts([], None) == set()
    assert site_hosts([], "https://[::1") == set()
    assert sources.source_of("https://m.laichau.gov.vn/a", hosts) == "(internal)"


def test_odd_text_never_breaks_the_facts() -> None:
    assert sources.campaign_of({"utm_source": "a\ud800b"}) == "a?b / - / -"
    facts = facts_of(
        user_agent="Foo\x1f\x00/1.0 (X11; Linux x86_64)",
        referrer="https://ex\ud800ample.com/",
        utm={"utm_campaign": "\ud800" * 300},
        client_ip="::1",
        accept_language="\ud800",
        viewer_country="\ud800\ud800",
        site_hosts=(),
    )
    assert HitFacts.decode(facts.encode()) == facts
    assert facts.source == "(invalid)" and facts.country == "" and facts.language == ""


def test_preload_readies_both_parsers() -> None:
    useragents.preload()
    assert useragents._bot_patterns.cache_info().currsize == 1
    assert useragents._extractors.cache_info().currsize == 1


VALID_FACTS = ("Google", "a / b / c", "Chrome", "Android", "mobile", "VN", "vi")


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (0, None, "source: not a plain string"),
        (2, "Chr\x00me", "browser: not a plain string"),
        (6, "v\x7f", "language: not a plain string"),
        (0, "s" * (sources.MAX_SOURCE_BYTES + 1), "source: too long"),
        (1, "c" * (3 * sources.MAX_CAMPAIGN_PART_BYTES + 7), "campaign: too long"),
        (3, "ố" * 9, "os: too long"),  # 27 UTF-8 bytes over 24
        (0, "", "source: empty"),
        (4, "phone", "device: not one of ('desktop', 'mobile', 'tablet', 'other')"),
        (5, "vn", "country: not ISO 3166-1 alpha-2"),
        (6, "vi-VN", "language: not a primary language subtag"),
        # Fields are checked in order, plain and short first, then each field's shape.
        (4, "\x00", "device: not a plain string"),
    ],
)
def test_facts_refuse_what_a_category_cannot_be(index: int, value: object, message: str) -> None:
    values: list[object] = list(VALID_FACTS)
    values[index] = value
    with pytest.raises(ValueError) as exc:
        HitFacts(*values)  # type: ignore[arg-type]
    assert str(exc.value) == message


def test_facts_at_their_bounds_pass() -> None:
    widest = (
        "s" * sources.MAX_SOURCE_BYTES,
        "c" * (3 * sources.MAX_CAMPAIGN_PART_BYTES + 6),
        "ố" * 8,
        "o" * 24,
        "other",
        "",
        "",
    )
    assert HitFacts(*widest).encode().split("\x1f")[1:] == list(widest)
    with pytest.raises(ValueError, match="^source: empty$"):
        HitFacts("", "", "", "", "phone", "", "")  # the first problem only
