"""What a tracked link is (a file download, an outbound link) and the value it reports as.

Pure rules, shared with the widget's defaults (web/widget.js holds the same extension
list: a test keeps them equal). Only the link's host and path are reported: a query
string or fragment may carry a person's data, so it never leaves `report_value`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Plausible's default file types, plus the office, archive and e-book formats Vietnamese
# portals publish (decisions, circulars and forms as DOC/XLS/ODT, scans as TIF, ...).
DOWNLOAD_EXTENSIONS = (
    # Plausible's 26 defaults
    "pdf", "xlsx", "docx", "txt", "rtf", "csv", "exe", "key", "pps", "ppt", "pptx", "7z",
    "pkg", "rar", "gz", "zip", "avi", "mov", "mp4", "mpeg", "wmv", "midi", "mp3", "wav",
    "wma", "dmg",
    # Office and archive formats they leave out
    "doc", "xls", "odt", "ods", "odp", "odg", "xlsm", "docm", "ppsx", "tif", "tiff", "xml",
    "epub", "tar", "bz2", "xz", "apk",
)  # fmt: skip
MAX_URL_BYTES = 2048
MAX_VALUE_BYTES = 300  # a report value (see counters.aggregation.notes.MAX_VALUE_BYTES)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")


def extension_of(path: str) -> str | None:
    """A path's file extension, lower case (None if it has none)."""
    found = _EXTENSION.search(path.rsplit("/", 1)[-1])
    return found.group(1).lower() if found else None


def is_download(url: str, extensions: tuple[str, ...] = DOWNLOAD_EXTENSIONS) -> bool:
    parts = urlsplit(url)
    return extension_of(parts.path) in extensions


def report_value(url: str, page_host: str | None) -> str | None:
    """How a link reports: its path on the page's own host, else host and path; no query.

    None for what is no web link (mailto:, javascript:, a bad URL).
    """
    try:
        parts = urlsplit(url[:MAX_URL_BYTES])
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    path = parts.path or "/"
    value = path if page_host and host == page_host.lower() else host + path
    return bounded(value)


def host_of(url: str) -> str | None:
    try:
        return (urlsplit(url[:MAX_URL_BYTES]).hostname or "").lower() or None
    except ValueError:
        return None


def bounded(value: str) -> str:
    """A report value of at most MAX_VALUE_BYTES of UTF-8."""
    encoded = value.encode()
    if len(encoded) <= MAX_VALUE_BYTES:
        return value
    return encoded[: MAX_VALUE_BYTES - 3].decode(errors="ignore") + "..."
