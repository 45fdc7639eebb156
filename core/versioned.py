"""Operator policy kept in each process and reloaded when an operator changes it.

Three policies work this way (the contact matrix, the rate-limit numbers, the screening
snapshot): built from database rows, read on hot paths, changed rarely. Each process keeps
its copy and asks the shared cache for the policy's version at most every `recheck` seconds;
a change bumps the version, so every process reloads within that time.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from typing import Any, Callable, ClassVar, Generic, TypeVar

import redis
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


class VersionedPolicy(Generic[T]):
    """`load(version)` builds the policy; `get()` returns it, reloaded after a `bump()` in
    any process. When the shared cache is unreachable the copy in hand is kept (or loaded
    from the database): a cache outage must not stop screening or limits."""

    _every: ClassVar[weakref.WeakSet[VersionedPolicy[Any]]] = weakref.WeakSet()

    def __init__(self, version_key: str, load: Callable[[Any], T], recheck: float = 2.0) -> None:
        self.version_key = version_key
        self.load = load
        self.recheck = recheck
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version: Any = None
        self._checked_at = -math.inf  # never: time.monotonic() may be small after a boot
        VersionedPolicy._every.add(self)

    @classmethod
    def forget_every_copy(cls) -> None:
        """Drop this process's copy of every policy (tests: the rows a test changed were
        rolled back, and the next test must not read them for `recheck` seconds more)."""
        for policy in list(cls._every):
            policy.forget()

    def get(self) -> T:
        now = time.monotonic()
        with self._lock:
            if self._value is not None and now - self._checked_at < self.recheck:
                return self._value
        try:
            version = cache.get(self.version_key, 0)
        except redis.RedisError:
            version = self._version
        with self._lock:
            if self._value is None or self._version != version:
                self._value = self.load(version)
                self._version = version
            self._checked_at = now
            return self._value

    def fresh_for(self, seconds: float) -> bool:
        """True when `get` will answer from the copy in hand, without asking the cache, for
        at least `seconds` more (code on an event loop, which may not wait on I/O, refreshes
        in a thread first when this is False)."""
        with self._lock:
            return self._value is not None and time.monotonic() - self._checked_at < self.recheck - seconds

    def bump(self) -> None:
        """Make every process reload (call after changing the rows).

        Inside a transaction (an admin view, a service's atomic block) the version moves
        again once it commits: another process that reloads in between reads the rows as
        they were before the change, under the new version, and would otherwise keep that
        stale copy until the next change."""
        self._bump_now()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self._bump_now)

    def _bump_now(self) -> None:
        try:
            try:
                cache.incr(self.version_key)
            except ValueError:
                cache.set(self.version_key, 1, None)
        except redis.RedisError:
            logger.warning("policy version %s not bumped: cache unreachable", self.version_key)
        self.forget()

    def forget(self) -> None:
        """Drop this process's copy (tests; the next `get` reloads)."""
        with self._lock:
            self._value = None
            self._version = None
            self._checked_at = -math.inf
