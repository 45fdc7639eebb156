"""Fixtures shared by the rate-limit tests of accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest


def run_at_once(work: Callable[[Any], None], inputs: Iterable[Any]) -> None:
    """`work(x)` for every x, each in a thread of its own, all started before any is waited for."""
    threads = [threading.Thread(target=work, args=(x,)) for x in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def cache_down(settings):
    """The cache django-ratelimit counts in is unreachable (a Redis nobody listens on)."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit_down": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": "redis://127.0.0.1:9/0",
                           "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    }
    settings.RATELIMIT_USE_CACHE = "ratelimit_down"
