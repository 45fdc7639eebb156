"""Group commit for room messages: the posts that arrive while others are being stored are
stored together, in one batch (chat.services.post_room_messages).

Nothing waits on purpose: a post that finds a free slot starts a batch at once, alone if it
is alone. Under load every slot is busy, posts gather behind them, and each batch shares one
Redis round trip for every rate-limit bucket and one INSERT (in a transaction only when a
flag is written with it; docs/benchmarks.md). On PostgreSQL a batch runs on the event loop
(`post_room_messages_on_loop`); otherwise, or with `PHARE_POST_ON_LOOP` off, in a posting
thread. The number of batches in flight is `PHARE_POST_BATCHES` (`batches_in_flight`: by
default one on the loop, two in threads, where one can wait on PostgreSQL or Redis while
another is screened).

A sender's messages keep their order: with one batch in flight (the event loop's default)
batches finish in the order their posts arrived, so the consumer hands a socket's posts over
without waiting for the last one's answer (`RoomPostBatcher.keeps_order`); with more, the
consumer awaits each answer before reading the socket's next frame.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections

from accounts import throttling
from core.errors import PhareError
from chat import events, loopdb, services
from chat.models import Message
from moderation import gate


class RoomPostBatcher:
    """Collects room posts on one event loop and stores them in batches."""

    def __init__(self, *, in_flight: int, max_batch: int, run) -> None:
        self.in_flight = max(1, in_flight)
        self.max_batch = max(1, max_batch)
        self.run = run  # async callable: list[RoomPost] -> list[PostResult | PhareError]
        self.pending: list[tuple[services.RoomPost, asyncio.Future]] = []
        self.busy = 0
        self.tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    @property
    def keeps_order(self) -> bool:
        """Batches finish in the order their posts arrived (one batch in flight), so a socket
        may hand over its next post before the last is answered (chat.consumers): its
        messages are still stored, published and answered in the order it sent them."""
        return self.in_flight == 1

    def submit(self, post: services.RoomPost) -> asyncio.Future:
        """Queue a post now; the future gets its PostResult or PhareError (`outcome`)."""
        future = asyncio.get_running_loop().create_future()
        self.pending.append((post, future))
        if self.busy < self.in_flight:
            self.busy += 1
            # A fresh context: the batch belongs to no one socket (its logs carry no one's
            # connection id; each post's explanations are in its own sender's language).
            task = asyncio.get_running_loop().create_task(self._drain(), context=contextvars.Context())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return future

    @staticmethod
    def outcome(value: Any) -> services.PostResult:
        if isinstance(value, PhareError):
            raise value
        return value

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch = self.pending[: self.max_batch]
                del self.pending[: self.max_batch]
                try:
                    outcomes: list[Any] = await self.run([post for post, _ in batch])
                except Exception as exc:  # noqa: BLE001 - told to every sender of the batch
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), outcome in zip(batch, outcomes):
                    if not future.done():  # a socket that closed meanwhile stops waiting
                        future.set_result(outcome)
        finally:
            self.busy -= 1


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
        connection.close_if_unusable_or_obsolete()
        used_at = getattr(connection, "phare_used_at", -math.inf)
        if connection.connection is not None and now - used_at < HEALTH_CHECK_GRACE_SECONDS:
            connection.health_check_done = True


def _mark_healthy() -> None:
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.errors_occurred:
            connection.phare_used_at = now


class PostingSyncToAsync(SyncToAsync):
    """`database_sync_to_async` with the lighter connection upkeep above."""

    def thread_handler(self, loop, *args, **kwargs):
        _recycle_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
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


_pool: ThreadPoolExecutor | None = None


def in_pool(func: Callable) -> Callable:
    """Run a message-posting service in the posting pool rather than the one database thread.

    Posting spends much of its time waiting: on PostgreSQL's commit and on Redis for the
    rate-limit buckets. In the single thread-sensitive database thread those waits queue one
    behind another across every socket of the process; a small pool (`PHARE_POST_THREADS`)
    lets them overlap (docs/benchmarks.md). The services are self-contained (their own
    transactions), and each socket still handles one frame at a time.
    """
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=settings.PHARE_POST_THREADS, thread_name_prefix="phare-post")
    return PostingSyncToAsync(func, thread_sensitive=False, executor=_pool)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomPostBatcher] = weakref.WeakKeyDictionary()


def batches_in_flight(on_loop: bool) -> int:
    """`PHARE_POST_BATCHES`, or when it is 0 the measured default for where batches run.

    In posting threads two batches did better than one: one waits on PostgreSQL or Redis
    while the other is screened. On the event loop a waiting batch holds nothing up anyway,
    and both would share the loop's one database connection; there one batch in flight gave
    larger batches, less CPU per delivery and a lower p99 in alternated runs
    (docs/benchmarks.md).
    """
    if settings.PHARE_POST_BATCHES > 0:
        return settings.PHARE_POST_BATCHES
    return 1 if on_loop else 2


def room_posts() -> RoomPostBatcher:
    """The room-post batcher of the running event loop (tests run one loop per test)."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        on_loop = settings.PHARE_POST_ON_LOOP and loopdb.available()
        found = _batchers[loop] = RoomPostBatcher(
            in_flight=batches_in_flight(on_loop), max_batch=settings.PHARE_POST_BATCH_MAX,
            run=post_room_messages_on_loop if on_loop else in_pool(services.post_room_messages),
        )
    return found


# A batch on the loop must not find a policy due for its recheck (a cache read, perhaps a
# reload from the database): with less than this left, the policies are refreshed in a
# posting thread first.
POLICY_MARGIN_SECONDS = 0.5


async def post_room_messages_on_loop(
        posts: list[services.RoomPost]) -> list[services.PostResult | PhareError]:
    """`services.post_room_messages` on the event loop, phase by phase (`services.RoomBatch`).

    The loop does the computation (checks, the gate) and awaits the two trips of the usual
    batch: the rate-limit script on Redis (`throttling.check_chains_async`) and the INSERT on
    PostgreSQL (`chat.loopdb`), so no thread and no hand-over of the interpreter lock is
    involved. What is rarer and writes with Django's ORM goes to a posting thread as before:
    refreshing a policy that is due, slow mode (the shared cache), recording an escalated
    refusal, and a batch that stores a flag or a reassurance requirement with its messages
    (one transaction). Each post gets the same checks, in the same order, with the same
    answers as on the thread path.
    """
    fresh = throttling.policy_fresh_for(POLICY_MARGIN_SECONDS) and gate.snapshot_fresh_for(POLICY_MARGIN_SECONDS)
    if not fresh:
        await in_pool(_refresh_policies)()
    batch = services.RoomBatch(posts)
    batch.check_open()
    batch.take_bucket_answers(await throttling.check_chains_async(batch.bucket_chains()))
    if batch.needs_slow_mode():
        await in_pool(batch.check_slow_mode)()
    batch.screen()
    if batch.needs_refusals_recorded():
        await in_pool(batch.record_refusals)()
    if not batch.verdicts:
        return batch.outcomes
    if batch.writes_beside_messages():
        await in_pool(services.store_room_messages)(batch)
        return batch.outcomes
    sql, params = Message.objects.rows_statement(batch.new_rows(), connections[loopdb.ALIAS])
    events.send_many_to_rooms_now(batch.finish_inserted(await loopdb.fetch_column(sql, params)))
    batch.count_stored()
    return batch.outcomes


def _refresh_policies() -> None:
    throttling.current_policy()
    gate.current_snapshot()
