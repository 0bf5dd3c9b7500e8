"""Which links are downloads, what a link reports as, and the widget's list of file types."""

from __future__ import annotations

import re

import pytest

from counters.events.links import DOWNLOAD_EXTENSIONS, extension_of, is_download, report_value
from counters.events.slots import EVENT_SLOTS, event_slot
from tests.conftest import REPO


def test_the_widget_tracks_the_same_file_types_as_the_server_lists() -> None:
    source = (REPO / "web" / "widget.js").read_text()
    found = re.search(r"var FILE_TYPES = \(((?:\"[^\"]*\"\s*\+?\s*)+)\)\.split", source)
    assert found, "FILE_TYPES not found in widget.js"
    listed = "".join(re.findall(r"\"([^\"]*)\"", found.group(1))).split()
    assert listed == list(DOWNLOAD_EXTENSIONS)


def test_plausibles_defaults_and_the_office_formats_portals_publish() -> None:
    plausible = "pdf xlsx docx txt rtf csv exe key pps ppt pptx 7z pkg rar gz zip avi mov mp4 "
    plausible += "mpeg wmv midi mp3 wav wma dmg"
    assert set(plausible.split()) <= set(DOWNLOAD_EXTENSIONS)
    assert {"doc", "xls", "odt", "ods", "odp"} <= set(DOWNLOAD_EXTENSIONS)


@pytest.mark.parametrize(
    ("path", "extension"),
    [
        ("/van-ban/QD-12.PDF", "pdf"),
        ("/a.tar.gz", "gz"),
        ("/dir.pdf/readme", None),
        ("/no-extension", None),
        ("/", None),
        ("/x.verylongext", None),
    ],
)
def test_extension_of(path: str, extension: str | None) -> None:
    assert extension_of(path) == extension


def test_downloads_by_extension_whatever_the_query() -> None:
    assert is_download("https://a.vn/f/qd.docx?download=1")
    assert not is_download("https://a.vn/tin-tuc/qd-docx")
    assert is_download("https://a.vn/ban-ve.dwg", ("dwg",))


@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("https://laichau.gov.vn/van-ban/a.pdf?token=x#p", "/van-ban/a.pdf"),
        ("https://LaiChau.gov.vn/van-ban/a.pdf", "/van-ban/a.pdf"),
        ("https://cdn.laichau.gov.vn/a.pdf", "cdn.laichau.gov.vn/a.pdf"),
        ("https://dichvucong.gov.vn", "dichvucong.gov.vn/"),
        ("http://user:pass@dichvucong.gov.vn:8080/p?q=1", "dichvucong.gov.vn/p"),
        ("mailto:a@b.vn", None),
        ("javascript:alert(1)", None),
        ("https://", None),
        ("http://[::1", None),
    ],
)
def test_a_link_reports_its_host_and_path_only(url: str, value: str | None) -> None:
    assert report_value(url, "laichau.gov.vn") == value


def test_long_link_values_are_cut_to_300_bytes_of_utf8() -> None:
    value = report_value("https://a.vn/" + "đ" * 400, None)
    assert value is not None and len(value.encode()) <= 300 and value.endswith("...")


def test_event_slots_are_stable_and_bounded() -> None:
    names = [f"event {i}" for i in range(200)]
    slots = {event_slot(name)[0] for name in names}
    assert slots == set(range(EVENT_SLOTS))
    assert event_slot("download") == event_slot("download")
    assert event_slot("download")[1] != event_slot("outbound")[1]
