"""An SVG badge of today's and the total figure, for pages without JavaScript (pure logic).

Every interpolated value is XML-escaped, numbers included: the badge is served
as an image but opens as a document, so nothing stored may become markup.
"""

from __future__ import annotations

from html import escape
from typing import Literal

Lang = Literal["vi", "en"]

_WORDS: dict[Lang, dict[str, str]] = {
    "vi": {"visits": "lượt truy cập", "pageviews": "lượt xem", "today": "hôm nay", "total": "tổng"},
    "en": {"visits": "visits", "pageviews": "page views", "today": "today", "total": "total"},
}
# Rough advance width of a character at 11px in Verdana/DejaVu Sans; badges need no precision.
_CHAR_WIDTH = 7.0
_PAD = 6


def group_digits(n: int, lang: Lang) -> str:
    """84916357 -> "84.916.357" (vi) or "84,916,357" (en)."""
    return f"{n:,}".replace(",", "." if lang == "vi" else ",")


def _width(text: str) -> int:
    return int(len(text) * _CHAR_WIDTH + 2 * _PAD)


def render(site: str, metric: str, today: int, total: int, lang: Lang = "vi") -> str:
    words = _WORDS[lang]
    label = words.get(metric, metric)
    today_text, total_text = group_digits(today, lang), group_digits(total, lang)
    value = f"{words['today']} {today_text} · {words['total']} {total_text}"
    left, right = _width(label), _width(value)
    width = left + right
    label_x, value_x = left / 2, left + right / 2
    title = escape(f"{site} – {label}: {value}", quote=True)
    label, value = escape(label, quote=True), escape(value, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{title}">'
        f"<title>{title}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="#c0392b"/>'
        f'<g fill="#fff" text-anchor="middle" '
        f'font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{label_x:.1f}" y="14">{label}</text>'
        f'<text x="{value_x:.1f}" y="14">{value}</text>'
        "</g></svg>"
    )
