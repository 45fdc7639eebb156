"""How the socket server runs the posting pipeline (chat.services.post) for room messages:
group commit on the event loop.

Nothing waits on purpose: a post that finds no batch in flight starts one at once, alone if
it is alone. Under load posts gather behind the batch in flight, and the next batch shares
one Redis round trip for every rate-limit bucket and one INSERT (docs/benchmarks.md).

One batch is in flight per event loop, so batches finish in the order their posts arrived
and a socket hands over its next post without waiting for the last one's answer: its
messages are still stored, published and answered in the order it sent them.

`post_on_loop` drives the pipeline's phases (`PostBatch`) on the event loop: the loop does
the computation and awaits the two trips of the usual batch, the rate-limit script on Redis
and, on PostgreSQL, the INSERT on the loop's own connection (chat.loopdb). What is rarer and
writes with Django's ORM runs in a posting thread: a policy refresh that is due, slow mode,
recording refused attempts, and a batch that writes more than its messages (a flag, a
reassurance requirement), as does every store on the embedded SQLite default.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from typing import Any

from django.db import connections

from accounts import throttling
from core.errors import PhareError
from chat import loopdb
from chat.services.post import Post, PostBatch, PostResult
from chat.realtime import events
from chat.realtime.threads import in_pool
from chat.models import Message
from moderation import gate


class RoomPostBatcher:
    """Collects room posts on one event loop and stores them in batches, one in flight."""

    def __init__(self, *, max_batch: int, run) -> None:
        self.max_batch = max(1, max_batch)
        self.run = run  # async callable: list[Post] -> list[PostResult | PhareError]
        self.pending: list[tuple[Post, asyncio.Future]] = []
        self.busy = False
        self.tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def submit(self, post: Post) -> asyncio.Future:
        """Queue a post now; the future gets its PostResult or PhareError (`outcome`)."""
        future = asyncio.get_running_loop().create_future()
        self.pending.append((post, future))
        if not self.busy:
            self.busy = True
            # A fresh context: the batch belongs to no one socket (its logs carry no one's
            # connection id; each post's explanations are in its own sender's language).
            task = asyncio.get_running_loop().create_task(self._drain(), context=contextvars.Context())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return future

    @staticmethod
    def outcome(value: Any) -> PostResult:
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
            self.busy = False


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomPostBatcher] = weakref.WeakKeyDictionary()


# Posts per batch at most: a bound on one INSERT and one Redis script call, far above what
# gathers behind a batch under load (11-31 posts at 8,000-10,000 deliveries/s in rooms of 10,
# docs/benchmarks.md); a safety bound, not a tuning point.
MAX_BATCH = 200


def room_posts() -> RoomPostBatcher:
    """The room-post batcher of the running event loop (tests run one loop per test)."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        found = _batchers[loop] = RoomPostBatcher(max_batch=MAX_BATCH, run=post_on_loop)
    return found


# A batch on the loop must not find a policy due for its recheck (a cache read, perhaps a
# reload from the database): with less than this left, the policies are refreshed in a
# posting thread first.
POLICY_MARGIN_SECONDS = 0.5


async def post_on_loop(posts: list[Post]) -> list[PostResult | PhareError]:
    """The pipeline's phases (`PostBatch`, as `chat.services.post.post_messages` runs them)
    with their trips made from the event loop: each post gets the same checks, in the same
    order, with the same answers."""
    fresh = throttling.policy_fresh_for(POLICY_MARGIN_SECONDS) and gate.snapshot_fresh_for(POLICY_MARGIN_SECONDS)
    if not fresh:
        await in_pool(_refresh_policies)()
    batch = PostBatch(posts)
    batch.check_open()
    batch.take_bucket_answers(await throttling.check_chains_async(batch.bucket_chains()))
    if batch.needs_slow_mode():
        await in_pool(batch.check_slow_mode)()
    batch.screen()
    if batch.needs_refusals_recorded():
        await in_pool(batch.record_refusals)()
    if not batch.verdicts:
        return batch.outcomes
    if not (batch.only_room_rows() and loopdb.available()):
        await in_pool(batch.store)()
        return batch.outcomes
    sql, params = Message.objects.rows_statement(batch.new_rows(), connections[loopdb.ALIAS])
    events.send_many_to_rooms_now(batch.finish_inserted(await loopdb.fetch_column(sql, params)))
    batch.count_stored()
    return batch.outcomes


def _refresh_policies() -> None:
    throttling.current_policy()
    gate.current_snapshot()
