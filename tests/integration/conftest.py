"""Fixtures shared by the integration tests (the rest are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import reset_warm_state


@pytest.fixture
def caps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two visitor items per address in a minute: one before the shared count is asked, and
    one the count admits (the cap is per minute; every hit here is in the same minute)."""
    from counters.settings import settings

    monkeypatch.setenv("NEW_VISITORS_PER_ADDRESS_MINUTE", "1")
    monkeypatch.setenv("UNCHECKED_VISITORS_PER_ADDRESS", "1")
    settings.cache_clear()
    reset_warm_state()
    yield
    monkeypatch.undo()
    settings.cache_clear()
