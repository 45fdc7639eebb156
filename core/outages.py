"""PostgreSQL or Redis down for a moment: an outage to retry, never a 500.

- HTTP: the project's 500 handler (which Django calls for whatever a view or a middleware
  raised) answers 503 `unavailable` with Retry-After for an outage (`outage_error`).
- WebSocket: `WebSocketOutageGuard` closes a socket whose handshake (the session and account,
  read before the consumer runs) or handling met an outage with 1013 "try again later" and the
  reason `unavailable`, instead of the server's HTTP 500 refusal or 1011.
- A change stored in PostgreSQL whose live notices need Redis is answered as stored: the
  notices are sent after commit and best-effort (`chat.realtime.events`, `robust=True`), so
  one that cannot be sent is logged and lost (the clients' next read of the state shows the
  change), rather than the client being told that a stored change failed.
"""

from __future__ import annotations

import logging
from typing import Any

from django import db

from core.errors import PhareError

try:  # Redis is optional: the embedded defaults run without it.
    from redis import exceptions as redis_exceptions
except ImportError:  # pragma: no cover - redis is a dependency of every deployment with REDIS_URL
    redis_exceptions = None

logger = logging.getLogger(__name__)

# What a client is told to wait: PostgreSQL restarting or Redis coming back takes seconds.
RETRY_AFTER_SECONDS = 5
# "Try again later" (RFC 6455 §7.4.1): clients reconnect, as after any other close.
CLOSE_UNAVAILABLE = 1013


def outage_reason(error: BaseException | None) -> str | None:
    """`database` or `redis` when `error` says that one of them cannot be reached; None for
    anything else (a bug stays a 500)."""
    if isinstance(error, (db.OperationalError, db.InterfaceError)):
        return "database"
    if redis_exceptions is not None and isinstance(
            error, (redis_exceptions.ConnectionError, redis_exceptions.TimeoutError)):
        return "redis"
    return None


def outage_error(error: BaseException | None) -> PhareError | None:
    """The 503 `unavailable` (with `reason` and `retry_after`) to answer for an outage."""
    reason = outage_reason(error)
    if reason is None:
        return None
    return PhareError("unavailable", retry_after=RETRY_AFTER_SECONDS, extra={"reason": reason})


class WebSocketOutageGuard:
    """ASGI middleware for WebSockets, outside the session and authentication middleware:
    an outage raised by the application (reading the session or account at the handshake,
    or later) closes the socket with 1013 and the reason `unavailable`; the client reconnects.
    Any other error goes on to the server as before."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        state = {"connect_received": False, "accepted": False, "closed": False}

        async def tracked_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "websocket.connect":
                state["connect_received"] = True
            elif message["type"] == "websocket.disconnect":
                state["closed"] = True
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        try:
            await self.application(scope, tracked_receive, tracked_send)
        except Exception as error:
            reason = outage_reason(error)
            if reason is None or state["closed"]:
                raise
            logger.warning("websocket closed during an outage (%s): %r", reason, error)
            await self._close_unavailable(receive, send, state)

    @staticmethod
    async def _close_unavailable(receive: Any, send: Any, state: dict[str, bool]) -> None:
        if not state["accepted"]:
            # A close before the accept is an HTTP 403 that browsers cannot read: accept,
            # then close with a code the client can act on.
            if not state["connect_received"] and (await receive())["type"] != "websocket.connect":
                return  # the client left before its handshake was answered
            await send({"type": "websocket.accept"})
        try:
            await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE, "reason": "unavailable"})
        except (OSError, RuntimeError):
            pass  # the socket closed meanwhile (the server refuses a send after a close)
