"""What sockets ask of the database when they open and join their rooms, run together when
they wait together.

After a server restart every client comes back at once, opens its socket and re-joins its
rooms. One call per socket was several queries, each compiled by the ORM on the server's CPU,
and that CPU was what the reconnect storm waited for (py-spy; docs/reliability.md,
"Reconnect storm"). Here the calls that arrive while others are being run wait for the next
batch and go to the database together: a batch of openings records its connections in one
INSERT and reads its accounts' hidden authors in one query
(`chat.realtime.consumers._open_connections`); a batch of joins reads the members'
memberships, rooms and accounts in one query and each room's history once
(`chat.services.join_rooms`). A call that waits for nobody runs alone as soon as it arrives.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from typing import Any, Callable, Generic, TypeVar

from chat import services
from chat.realtime.threads import CONNECT_THREADS, in_connect_pool
from core.errors import PhareError

Request = TypeVar("Request")
Result = TypeVar("Result")

# Calls run together at most: a bound on one query's size and on what one batch makes the
# last of its sockets wait.
MAX_BATCH = 100


class Batcher(Generic[Request, Result]):
    """Calls of `run_batch` (a list of requests → one result or PhareError each, in order) in
    the connect pool: up to CONNECT_THREADS batches in flight, and whatever arrives meanwhile
    goes into the next. One per event loop and kind of call (`for_this_loop`)."""

    def __init__(self, run_batch: Callable[[list[Request]], list[Result | PhareError]]) -> None:
        self.run_batch = run_batch
        self.waiting: list[tuple[Request, asyncio.Future]] = []
        self.running = 0

    async def call(self, request: Request) -> Result:
        """The request's result; its refusal (a PhareError) or the batch's error is raised."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append((request, future))
        if self.running < CONNECT_THREADS:
            self.running += 1
            # A context of its own: the batch belongs to no one socket (its language, the
            # connection id in log lines); refusals are translated when each socket sends them.
            loop.create_task(self._run(), context=contextvars.Context())
        return await future

    async def _run(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                try:
                    results = await in_connect_pool(self.run_batch)([request for request, _future in batch])
                except Exception as error:  # the database unavailable: each socket answers it
                    for _request, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                except BaseException:  # cancelled (the loop closing): nobody will answer
                    for _request, future in batch:
                        future.cancel()
                    raise
                for (_request, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue  # the socket went away meanwhile
                    if isinstance(result, PhareError):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.running -= 1


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Callable, Batcher]] = (
    weakref.WeakKeyDictionary())


def for_this_loop(run_batch: Callable[[list[Any]], list[Any]]) -> Batcher:
    """The running event loop's batcher of `run_batch` (one per server process; tests run one
    loop per test)."""
    loop = asyncio.get_running_loop()
    batchers = _batchers.setdefault(loop, {})
    found = batchers.get(run_batch)
    if found is None:
        found = batchers[run_batch] = Batcher(run_batch)
    return found


def join_rooms(joins: list[tuple[Any, str]]) -> list[Any]:
    """`chat.services.join_rooms` as a batch function."""
    return services.join_rooms(joins=joins)
