"""Shared fixtures for the age-assurance tests. Most tests need neither a database nor Django
settings; the few that read settings are marked `needs_settings` and skipped when pytest-django
is off (`-p no:django`)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pytest
from django.core.cache.backends.locmem import LocMemCache

_cache_names = count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs_settings: reads Django settings (pytest-django's settings fixture)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.pluginmanager.hasplugin("django"):
        return
    skip = pytest.mark.skip(reason="needs Django settings; run without -p no:django")
    for item in items:
        if item.get_closest_marker("needs_settings"):
            item.add_marker(skip)


@pytest.fixture
def store() -> Iterator[LocMemCache]:
    """A fresh cache of its own (LocMemCache instances with the same name share storage)."""
    cache = LocMemCache(f"age-assurance-test-{next(_cache_names)}", {})
    yield cache
    cache.clear()
