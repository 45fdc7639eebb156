"""Group commit for room messages: the posts that arrive while others are being stored are
stored together, in one batch (chat.services.post_room_messages).

Nothing waits on purpose: a post that finds a free slot starts a batch at once, alone if it
is alone. Under load every slot is busy, posts gather behind them, and each batch shares one
Redis round trip for every rate-limit bucket and one INSERT (in a transaction only when a
flag is written with it; docs/benchmarks.md). On PostgreSQL a batch runs on the event loop
(`post_room_messages_on_loop`); otherwise in a posting thread. The number of batches in
flight is measured for each (`batches_in_flight`: one on the loop, two in threads, where one
can wait on PostgreSQL or Redis while another is screened).

A sender's messages keep their order: with one batch in flight (the event loop's default)
batches finish in the order their posts arrived, so the consumer hands a socket's posts over
without waiting for the last one's answer (`RoomPostBatcher.keeps_order`); with more, the
consumer awaits each answer before reading the socket's next frame.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from typing import Any

from django.db import connections

from accounts import throttling
from core.errors import PhareError
from chat import loopdb, services
from chat.realtime import events
from chat.realtime.threads import in_pool
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
        may hand over its next post before the last is answered (chat.realtime.consumers): its
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


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomPostBatcher] = weakref.WeakKeyDictionary()


# Room batches in flight per process, by where batches run (docs/benchmarks.md). In posting
# threads two did better than one (one waits on PostgreSQL or Redis while the other is
# screened) and no worse than four. On the event loop a waiting batch holds nothing up and
# both would share the loop's one database connection: there one gave larger batches, less CPU
# per delivery (114.5-118.6 against 123.9-125.2 µs at 8,000 deliveries/s) and a lower p99 (81-89
# against 142-144 ms) in alternated runs, and it is what keeps a socket's posts in order
# without waiting (`RoomPostBatcher.keeps_order`).
BATCHES_ON_LOOP = 1
BATCHES_IN_THREADS = 2
# Posts per batch at most: a bound on one INSERT and one Redis script call, far above what
# gathers behind a batch under load (11-31 posts at 8,000-10,000 deliveries/s in rooms of 10,
# docs/benchmarks.md); a safety bound, not a tuning point.
MAX_BATCH = 200


def batches_in_flight(on_loop: bool) -> int:
    """The measured number of batches in flight for where batches run (above)."""
    return BATCHES_ON_LOOP if on_loop else BATCHES_IN_THREADS


# Room batches run on the event loop wherever the database allows it (PostgreSQL: chat.loopdb).
# With the batch in a posting thread the p99 near the ceiling was two to five times higher in
# alternated runs (154 and 331 ms against 66 and 62 ms at 18,000 deliveries/s) for about 5 %
# less CPU per delivery (docs/benchmarks.md). False only to compare the two in development.
ON_LOOP = True


def room_posts() -> RoomPostBatcher:
    """The room-post batcher of the running event loop (tests run one loop per test)."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        on_loop = ON_LOOP and loopdb.available()
        found = _batchers[loop] = RoomPostBatcher(
            in_flight=batches_in_flight(on_loop), max_batch=MAX_BATCH,
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
