"""The threads sockets' database work runs in: the one database thread and the posting pool,
both with a lighter connection upkeep than Channels' (a ping only after a second idle).

The upkeep hooks into asgiref's worker thread and reads Django's connection flags through
chat.realtime.internals (the one module that touches those private internals).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from django.db import connections

from chat.realtime import internals

# A connection that answered a query this recently is not pinged before the next batch.
HEALTH_CHECK_GRACE_SECONDS = 1.0


def _recycle_connections() -> None:
    """Django's `close_old_connections` for the posting threads, without its ping per call.

    With CONN_HEALTH_CHECKS every call through `database_sync_to_async` begins with a
    `SELECT 1`: under load that is one more round trip per batch, for a connection that
    answered a moment ago. Here a connection idle for longer than the grace is pinged as
    before; a connection with errors is pinged and replaced (Django's own rule), and one past
    its CONN_MAX_AGE is closed. A database restarted under load costs the batch that finds
    out an `unavailable` answer, which the client retries (docs/reliability.md).
    """
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        internals.recycle_if_unusable_or_obsolete(connection)
        used_at = getattr(connection, "phare_used_at", -math.inf)
        if internals.is_connected(connection) and now - used_at < HEALTH_CHECK_GRACE_SECONDS:
            internals.skip_next_health_check(connection)


def _mark_healthy() -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if internals.is_connected(connection) and not internals.has_errors(connection):
            connection.phare_used_at = now


class PostingSyncToAsync(internals.SyncToAsyncAroundCall):
    """`database_sync_to_async` with the lighter connection upkeep above."""

    def before_call(self) -> None:
        _recycle_connections()

    def after_call(self) -> None:
        _mark_healthy()
        _recycle_connections()


def database_sync_to_async(func: Callable) -> Callable:
    """Channels' `database_sync_to_async` (the one thread-sensitive database thread) with the
    connection upkeep above, for the consumer's other database calls.

    Channels' version pings PostgreSQL (`CONN_HEALTH_CHECKS`) before every call: under a wave
    of connections (a server restart, the benchmark's 1,000 clients) each socket's admission,
    session and room join made several such calls in a row on the one thread, and the pings
    were a tenth of that thread's time (py-spy, docs/benchmarks.md).
    """
    return PostingSyncToAsync(func, thread_sensitive=True)


# Posting threads per server process (direct messages, and what a room batch on the event loop
# writes through the ORM), each with its own database connection. A pool, because in the one
# thread-sensitive database thread the waits on PostgreSQL's commit and on Redis queued behind
# each other across every socket: S2 posted about 80 messages/s that way (docs/benchmarks.md).
# Eight lets those waits overlap within a process's database connections; other sizes were not
# measured, and nothing an operator knows about their deployment would choose another.
POST_THREADS = 8
_pool: ThreadPoolExecutor | None = None


def in_pool(func: Callable) -> Callable:
    """Run a message-posting service in the posting pool rather than the one database thread.

    Posting spends much of its time waiting: on PostgreSQL's commit and on Redis for the
    rate-limit buckets. In the single thread-sensitive database thread those waits queue one
    behind another across every socket of the process; a small pool (`POST_THREADS`)
    lets them overlap (docs/benchmarks.md). The services are self-contained (their own
    transactions), and each socket still handles one frame at a time.
    """
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=POST_THREADS, thread_name_prefix="phare-post")
    return PostingSyncToAsync(func, thread_sensitive=False, executor=_pool)


# Threads for what a socket asks of the database when it opens and joins its rooms
# (`in_connect_pool`), each with its own database connection. In a reconnect storm (a server
# restarted: every client of the process comes back at once) those calls queued one behind
# another on the one database thread, which spent about 60% of its time waiting on
# PostgreSQL's answers (py-spy, docs/reliability.md "Reconnect storm"); in a few threads the
# waits overlap. Apart from the posting pool, so that posts never wait behind a storm's
# joins. Four: measured against the one thread; other sizes were not measured.
CONNECT_THREADS = 4
_connect_pool: ThreadPoolExecutor | None = None


def in_connect_pool(func: Callable) -> Callable:
    """Run a socket's opening (`chat.realtime.consumers._open_connection`) or a room join in
    the connect pool rather than the one database thread. The calls are self-contained (their
    own transactions), and each socket still handles one frame at a time."""
    global _connect_pool
    if _connect_pool is None:
        _connect_pool = ThreadPoolExecutor(max_workers=CONNECT_THREADS, thread_name_prefix="phare-connect")
    return PostingSyncToAsync(func, thread_sensitive=False, executor=_connect_pool)
