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
from accounts.models import RateLimitRule
from tests.accounts.conftest import run_at_once

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

    run_at_once(take, limiters)
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


@pytest.mark.django_db
def test_chains_in_one_round_trip_stop_at_their_first_refusal(redis_url, settings):
    throttling.reset_local_state()
    subject = uuid.uuid4().hex
    room = throttling.Bucket("room_message_room", "room-" + subject)
    first = throttling.Bucket("room_message_account", "a-" + subject)
    second = throttling.Bucket("room_message_account", "b-" + subject)
    RateLimitRule.objects.update_or_create(name="room_message_room", defaults={"limit": 1, "period_seconds": 600})
    throttling.bump_policy_version()
    client = redis.Redis.from_url(redis_url)
    key_of = lambda bucket: bucket.resolve(throttling.current_policy())[0]  # noqa: E731
    # The room has one token: the first chain takes it; the second takes its author's token,
    # then the room refuses it.
    answers = throttling.check_chains([[first, room], [second, room]])
    assert answers[0] is None
    assert answers[1] is not None and answers[1].code == "rate_limited"
    assert answers[1].extra["reason"] == "room_message_room"
    assert client.exists(key_of(second))  # the second author's token was taken before the room refused
    # A chain refused by its first bucket takes nothing after it.
    RateLimitRule.objects.update_or_create(name="room_message_account", defaults={"limit": 1, "period_seconds": 600})
    throttling.bump_policy_version()
    fresh_room = throttling.Bucket("room_message_room", "fresh-" + subject)
    assert throttling.check_chains([[first, fresh_room]])[0].extra["reason"] == "room_message_account"
    assert not client.exists(key_of(fresh_room))


@pytest.mark.django_db
def test_chains_fall_back_to_the_outage_rule_when_redis_is_unreachable(settings):
    throttling.reset_local_state()
    settings.PHARE_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    subject = uuid.uuid4().hex
    answers = throttling.check_chains([
        [throttling.Bucket("room_message_account", subject)],  # outage rule: count locally
        [throttling.Bucket("dm_request_day", subject)],  # outage rule: refuse
    ])
    assert answers[0] is None
    assert answers[1] is not None and answers[1].code == "unavailable"
    throttling.reset_local_state()
