"""Fixtures shared by the rate-limit tests of accounts."""

from __future__ import annotations

import pytest


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
