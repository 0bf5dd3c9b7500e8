"""Hostile requests to the local HTTP API: a clear 4xx with a JSON message, and nothing stored.

Requests that may count (valid hits carrying markup, traversal or odd bytes) are
checked apart: 200, and nothing they carried is stored.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from tests.reliability.conftest import ANSWER_SECONDS, Harness

UA = b"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
HIT = "/v1/sites/portal/hits"


def send(
    harness: Harness,
    method: str,
    target: bytes | str,
    body: bytes = b"",
    headers: dict[bytes, bytes] | None = None,
) -> tuple[int, Any, bytes]:
    """One raw HTTP/1.1 request (any bytes in the target, headers and body)."""
    host, port = harness.api.host, harness.api.port
    target = target.encode() if isinstance(target, str) else target
    lines = [
        method.encode() + b" " + target + b" HTTP/1.1",
        b"Host: " + host.encode(),
        b"Connection: close",
        b"Content-Length: " + str(len(body)).encode(),
    ]
    merged = {b"User-Agent": UA, b"Content-Type": b"application/json", **(headers or {})}
    lines += [name + b": " + value for name, value in merged.items()]
    try:
        with socket.create_connection((host, port), timeout=ANSWER_SECONDS) as conn:
            conn.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            raw = b""
            while chunk := conn.recv(65536):
                raw += chunk
    except TimeoutError:
        pytest.fail(f"no answer within {ANSWER_SECONDS} s to {method} {target[:80]!r}")
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    content_type = next(
        (
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")[1:]
            if line.lower().startswith(b"content-type:")
        ),
        b"",
    )
    parsed = (
        json.loads(payload) if content_type.startswith(b"application/json") and payload else None
    )
    return status, parsed, payload


BASELINE = "/v1/sites/portal/baseline"
GOOD_BASELINE = {
    "date": "2025-06-14",
    "today": 1,
    "yesterday": 1,
    "month": 5,
    "year": 9,
    "total": 9,
}

# (method, target, body, extra headers): each must be refused with a 4xx.
REFUSED: list[tuple[str, bytes | str, bytes, dict[bytes, bytes]]] = [
    # Bad JSON, wrong types, unknown fields.
    ("POST", HIT, b"{", {}),
    ("POST", HIT, b'{"path": ', {}),
    ("POST", HIT, b"[1, 2]", {}),
    ("POST", HIT, b'"just a string"', {}),
    ("POST", HIT, b"12", {}),
    ("POST", HIT, b'{"path": 5}', {}),
    ("POST", HIT, b'{"path": ["/a"]}', {}),
    ("POST", HIT, b'{"referrer": {"$gt": ""}}', {}),
    ("POST", HIT, b'{"path": true}', {}),
    ("POST", HIT, b'{"path": "/a", "extra": 1}', {}),
    ("POST", HIT, b'{"__proto__": {"admin": true}}', {}),
    ("POST", HIT, b'{"path": "/a"}{"path": "/b"}', {}),
    ("POST", HIT, b'{"path": NaN}', {}),
    ("POST", HIT, b'{"path": "/a\\ud800"}', {}),  # a lone surrogate
    # Too big.
    ("POST", HIT, json.dumps({"path": "/" + "a" * 5000}).encode(), {}),
    ("POST", HIT, json.dumps({"referrer": "https://x.vn/" + "b" * 3000}).encode(), {}),
    ("POST", HIT, b'{"path": "' + b"x" * 1_000_000 + b'"}', {}),
    ("POST", HIT, b"[" * 100_000, {}),
    ("POST", HIT, b"{}", {b"Idempotency-Key": b"k" * 10_000}),
    # Odd encodings.
    ("POST", HIT, b'{"path": "\xff\xfe\xfd"}', {}),
    ("POST", HIT, b"\xef\xbb\xbf\x00\x00\x00{", {}),
    ("POST", HIT, '{"path": "/a"}'.encode("utf-16"), {}),
    ("POST", HIT, b"eyJwYXRoIjogNX0=", {}),  # base64 of {"path": 5}
    ("POST", HIT, b"path=%2Fa&evil=1", {b"Content-Type": b"application/x-www-form-urlencoded"}),
    ("POST", HIT, b"<hit path='/a'/>", {b"Content-Type": b"application/xml"}),
    ("POST", HIT, b"{}", {b"Idempotency-Key": "khóa".encode()}),
    ("POST", HIT, b"{}", {b"Idempotency-Key": b"a b"}),
    # Invalid site ids: traversal, markup, encodings, length.
    ("POST", "/v1/sites/../hits", b"", {}),
    ("POST", "/v1/sites/%2e%2e/hits", b"", {}),
    ("POST", "/v1/sites/..%2f..%2fetc%2fpasswd/hits", b"", {}),
    ("POST", "/v1/sites/%3Cscript%3Ealert(1)%3C%2Fscript%3E/hits", b"", {}),
    ("POST", "/v1/sites/portal%00/hits", b"", {}),
    ("POST", "/v1/sites/PORTAL/hits", b"", {}),
    ("POST", "/v1/sites/" + "a" * 64 + "/hits", b"", {}),
    ("POST", "/v1/sites/-portal/hits", b"", {}),
    ("POST", "/v1/sites/port%C3%A1l/hits", b"", {}),
    ("POST", b"/v1/sites/port\xc3\xa1l/hits", b"", {}),
    ("POST", b"/v1/sites/\xff\xfe/hits", b"", {}),
    ("POST", "/v1/sites/never-registered/hits", b"", {}),
    ("GET", "/v1/sites/%2e%2e%2f%2e%2e/stats", b"", {}),
    ("GET", "/v1/sites/never-registered/stats", b"", {}),
    ("GET", "/v1/sites/../../../etc/passwd", b"", {}),
    ("GET", "/v1/sites/portal/../../static/../../etc/passwd", b"", {}),
    # Origin not allowed by the site.
    ("POST", HIT, b"{}", {b"Origin": b"https://evil.example"}),
    ("POST", HIT, b"{}", {b"Origin": b"null"}),
    # Operator routes: wrong types, unknown fields, markup, invalid dates.
    ("PUT", "/v1/sites/portal", b'{"timezone": "../../etc/localtime"}', {}),
    ("PUT", "/v1/sites/portal", b'{"timezone": "<script>"}', {}),
    (
        "PUT",
        "/v1/sites/portal",
        b'{"timezone": "UTC", "allowed_origins": ["javascript:alert(1)"]}',
        {},
    ),
    ("PUT", "/v1/sites/portal", b'{"timezone": "UTC", "count": ["visits"]}', {}),
    ("PUT", "/v1/sites/portal", b'{"timezone": "UTC", "visit_timeout_minutes": "30; DROP"}', {}),
    ("PUT", "/v1/sites/portal", b'{"timezone": "UTC", "visit_timeout_minutes": 1e309}', {}),
    ("PUT", "/v1/sites/portal", b'{"timezone": "UTC", "admin": true}', {}),
    ("PUT", "/v1/sites/portal", b"", {}),
    ("PUT", "/v1/sites/%3Cb%3E", b'{"timezone": "UTC"}', {}),
    *[
        ("POST", BASELINE, json.dumps({**GOOD_BASELINE, **change}).encode(), {})
        for change in [
            {"date": "2025-02-30"},
            {"date": "2025-13-01"},
            {"date": "20250614"},
            {"date": "14/06/2025"},
            {"date": "2025-06-14T00:00:00"},
            {"date": "2025-06-14'--"},
            {"date": 20250614},
            {"date": "9999-12-31"},
            {"date": "0000-01-01"},
            {"date": None},
            {"today": -1},
            {"total": 10**30},
            {"month": 1.5},
            {"year": "9"},
            {"month": 99},
            {"extra": 1},
        ]
    ],
    ("POST", "/v1/sites/never-registered/baseline", json.dumps(GOOD_BASELINE).encode(), {}),
    # No such route or method.
    ("DELETE", "/v1/sites/portal", b"", {}),
    ("PATCH", "/v1/sites/portal", b"{}", {}),
    ("GET", HIT, b"", {}),
    ("POST", "/v1/sites/portal/hits/../../portal", b"", {}),
]


def test_hostile_requests_are_refused_with_a_message_and_store_nothing(local_api: Harness) -> None:
    local_api.register("portal", allowed_origins=["https://portal.gov.vn"])
    status, answer, _ = send(local_api, "POST", HIT, b"{}")
    assert status == 200 and answer["counted"], answer
    before = local_api.dump()
    problems = []
    for method, target, body, headers in REFUSED:
        status, answer, raw = send(local_api, method, target, body, headers)
        ok = (
            400 <= status < 500
            and isinstance(answer, dict)
            and isinstance(answer.get("message"), str)
        )
        if not ok:
            problems.append((method, target[:80], body[:60], status, raw[:200]))
    assert not problems, problems
    assert local_api.dump() == before


# Valid hits that carry markup, traversal and odd bytes: answered, and none of it is
# stored; counted (True) or not (False: a User-Agent over 512 bytes is no browser's).
ACCEPTED: list[tuple[bytes, dict[bytes, bytes], bool]] = [
    (b'{"path": "/../../etc/passwd", "referrer": "javascript:alert(1)"}', {}, True),
    (
        b'{"path": "/<script>alert(1)</script>", "referrer": "https://x.vn/\\"><img src=x>"}',
        {},
        True,
    ),
    ('{"path": "/tin-tức/ả?q=\'; DROP TABLE--"}'.encode(), {}, True),
    (b"", {b"User-Agent": b"<script>alert('ua')</script> Mozilla/5.0"}, True),
    (b"", {b"User-Agent": b"Mozilla/5.0 \xff\xfe\xc3"}, True),
    (b"", {b"User-Agent": b"Mozilla/5.0 " + b"A" * 16_000}, False),
    (b"", {b"X-Forwarded-For": b"not-an-ip, <script>"}, True),
    (b"", {b"X-Forwarded-For": b"2001:db8::1%eth0"}, True),
    (b'{"path": "/a"}', {b"Content-Type": b"text/plain;charset=UTF-8"}, True),
    (b"null", {}, True),
]


def test_odd_but_valid_hits_count_and_store_none_of_what_they_carry(local_api: Harness) -> None:
    local_api.register("portal", count="pageviews")  # every counted hit shows counted: true
    for body, headers, counted in ACCEPTED:
        status, answer, raw = send(local_api, "POST", HIT, body, headers)
        assert status == 200, (body, headers, raw[:300])
        assert answer["site"] == "portal"
        assert answer["counted"] is counted, (body[:60], {k: v[:60] for k, v in headers.items()})
    dump = local_api.dump()
    pages = [item for item in dump if item["pk"]["S"].startswith("PAGES#")]
    keys = [item["sk"]["S"].split("#", 1)[1] for item in pages]
    # A visitor item keeps its visit's entry and last page (engagement): page keys too.
    visitors = [item for item in dump if item["pk"]["S"].startswith("VISITOR#")]
    keys += [item.pop(name)["S"] for item in visitors for name in ("lp", "ve") if name in item]
    # ...and a note names its page, and its visit's entry and previous page.
    for item in dump:
        if "h" in item:
            note = json.loads(item["h"]["S"])
            keys += [note.pop(name) for name in ("u", "e", "l") if name in note]
            item["h"] = {"S": json.dumps(note)}
    others = json.dumps([item for item in dump if item not in pages], default=repr)
    # Referrers, User-Agents and addresses are never stored; paths only as page keys...
    carried = ["passwd", "script", "javascript", "img src", "DROP", "AAAA", "not-an-ip", "eth0"]
    for text in carried:
        assert text not in others, text
    # ...normalised: no traversal, no query string ("": a hit that named no page).
    for key in keys:
        assert key == "" or key.startswith("/") and "/../" not in key + "/" and "?" not in key, key
    kinds = {item["pk"]["S"].split("#")[0] for item in dump}
    assert kinds <= {"SITE", "SITES", "VISITOR", "ADDRESS", "SALT", "PAGES"}, kinds
