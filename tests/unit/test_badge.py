"""The badge: figures grouped the local way, and nothing interpolated can become markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from counters.reports.badge import group_digits, render

SVG = "{http://www.w3.org/2000/svg}"


def test_figures_are_grouped_per_language() -> None:
    assert group_digits(84916357, "vi") == "84.916.357"
    assert group_digits(84916357, "en") == "84,916,357"
    assert group_digits(7, "vi") == "7"


def test_badge_text() -> None:
    svg = ET.fromstring(render("laichau", "visits", 4003, 84916357, "vi"))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["lượt truy cập", "hôm nay 4.003 · tổng 84.916.357"]
    en = ET.fromstring(render("laichau", "pageviews", 4003, 84916357, "en"))
    assert [t.text for t in en.iter(f"{SVG}text")] == [
        "page views",
        "today 4,003 · total 84,916,357",
    ]


def test_markup_in_any_value_stays_text() -> None:
    evil = '"><script>alert(1)</script><text x="0'
    text = render(evil, evil, 1, 2, "en")
    svg = ET.fromstring(text)  # still well-formed
    tags = {element.tag for element in svg.iter()}
    assert tags == {f"{SVG}svg", f"{SVG}title", f"{SVG}rect", f"{SVG}g", f"{SVG}text"}
    assert "<script" not in text
    assert svg.find(f"{SVG}title").text.startswith(evil)  # type: ignore[union-attr]
    assert svg.attrib["aria-label"].startswith(evil)
    assert [t.text for t in svg.iter(f"{SVG}text")][0] == evil
