from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache

from accounts.age_assurance import AssuranceError
from accounts.age_assurance.nonces import consume_nonce, issue_nonce
from tests.accounts.conftest import run_at_once

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _code(fn, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AssuranceError) as err:
        fn(**kwargs)
    return err.value.code


def test_a_nonce_is_used_once(store: LocMemCache) -> None:
    nonce, expires_at = issue_nonce(store=store, session_key="s1", now=NOW)
    assert expires_at == NOW + timedelta(seconds=300)
    assert len(nonce) >= 43
    consume_nonce(store=store, session_key="s1", nonce=nonce, now=NOW)
    assert _code(consume_nonce, store=store, session_key="s1", nonce=nonce, now=NOW) == (
        "token_nonce_replayed"
    )


def test_nonces_are_unique(store: LocMemCache) -> None:
    nonces = {issue_nonce(store=store, session_key="s1")[0] for _ in range(50)}
    assert len(nonces) == 50


def test_a_nonce_is_bound_to_its_session(store: LocMemCache) -> None:
    nonce, _ = issue_nonce(store=store, session_key="s1", now=NOW)
    assert _code(consume_nonce, store=store, session_key="s2", nonce=nonce, now=NOW) == (
        "token_nonce_invalid"
    )
    # The failed attempt from another session did not use it up.
    consume_nonce(store=store, session_key="s1", nonce=nonce, now=NOW)


def test_unknown_and_malformed_nonces_are_invalid(store: LocMemCache) -> None:
    assert _code(consume_nonce, store=store, session_key="s1", nonce="x" * 43) == (
        "token_nonce_invalid"
    )
    for bad in ["", "short", "a b c d e f g h i j k l", "é" * 40, None, 42]:
        assert _code(consume_nonce, store=store, session_key="s1", nonce=bad) == (
            "token_nonce_invalid"
        )


def test_an_expired_nonce_is_invalid(store: LocMemCache) -> None:
    nonce, expires_at = issue_nonce(store=store, session_key="s1", ttl_seconds=60, now=NOW)
    assert (
        _code(consume_nonce, store=store, session_key="s1", nonce=nonce, now=expires_at)
        == "token_nonce_invalid"
    )


def test_an_expired_nonce_is_gone_from_the_store() -> None:
    # The store's own timeout also ends it (real clock: LocMemCache has no injectable time).
    cache = LocMemCache("age-assurance-expiry", {})
    nonce, _ = issue_nonce(store=cache, session_key="s1", ttl_seconds=1)
    time.sleep(1.1)
    assert _code(consume_nonce, store=cache, session_key="s1", nonce=nonce) == (
        "token_nonce_invalid"
    )


class RacingStore:
    """Holds every consumer at its first read until all have read: the worst interleaving, so
    only an atomic add can keep the nonce single-use."""

    def __init__(self, inner: Any, barrier: threading.Barrier) -> None:
        self.inner = inner
        self.barrier = barrier
        self.seen: set[int] = set()

    def get(self, key: str, default: object = None) -> object:
        value = self.inner.get(key, default)
        if threading.get_ident() not in self.seen:
            self.seen.add(threading.get_ident())
            self.barrier.wait(timeout=5)
        return value

    def set(self, *args: object, **kwargs: object) -> object:
        return self.inner.set(*args, **kwargs)  # type: ignore[arg-type]

    def add(self, *args: object, **kwargs: object) -> bool:
        return self.inner.add(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, key: str) -> object:
        return self.inner.delete(key)


def _consume_at_once(stores: list[Any], *, session_key: str, nonce: str) -> list[str]:
    """One consumer per store, all at once: their outcomes ("ok" or the error code), sorted."""
    outcomes: list[str] = []

    def consume(store: Any) -> None:
        try:
            consume_nonce(store=store, session_key=session_key, nonce=nonce)
            outcomes.append("ok")
        except AssuranceError as err:
            outcomes.append(err.code)

    run_at_once(consume, stores)
    return sorted(outcomes)


def test_concurrent_consumers_get_exactly_one_success(store: LocMemCache) -> None:
    nonce, _ = issue_nonce(store=store, session_key="s1")
    racing = RacingStore(store, threading.Barrier(8))
    outcomes = _consume_at_once([racing] * 8, session_key="s1", nonce=nonce)
    assert outcomes == ["ok"] + ["token_nonce_replayed"] * 7


def test_a_nonce_needs_a_session(store: LocMemCache) -> None:
    with pytest.raises(ValueError):
        issue_nonce(store=store, session_key="")


def test_store_holds_no_raw_session_key_or_nonce(store: LocMemCache) -> None:
    nonce, _ = issue_nonce(store=store, session_key="very-secret-session-key", now=NOW)
    keys = " ".join(store._cache)  # type: ignore[attr-defined]
    assert "very-secret-session-key" not in keys and nonce not in keys


def _redis_caches(count: int) -> list[Any]:
    """Separate RedisCache clients (own connection pools, like separate processes), or skip."""
    url = os.environ.get("PHARE_TEST_REDIS_URL")
    if not url:
        pytest.skip("PHARE_TEST_REDIS_URL not set")
    from django.core.cache.backends.redis import RedisCache

    caches = [RedisCache(url, {"KEY_PREFIX": "phare-test-nonces"}) for _ in range(count)]
    try:
        caches[0].get("ping")
    except Exception as exc:  # connection refused, unknown host...
        pytest.skip(f"Redis not reachable: {exc}")
    return caches


def test_single_use_holds_across_redis_clients() -> None:
    clients = _redis_caches(8)
    nonce, _ = issue_nonce(store=clients[0], session_key="s-redis")
    barrier = threading.Barrier(len(clients))
    racing = [RacingStore(client, barrier) for client in clients]
    outcomes = _consume_at_once(racing, session_key="s-redis", nonce=nonce)
    assert outcomes == ["ok"] + ["token_nonce_replayed"] * 7
