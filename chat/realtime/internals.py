"""Every place where Phare relies on a library's private internals, in one module.

The rest of the code calls the functions and classes here; nothing else imports a private
name of uvicorn, websockets, asgiref, Channels, Django or redis-py. Each reliance was bought
with a measured gain (docs/benchmarks.md, "What the figures decided"); the versions it was
checked against are `CHECKED_AGAINST`, the ones pinned in pyproject.toml, and
tests/chat/realtime/test_internals.py fails, saying what to re-check, as soon as an installed
version differs or one of the attributes below is gone or changed shape.

1. uvicorn's WebSocket connection (`uvicorn.protocols.websockets.websockets_sansio_impl.
   WebSocketsSansIOProtocol`, its attributes `handshake_complete`, `close_sent`,
   `disconnected`, `initial_response`, `writable`, `conn`, `transport`; its ASGI `send` being
   a bound method of it): `frame_connection`, `open_for_frames`, `write_frame`. An event's
   WebSocket frame is built once and written to every socket's transport: uvicorn's own
   `send` cost 5.6 µs of CPU per event besides the write, the frame path 0.5, and S2's
   ceiling in rooms of 100 on a slow machine went from 23,479 to 39,195 deliveries/s. If
   uvicorn changes: `frame_connection` finds no connection and every event goes through
   `send` (slower, still correct); or, worse, an attribute keeps its name and changes its
   meaning and a frame is written when uvicorn would not write it (after a close, during
   backpressure, with compression). tests/chat/test_frames.py runs a real uvicorn and checks
   those cases.
   `config.asgi.KeepServerSend` hands that same bound `send` to the consumer (the scope's
   `phare_server_send`): it is what lets `frame_connection` find uvicorn's connection.
2. websockets' protocol state as uvicorn holds it (`conn.state is State.OPEN`,
   `conn.extensions`): part of `open_for_frames`. If websockets changes: as in 1.
3. asgiref's `SyncToAsync.thread_handler(loop, exc_info, task_context, func, ...)`, the
   method that runs a call in the worker thread: `SyncToAsyncAroundCall` overrides it, as
   `channels.db.DatabaseSyncToAsync` does, to keep the database connections in that thread
   (chat.realtime.threads). It spares a `SELECT 1` before every database call: the pings were
   a tenth of the database thread's time while 1,000 clients connected (connecting them took
   14.5 s instead of 17.4), and one more round trip per posting batch. If asgiref changes:
   the hooks stop running (connections are no longer recycled) or calls fail.
4. Django's database wrapper: `health_check_done` and `errors_occurred` (the flags behind
   `CONN_HEALTH_CHECKS`), `close_if_unusable_or_obsolete()` and the raw `connection`
   (`skip_next_health_check`, `has_errors`, `recycle_if_unusable_or_obsolete`,
   `is_connected`), and the PostgreSQL backend's `get_connection_params()`
   (`psycopg_connection_params`: chat.loopdb opens the event loop's own connection with
   Django's settings; room batches on the loop cut the p99 near the ceiling from 154-331 ms
   to 62-66 ms). If Django changes: the ping comes back (or a broken connection is kept), or
   the loop's connection cannot be opened and room posts answer `unavailable`.
5. Django's `trans_real.parse_accept_lang_header` (the consumer reads a socket's language the
   way Django's middleware reads a request's): the same parsing and cache as Django's, not a
   second one. If Django changes: the import fails at start-up.
6. Channels' consumer: `get_handler_name` (message type to method name) and what
   `AsyncConsumer.dispatch` does, which the chat consumer's `dispatch` repeats without its
   per-message `aclose_old_connections` (a hop to the database thread for every frame and
   event: with it the textbook consumer stalled near 1,000 deliveries/s); the consumer also
   uses `base_send`, the ASGI `send` Channels keeps. If Channels changes `dispatch`, ours no
   longer does what Channels' does.
7. redis-py: nothing private. The layer uses the public client (`register_script`, `xread`,
   `xrevrange`, `aclose`); its versions are pinned all the same.

Model `_meta` and `_state` (chat/models.py, chat/admin.py) are Django's documented model API
and stay where they are used.
"""

from __future__ import annotations

from typing import Any, Callable

from asgiref.sync import SyncToAsync
from channels.consumer import get_handler_name
from django.utils.translation.trans_real import parse_accept_lang_header
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

__all__ = [
    "CHECKED_AGAINST", "SyncToAsyncAroundCall", "frame_connection", "get_handler_name",
    "has_errors", "is_connected", "open_for_frames", "parse_accept_lang_header",
    "psycopg_connection_params", "recycle_if_unusable_or_obsolete", "skip_next_health_check",
    "write_frame",
]

# The versions whose internals the functions below were checked against (pyproject.toml pins
# each of them, asgiref included although only Django and Channels use it directly).
CHECKED_AGAINST: dict[str, str] = {
    "uvicorn": "0.54.0",
    "websockets": "17.4",
    "asgiref": "3.13.0",
    "channels": "4.3.2",
    "django": "5.2.19",
    "redis": "8.1.0",
}

_OPEN = State.OPEN


# --- 1, 2: uvicorn's connection and websockets' state -------------------------------------

def frame_connection(send: Callable) -> Any | None:
    """The connection behind an ASGI `send` when events may be written to it as frames:
    uvicorn's websockets-sansio protocol, whose `send` is a bound method. Any other server, or
    a test's fake, gets None and every event goes through `send`."""
    connection = getattr(send, "__self__", None)
    return connection if isinstance(connection, WebSocketsSansIOProtocol) else None


def open_for_frames(connection: Any) -> bool:
    """A frame written now is what uvicorn's `send` would write: the handshake is done, no
    close was sent or received, the socket is not paused for backpressure (then `send` waits,
    so the writer does), and no extension (permessage-deflate) transforms frames."""
    return (connection.handshake_complete and not connection.close_sent and not connection.disconnected
            and connection.initial_response is None and connection.writable.is_set()
            and connection.conn.state is _OPEN and not connection.conn.extensions
            and not connection.transport.is_closing())


def write_frame(connection: Any, frame: bytes) -> None:
    """Write a prepared frame to the connection's transport (only when `open_for_frames`)."""
    connection.transport.write(frame)


# --- 3: asgiref's worker-thread hook -------------------------------------------------------

class SyncToAsyncAroundCall(SyncToAsync):
    """`SyncToAsync` that runs `before_call` and `after_call` in the worker thread, around
    each call (the hook `channels.db.DatabaseSyncToAsync` uses for `close_old_connections`)."""

    def before_call(self) -> None:
        pass

    def after_call(self) -> None:
        pass

    def thread_handler(self, loop, *args, **kwargs):
        self.before_call()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            self.after_call()


# --- 4: Django's database wrapper ----------------------------------------------------------

def recycle_if_unusable_or_obsolete(connection: Any) -> None:
    """Django's per-connection rule of `close_old_connections`: a connection with errors is
    pinged and replaced, one past its CONN_MAX_AGE is closed (and a health check is due)."""
    connection.close_if_unusable_or_obsolete()


def is_connected(connection: Any) -> bool:
    """The wrapper holds an open database connection."""
    return connection.connection is not None


def has_errors(connection: Any) -> bool:
    """A query on this connection failed since it was last checked."""
    return bool(connection.errors_occurred)


def skip_next_health_check(connection: Any) -> None:
    """Count the connection as checked: the next query skips `CONN_HEALTH_CHECKS`' ping."""
    connection.health_check_done = True


def psycopg_connection_params(wrapper: Any) -> dict[str, Any]:
    """The keyword arguments Django's PostgreSQL backend gives `psycopg.connect`, without its
    cursor factory (Django's cursors are synchronous)."""
    params = wrapper.get_connection_params()
    params.pop("cursor_factory", None)
    return params
