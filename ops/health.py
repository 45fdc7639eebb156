"""Liveness and readiness: is the process up, and can it serve (PostgreSQL, Redis, layer)?"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections

logger = logging.getLogger("phare.health")

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]  # name -> "ok", "skipped" or "error: <ExceptionClass>"

    def as_dict(self) -> dict[str, object]:
        return {"status": "ok" if self.ready else "unavailable", "checks": self.checks}


def _check_database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # A broken connection must not be reused by the next request on this thread.
        try:
            connection.close()
        except Exception:  # closing a dead connection may itself fail; nothing left to do
            pass
        raise


async def _check_redis() -> bool:
    """False when Phare runs without Redis (embedded default)."""
    url = settings.REDIS_URL
    if not url:
        return False
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return True


async def _check_channel_layer() -> None:
    """A message round trip through a group, the path every room message takes."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    group = f"phare.readyz.{uuid.uuid4().hex}"
    channel = await layer.new_channel("readyz")
    try:
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "readyz.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "readyz.ping":
            raise RuntimeError("channel layer returned another message")
    finally:
        try:
            await layer.group_discard(group, channel)
        finally:
            forget = getattr(layer, "forget", None)  # layers that keep per-channel state
            if forget is not None:
                forget(channel)


async def _run(name: str, check) -> tuple[str, str]:
    try:
        result = await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means not ready; the class name says which kind
        logger.warning("readiness check failed", extra={"event": "readyz.failed", "check": name,
                                                        "error": type(exc).__name__})
        return name, "error: " + type(exc).__name__
    return name, "skipped" if result is False else "ok"


async def check_readiness() -> Readiness:
    results = await asyncio.gather(
        _run("database", sync_to_async(_check_database, thread_sensitive=True)),
        _run("redis", _check_redis),
        _run("channel_layer", _check_channel_layer),
    )
    checks = dict(results)
    return Readiness(ready=all(v in ("ok", "skipped") for v in checks.values()), checks=checks)
