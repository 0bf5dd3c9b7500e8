"""Behind a CloudFront distribution every request comes from an edge address. With
ClientAddressHeader=CloudFront-Viewer-Address the visitor's address is the viewer's,
but only on requests carrying the distribution's origin header (its SHA-256 set in
ProxyVerifySha256): anyone can send the viewer header itself. CloudFront-Viewer-Country
(the country breakdown) is trusted on those requests only, too."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from counters.counting.visits import viewer_address
from tests.conftest import Api, Streams, load_template

EDGE = "130.176.0.10"  # a CloudFront edge address
SECRET = "k3J8-origin-verify-value"
NOW = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)


@pytest.fixture
def behind_cloudfront(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from counters.settings import settings

    monkeypatch.setenv("CLIENT_ADDRESS_HEADER", "CloudFront-Viewer-Address")
    monkeypatch.setenv("PROXY_VERIFY_SHA256", hashlib.sha256(SECRET.encode()).hexdigest())
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def hit(
    api: Api,
    site: str,
    viewer: str | None,
    verify: str | None = SECRET,
    country: str | None = None,
) -> dict[str, Any]:
    headers = {}
    if country is not None:
        headers["cloudfront-viewer-country"] = country
    if viewer is not None:
        headers["cloudfront-viewer-address"] = viewer
    if verify is not None:
        headers["x-origin-verify"] = verify
    with time_machine.travel(NOW, tick=False):
        return api.hit(site, headers=headers, source_ip=EDGE)


def test_viewers_behind_one_edge_are_different_visitors(api: Api, behind_cloudfront: None) -> None:
    api.register("cf", "UTC")
    answers = [hit(api, "cf", f"198.51.100.{i}:4653{i}") for i in range(3)]
    answers.append(hit(api, "cf", "2001:db8::7:443"))
    answers.append(hit(api, "cf", "198.51.100.1:50000"))  # the same viewer, another port
    assert [a["counted"] for a in answers] == [True, True, True, True, False]
    assert answers[-1]["today"] == 4


@pytest.mark.parametrize(
    ("viewer", "verify"),
    [
        ("198.51.100.{i}:443", None),  # not through the distribution
        ("198.51.100.{i}:443", "a guess"),
        ("not-an-address:{i}", SECRET),  # unusable: the connection's address counts
        ("198.51.100.{i}", SECRET),  # no port: not the header's shape
    ],
)
def test_the_viewer_header_is_not_trusted_without_the_origin_header(
    api: Api, behind_cloudfront: None, viewer: str, verify: str | None
) -> None:
    api.register("cf", "UTC")
    answers = [hit(api, "cf", viewer.format(i=i), verify) for i in range(3)]
    # One address (the edge's) and one User-Agent: one visitor.
    assert [a["counted"] for a in answers] == [True, False, False]


def test_by_default_the_connection_address_counts(api: Api) -> None:
    api.register("cf", "UTC")
    answers = [hit(api, "cf", f"198.51.100.{i}:443") for i in range(3)]
    assert [a["counted"] for a in answers] == [True, False, False]


def countries(api: Api, streams: Streams, site: str) -> dict[str, int]:
    streams.drain()
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call(
            "GET", f"/v1/sites/{site}/breakdown", query={"dimension": "country"}
        )
    assert status == 200, answer
    return {row["value"]: row["visits"] for row in answer["rows"]}


@pytest.fixture
def verify_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The origin header's hash set, but no ClientAddressHeader (the country alone)."""
    from counters.settings import settings

    monkeypatch.setenv("PROXY_VERIFY_SHA256", hashlib.sha256(SECRET.encode()).hexdigest())
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


@pytest.mark.parametrize("configured", [True, False])
def test_the_viewer_country_is_not_trusted_without_the_origin_header(
    api: Api, streams: Streams, request: pytest.FixtureRequest, configured: bool
) -> None:
    if configured:
        request.getfixturevalue("verify_only")
    api.register("cf", "UTC")
    # Three visitors (three User-Agents) forge the header: no proof, a wrong one, and
    # (when no hash is configured) the right one, which then proves nothing.
    for i, verify in enumerate([None, "a guess", None if configured else SECRET]):
        api.user_agent = (
            f"Mozilla/5.0 (X11; Linux x86_64; rv:13{i}.0) Gecko/20100101 Firefox/13{i}.0"
        )
        assert hit(api, "cf", None, verify, country="KP")["counted"]
    # Counted by the connection's address: a CloudFront edge's, in the US.
    assert countries(api, streams, "cf") == {"US": 3}


def test_the_viewer_country_counts_on_requests_through_the_distribution(
    api: Api, streams: Streams, behind_cloudfront: None
) -> None:
    api.register("cf", "UTC")
    hit(api, "cf", "198.51.100.1:443", country="VN")
    hit(api, "cf", "198.51.100.2:443", country="LA")
    hit(api, "cf", "198.51.100.3:443", verify=None, country="KP")  # forged: the edge's
    assert countries(api, streams, "cf") == {"VN": 1, "LA": 1, "US": 1}


def test_the_origin_header_alone_makes_the_country_trusted(
    api: Api, streams: Streams, verify_only: None
) -> None:
    api.register("cf", "UTC")
    hit(api, "cf", None, country="VN")
    assert countries(api, streams, "cf") == {"VN": 1}


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("198.51.100.10:46532", "198.51.100.10"),
        ("2001:db8::1:46532", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1:443", "2001:db8::1"),
        ("198.51.100.10", None),
        ("198.51.100.10:", None),
        (":443", None),
        ("x" * 40 + ":1", None),
        ("", None),
    ],
)
def test_viewer_address_values(value: str, address: str | None) -> None:
    assert viewer_address(value) == address


def test_the_template_passes_both_settings_to_the_hit_function() -> None:
    resources = load_template()["Resources"]
    variables = resources["HitFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "CLIENT_ADDRESS_HEADER": {"Ref": "ClientAddressHeader"},
        "PROXY_VERIFY_SHA256": {"Ref": "ProxyVerifySha256"},
    }
    parameters = load_template()["Parameters"]
    assert parameters["ClientAddressHeader"]["Default"] == ""
    assert parameters["ProxyVerifySha256"]["Default"] == ""
