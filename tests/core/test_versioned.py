"""core.versioned: operator policy cached per process, reloaded after a change."""

from __future__ import annotations

from unittest import mock

import pytest
import redis

from core.versioned import VersionedPolicy


def counting_loader():
    loads = []

    def load(version):
        loads.append(version)
        return {"built": len(loads), "version": version}

    return load, loads


def test_loaded_once_then_reused_until_the_version_changes():
    load, loads = counting_loader()
    policy = VersionedPolicy("test:versioned:a", load, recheck=0.0)
    first = policy.get()
    assert policy.get() is first and len(loads) == 1
    policy.bump()
    assert policy.get()["built"] == 2 and loads[-1] == 1


def test_a_bump_in_another_process_is_seen_after_the_recheck_interval():
    load, loads = counting_loader()
    here = VersionedPolicy("test:versioned:b", load, recheck=3600.0)
    elsewhere = VersionedPolicy("test:versioned:b", lambda version: None)
    here.get()
    elsewhere.bump()  # another process: the shared version moves
    assert here.get()["built"] == 1  # not asked again within the interval
    here._checked_at -= here.recheck + 1  # the interval has passed (whatever the clock's origin)
    assert here.get()["built"] == 2


def test_an_unreachable_cache_keeps_the_copy_in_hand():
    load, loads = counting_loader()
    policy = VersionedPolicy("test:versioned:c", load, recheck=0.0)
    first = policy.get()
    with mock.patch("core.versioned.cache.get", side_effect=redis.ConnectionError("down")):
        assert policy.get() is first
    with mock.patch("core.versioned.cache.incr", side_effect=redis.ConnectionError("down")):
        policy.bump()  # logged, and this process reloads from the database
    with mock.patch("core.versioned.cache.get", side_effect=redis.ConnectionError("down")):
        assert policy.get()["built"] == 2


@pytest.mark.django_db
def test_a_bump_inside_a_transaction_is_repeated_after_commit(django_capture_on_commit_callbacks):
    """A process that reloads between the bump and the commit reads the rows as they were,
    under the new version: the version moves again at commit so that it reloads once more."""
    from django.core.cache import cache

    load, loads = counting_loader()
    policy = VersionedPolicy("test:versioned:d", load, recheck=0.0)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        policy.bump()
    version_before_commit = cache.get("test:versioned:d")
    stale = policy.get()  # what another process would load before the commit
    for callback in after_commit:
        callback()
    assert cache.get("test:versioned:d") == version_before_commit + 1
    assert policy.get() is not stale
