"""The sizes an HTTP API request may have, checked before any parser sees a byte of it.

The HTTP API passes headers of up to ~10 KB and bodies of up to 10 MB; JSON,
pydantic, regular expressions and the bot detector (quadratic on long strings)
would pay for every byte. Each header a handler or Powertools reads, the body,
the path and the query string are bounded here; a request over a bound is
answered 413/414/431 with a JSON message and reaches no handler. Referer and
Accept-Language are left alone here: a real browser's may be long, and the code
that reads them cuts them to their bound first (counters.reports.breakdowns). The
User-Agent is bounded apart (counters.counting.visits): a hit with a long one is answered
but not counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

# Header (lower-case) -> the most characters it may have. Each is read by our
# code or by Powertools, and each bound is well above what a browser sends.
HEADER_LIMITS: dict[str, int] = {
    "origin": 512,  # scheme://host:port; a host name is at most 253
    "sec-purpose": 128,  # "prefetch;prerender"
    "purpose": 128,
    "idempotency-key": 1024,  # pydantic answers 422 over the route's own bound (128)
    "content-type": 256,
    "access-control-request-method": 64,
    "access-control-request-headers": 512,
    "cloudfront-viewer-address": 64,  # an IPv6 address (45) and a port
    "x-origin-verify": 256,
}
# The largest valid body: a settings document with 50 origins, or a hit whose path
# and referrer (2,048 characters each) are written entirely in \uXXXX escapes.
MAX_BODY_CHARS = 32 * 1024
# Routes that take more: a history import (1 MB, base64 4/3 of it; see handlers.sites).
BODY_LIMITS: dict[str, int] = {"POST /v1/sites/{site}/history": 1_000_000 * 4 // 3 + 4}
# The longest number token a JSON body may hold: the largest figure (10**15) has 16
# digits. Longer ones are refused before they are converted: Python refuses to turn
# more than 4,300 digits into an int (ValueError, not a decode error), and a long
# float costs time for nothing.
MAX_NUMBER_CHARS = 32
MAX_PATH_CHARS = 1024
MAX_QUERY_CHARS = 1024
# (event field, what it is in a message, the most characters it may have)
URL_LIMITS = (
    ("rawPath", "the path", MAX_PATH_CHARS),
    ("rawQueryString", "the query string", MAX_QUERY_CHARS),
)


def _answer(status: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message}),
        "isBase64Encoded": False,
    }


def refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to a request over a bound, or None when every part is within its bound."""
    return _long_header(event) or _large_body(event) or _long_url(event) or _multipart(event)


class _LongNumberError(ValueError):
    pass


def _bounded(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(token: str) -> Any:
        if len(token) > MAX_NUMBER_CHARS:
            raise _LongNumberError(token)
        return convert(token)

    return parse


# Built once: json.loads with hooks would build a decoder per call, on every hit.
_DECODER = json.JSONDecoder(parse_int=_bounded(int), parse_float=_bounded(float))


def loads(text: str) -> Any:
    """`json.loads` that refuses (as a decode error: 422) a number longer than MAX_NUMBER_CHARS."""
    try:
        return _DECODER.decode(text)
    except _LongNumberError as long:
        message = f"a number longer than {MAX_NUMBER_CHARS} characters"
        raise json.JSONDecodeError(message, text, max(text.find(long.args[0]), 0)) from None


def _long_header(event: dict[str, Any]) -> dict[str, Any] | None:
    # Names as sent: API Gateway and Function URLs lower-case them, events written
    # elsewhere may not, and the code reads them in any case.
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    for name, limit in HEADER_LIMITS.items():
        value = headers.get(name)
        if value is not None and len(value) > limit:
            return _answer(431, f"the {name} header is too long (at most {limit} characters)")
    return None


def _large_body(event: dict[str, Any]) -> dict[str, Any] | None:
    body = event.get("body")
    limit = BODY_LIMITS.get(str(event.get("routeKey")), MAX_BODY_CHARS)
    if body is not None and len(body) > limit:
        return _answer(413, f"the request body is too large (at most {limit} bytes)")
    return None


def _multipart(event: dict[str, Any]) -> dict[str, Any] | None:
    # No route takes a multipart body, and Powertools' multipart parser fails (a 500) on
    # a body that is not Latin-1: refused before any parser sees it.
    headers = event.get("headers") or {}
    sent = headers.get("content-type")
    if sent is None:  # a name in another case (events written elsewhere), or none
        sent = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if str(sent).lstrip().lower().startswith("multipart/"):
        return _answer(415, "unsupported content type: no route takes a multipart body")
    return None


def _long_url(event: dict[str, Any]) -> dict[str, Any] | None:
    for field, what, limit in URL_LIMITS:
        if len(event.get(field) or "") > limit:
            return _answer(414, f"{what} is too long (at most {limit} characters)")
    return None
