"""The shared token bucket on a real Redis: atomic under concurrency, one count for every
client (as for every server process), Redis' clock, and the join-wave log."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
import redis

from accounts import throttling

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("PHARE_TEST_REDIS_URL", "")


@pytest.fixture
def redis_url(settings) -> str:
    if not REDIS_URL:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("PHARE_TEST_REDIS_URL is required in CI")
        pytest.skip("PHARE_TEST_REDIS_URL not set")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    settings.PHARE_RATE_LIMIT_REDIS_URL = REDIS_URL
    return REDIS_URL


def key() -> str:
    return f"phare:rl:test:{uuid.uuid4().hex}"


def test_concurrent_takers_on_separate_clients_never_exceed_the_limit(redis_url):
    # Eight limiters = eight connection pools, as eight server processes would have.
    limiters = [throttling.RedisLimiter(redis_url) for _ in range(8)]
    bucket = key()
    allowed = []
    lock = threading.Lock()

    def take(limiter):
        for _ in range(25):
            decision = limiter.hit(bucket, limit=30, period=3600)
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=take, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 200
    assert sum(allowed) == 30


def test_refusal_tells_when_to_retry_and_the_bucket_refills(redis_url):
    limiter = throttling.RedisLimiter(redis_url)
    bucket = key()
    assert limiter.hit(bucket, limit=2, period=1).allowed
    assert limiter.hit(bucket, limit=2, period=1).allowed
    refused = limiter.hit(bucket, limit=2, period=1)
    assert not refused.allowed and refused.retry_after == 1 and refused.backend == "redis"
    time.sleep(0.55)
    assert limiter.hit(bucket, limit=2, period=1).allowed


def test_bucket_keys_expire_once_full_again(redis_url):
    limiter = throttling.RedisLimiter(redis_url)
    bucket = key()
    limiter.hit(bucket, limit=5, period=10)
    ttl_ms = redis.Redis.from_url(redis_url).pttl(bucket)
    assert 0 < ttl_ms <= 3000  # 2 s for the token, plus a second of margin


@pytest.mark.django_db
def test_check_uses_the_shared_bucket_when_configured(redis_url):
    subject = uuid.uuid4().hex
    decision = throttling.hit("room_message_account", subject=subject)
    assert decision.backend == "redis"


@pytest.mark.django_db
def test_recent_distinct_members_are_counted_once(redis_url):
    subject = uuid.uuid4().hex
    counts = [throttling.count_recent("test_wave", subject=subject, member=m, window=60)
              for m in (1, 2, 2, 3)]
    assert counts == [1, 2, 2, 3]
    throttling.forget_recent("test_wave", subject=subject)
    assert throttling.count_recent("test_wave", subject=subject, member=9, window=60) == 1
