"""Fixtures for the security suite: limits raised out of the way, a socket kept across examples."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine, Iterator

import pytest


@pytest.fixture
def generous_limits(db) -> Iterator[None]:
    """Rate limits far above what a fuzzing run sends, so that what is tested is the parser
    and the services, not the flood guard (tests/reliability has the flood test)."""
    try:
        from accounts import throttling
        from accounts.models import RateLimitRule
    except ImportError:  # before the rate-limit work lands there is nothing to raise
        yield
        return
    for name in throttling.DEFAULT_RATES:
        RateLimitRule.objects.update_or_create(name=name, defaults={"limit": 1_000_000, "period_seconds": 1})
    throttling.bump_policy_version()
    throttling.reset_local_state()
    yield
    RateLimitRule.objects.all().delete()
    throttling.bump_policy_version()
    throttling.reset_local_state()


class LoopThread:
    """An event loop in a thread, so that synchronous hypothesis tests can drive one
    WebsocketCommunicator (bound to this loop) across all their examples."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.stop()
