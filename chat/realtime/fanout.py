"""Phare's channel layer: one Redis stream read once per process, fanned out in process.

Why (docs/benchmarks.md, docs/decisions.md "Fan-out"): with the stock layers every delivery
costs a Redis round trip per socket (`RedisChannelLayer`) or a pass through the consumer's
receive loop, which with Channels 4 also hops to the database thread to close old connections.
That caps a process near 3,000 deliveries per second. Here:

- `group_send` appends the message once to a Redis stream (`XADD`, batched: one round trip per
  batch of messages); every server process reads that stream with one blocking `XREAD`;
- group membership is a dict in the process that owns the sockets: it only describes live
  sockets, which die with the process, so nothing that matters after a restart lives there
  (memberships are rows; clients re-join on reconnect);
- a consumer may attach a *sink* to its channel: the reader hands each message to it
  synchronously, and the sink writes pre-serialised text straight to the socket
  (`DirectWriter`) instead of queueing it for the consumer's receive loop;
- loss is never silent: every stream entry carries a sequence number from one Redis counter
  and the stream's epoch (an id stored beside the counter, new when Redis lost its data); a
  reader that finds a hole (Redis trimmed entries it had not read), a new epoch or a counter
  that went back (Redis restarted empty), or that lost its connection to Redis, logs it,
  counts it in `STATS` and tells every socket of its process to resync (`attach`'s
  `on_resync`: the consumer sends a `resync` frame, and the client fetches history); a publish
  that fails tells this process's sockets of the groups it was for; a socket that cannot keep
  up is closed (1013) rather than silently skipped, so its client reconnects and fetches
  history;
- one socket cannot stop the others: when handing a message to a socket's sink raises, the
  reader drops that socket's sink, has the socket closed (`attach`'s `on_failure`), counts and
  logs it once, and goes on with the other sockets. The reader itself retries after any
  Redis error and resumes where it was.

Every loss and failure is counted twice: in `STATS` (process-wide, for tests and the
benchmark) and in the Prometheus counters below (`phare_fanout_lost_total` by reason,
`phare_fanout_sockets_closed_total`, `phare_fanout_reader_errors_total`; docs/reliability.md).

Without a Redis URL (embedded default, tests) the layer is purely in process: same code path
from the group registry on, no stream.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import threading
import uuid
from typing import Any, Callable, Iterable

import msgpack
from channels.layers import BaseChannelLayer
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from chat.realtime import internals
from ops import metrics

logger = logging.getLogger(__name__)

# Counters for tests and the benchmark (process-wide, monotonic).
STATS: dict[str, int] = collections.defaultdict(int)

# KEYS: stream, sequence counter, epoch. ARGV: maxlen, an epoch to set if there is none, then
# (group, channel, payload) triples. One script call appends a whole batch and numbers it from
# one counter, so a reader can tell a hole from a quiet period; each entry carries the epoch,
# which only changes when Redis lost its keys (restarted empty), so a reader can tell a counter
# that began again from one that went on.
_PUBLISH_LUA = """
redis.call('SET', KEYS[3], ARGV[2], 'NX')
local epoch = redis.call('GET', KEYS[3])
local count = (#ARGV - 2) / 3
local n = redis.call('INCRBY', KEYS[2], count) - count
for i = 3, #ARGV, 3 do
  n = n + 1
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'n', n, 'e', epoch, 'g', ARGV[i], 'c', ARGV[i + 1],
             'd', ARGV[i + 2])
end
return n
"""

Sink = Callable[[str, dict[str, Any]], bool]
# Told which of its groups may have missed events (`FanoutLayer.attach`'s `on_resync`).
ResyncHook = Callable[[frozenset[str]], None]

# Resyncs asked for within this time reach a socket as one: during an outage every failed
# publish asks for one, and each makes the client fetch history again.
RESYNC_COALESCE_SECONDS = 0.25


def new_epoch() -> str:
    return uuid.uuid4().hex


def _count_lost(reason: str, messages: int) -> None:
    if messages > 0:
        metrics.FANOUT_LOST.labels(reason).inc(messages)


def count_failed_socket(exc: BaseException, where: str) -> None:
    """One socket failed (an exception while delivering to it): counted and logged, once per
    socket, by whoever then closes it (the layer's reader, or the socket's `DirectWriter`)."""
    STATS["sockets_failed"] += 1
    metrics.FANOUT_SOCKETS_CLOSED.labels("failed").inc()
    logger.error("fanout: delivering to a socket failed in the %s (%r); closing that socket", where, exc,
                 exc_info=exc)

# Entries the stream keeps (`XADD MAXLEN ~`): a process that falls further behind than this
# loses entries, which it detects from the sequence numbers, logs and counts. At the measured
# ceilings a room event reaches 10-100 sockets, so one process's 15,000-60,000 deliveries/s are
# 600-1,500 events a second (docs/benchmarks.md): 50,000 entries give a paused process (a long
# collection, a slow disk) half a minute or more to catch up (less when several processes
# write), for about 20 MB of chat-sized events in Redis. A constant: nothing an operator knows
# about their deployment changes that trade.
STREAM_MAXLEN = 50_000
# Messages a channel's own queue holds (controls, and events for a socket without a direct
# sink; Channels' `capacity`): past it the layer drops the message and logs it. Events written
# directly have their own bound (`DirectWriter`'s `limit`: a socket that far behind is closed).
CHANNEL_CAPACITY = 1000


class FanoutLayer(BaseChannelLayer):
    """A Channels layer (groups, flush extensions) built for fan-out to many sockets.

    CONFIG: `redis_url` (empty: in process only), `stream`, `maxlen` (entries kept in the
    stream; a reader more than that far behind loses entries, detected), `capacity` (per
    channel queue), `block_ms`, `batch` (entries per XREAD).
    """

    extensions = ["groups", "flush"]

    def __init__(
        self,
        redis_url: str = "",
        stream: str = "phare:fanout",
        maxlen: int = STREAM_MAXLEN,
        capacity: int = CHANNEL_CAPACITY,
        expiry: int = 60,
        block_ms: int = 5000,
        batch: int = 1000,
        redis_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(expiry=expiry, capacity=capacity, **kwargs)
        self.redis_url = redis_url
        self.stream = stream
        self.seq_key = stream + ":seq"
        self.epoch_key = stream + ":epoch"
        self.maxlen = maxlen
        self.block_ms = block_ms
        self.batch = batch
        self.redis_options = redis_options or {}
        self.prefix = f"fan.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self.queues: dict[str, asyncio.Queue] = {}
        self.groups: dict[str, set[str]] = {}
        self.sinks: dict[str, Sink] = {}
        self.on_failure: dict[str, Callable[[], None]] = {}
        self.on_resync: dict[str, ResyncHook] = {}
        self._resync_pending: dict[str, set[str]] = {}
        self._resync_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._reader: asyncio.Task | None = None
        self._ready: asyncio.Event | None = None
        self._outbox: list[tuple[str, str, bytes, asyncio.Future | None]] = []
        self._flushing = False
        self._sync_client = None
        self._sync_lock = threading.Lock()
        self._last_n: int | None = None
        self._epoch: bytes | None = None  # the stream's epoch as this process last saw it
        self._interrupted = False  # the reader lost Redis since its last successful read
        self._position: str | bytes | None = None  # the last stream entry read on this loop

    # --- loop binding -------------------------------------------------------------------
    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (tests run one per test): per-loop machinery starts afresh.
            self._loop = loop
            self._loop_thread = threading.get_ident()
            self._reader = None
            self._ready = None
            self._outbox = []
            self._flushing = False
            self._async_client = None
            self._reader_client = None
            self._script = None
            self._position = None
            self._interrupted = False
            self._resync_pending = {}
            self._resync_scheduled = False

    def _redis(self):
        import redis.asyncio as aioredis

        if self._async_client is None:
            options = {"socket_connect_timeout": 5, "socket_timeout": 10, **self.redis_options}
            self._async_client = aioredis.Redis.from_url(self.redis_url, **options)
            self._script = self._async_client.register_script(_PUBLISH_LUA)
        return self._async_client

    # --- channels ---------------------------------------------------------------------
    async def new_channel(self, prefix: str = "specific") -> str:
        self._bind_loop()
        name = f"{prefix}.{self.prefix}!{uuid.uuid4().hex}"
        self.queues[name] = asyncio.Queue(maxsize=self.capacity)
        if self.redis_url:
            await self._ensure_reader()
        return name

    async def receive(self, channel: str) -> dict[str, Any]:
        queue = self.queues.get(channel)
        if queue is None:
            self.require_valid_channel_name(channel)
            queue = self.queues[channel] = asyncio.Queue(maxsize=self.capacity)
        return await queue.get()

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.require_valid_channel_name(channel)
        if channel in self.queues or not self.redis_url:
            self._deliver_channel(channel, "", message)
        else:
            await self._publish("", channel, message)

    def attach(self, channel: str, sink: Sink, on_failure: Callable[[], None] | None = None,
               on_resync: ResyncHook | None = None) -> None:
        """Route messages for `channel` to `sink(group, message)` first; it returns True
        when it took the message, False to have it queued for the consumer as usual.

        If the sink raises, the channel gets nothing more from this layer and `on_failure` is
        called, which closes the socket; without it, the sink is dropped and later messages
        are queued for the consumer. `on_resync(groups)` is called on the event loop when
        events for those of the channel's groups may have been lost (a failed publish, a gap,
        Redis restarted or out of reach): the socket tells its client to fetch history."""
        self.sinks[channel] = sink
        if on_failure is not None:
            self.on_failure[channel] = on_failure
        if on_resync is not None:
            self.on_resync[channel] = on_resync

    def forget(self, channel: str) -> None:
        """Drop every trace of a channel whose socket is gone."""
        self.sinks.pop(channel, None)
        self.on_failure.pop(channel, None)
        self.on_resync.pop(channel, None)
        self._resync_pending.pop(channel, None)
        self.queues.pop(channel, None)
        for group in [g for g, members in self.groups.items() if channel in members]:
            self._discard(group, channel)

    # --- groups -------------------------------------------------------------------------
    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        if self.redis_url:
            await self._ensure_reader()
        self.groups.setdefault(group, set()).add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        self._discard(group, channel)

    def _discard(self, group: str, channel: str) -> None:
        members = self.groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.groups[group]

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.require_valid_group_name(group)
        if not self.redis_url:
            self._deliver_group(group, message)
            return
        self._bind_loop()
        await self._publish(group, "", message)

    def group_send_threadsafe(self, group: str, message: dict[str, Any]) -> None:
        """`group_send` for synchronous code in any thread (`transaction.on_commit`)."""
        self.group_send_many_threadsafe([(group, message)])

    def group_send_many_threadsafe(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """`group_send_threadsafe` for many (group, message) pairs at once.

        In a server process they are handed to the event loop in one call, which batches them
        with others into one Redis round trip; elsewhere (a Celery worker, a command) they are
        published synchronously, in one round trip too.
        """
        loop = self._loop
        running = loop is not None and loop.is_running() and not loop.is_closed()
        if not running:
            if self.redis_url:
                self._publish_sync_many(messages)
            return  # no event loop: no socket in this process to deliver to
        self._call_in_loop(loop, self._deliver_or_enqueue_many, messages)

    def _deliver_or_enqueue_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        for group, message in messages:
            if self.redis_url:
                self._enqueue(group, "", message, None)
            else:
                self._deliver_group(group, message)

    def _call_in_loop(self, loop, func, *args) -> None:
        if threading.get_ident() == self._loop_thread:
            func(*args)
        else:
            loop.call_soon_threadsafe(func, *args)

    async def flush(self) -> None:
        self.queues.clear()
        self.groups.clear()
        self.sinks.clear()
        self.on_failure.clear()
        self.on_resync.clear()
        self._resync_pending.clear()
        if self.redis_url:
            self._bind_loop()
            await self._redis().delete(self.stream, self.seq_key, self.epoch_key)
            self._last_n = None
            self._epoch = None

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()

    # --- local delivery -----------------------------------------------------------------
    def _deliver_group(self, group: str, message: dict[str, Any]) -> None:
        members = self.groups.get(group)
        if not members:
            return
        sinks = self.sinks
        for channel in tuple(members):
            sink = sinks.get(channel)
            if sink is not None:
                try:
                    taken = sink(group, message)
                except Exception as exc:  # noqa: BLE001 - one socket's failure: the others go on
                    self._sink_failed(channel, exc)
                    continue
                if taken:
                    STATS["delivered_direct"] += 1
                    continue
            self._queue(channel, message)

    def _deliver_channel(self, channel: str, group: str, message: dict[str, Any]) -> None:
        sink = self.sinks.get(channel)
        if sink is not None:
            try:
                if sink(group, message):
                    return
            except Exception as exc:  # noqa: BLE001 - as in _deliver_group
                self._sink_failed(channel, exc)
                return
        self._queue(channel, message)

    def _sink_failed(self, channel: str, exc: Exception) -> None:
        """Delivering to `channel` raised: counted and logged once; with an `on_failure` the
        channel gets nothing more and the socket is closed, without one its sink is dropped."""
        count_failed_socket(exc, "reader")
        on_failure = self.on_failure.get(channel)
        if on_failure is None:
            self.sinks.pop(channel, None)
            return
        self.forget(channel)
        try:
            on_failure()
        except Exception:  # noqa: BLE001 - the reader goes on whatever the consumer does
            logger.exception("fanout: closing a failed socket failed")

    def _queue(self, channel: str, message: dict[str, Any]) -> None:
        queue = self.queues.get(channel)
        if queue is None:
            return
        try:
            queue.put_nowait(message)
            STATS["queued"] += 1
        except asyncio.QueueFull:
            STATS["dropped_channel_full"] += 1
            _count_lost("channel_full", 1)
            logger.error("fanout: channel %s full (%s messages), message dropped", channel, self.capacity)

    # --- resync -------------------------------------------------------------------------
    def resync(self, groups: Iterable[str] | None, reason: str) -> None:
        """Events for `groups` (None: every group of this process) may have been lost: each
        local channel in one of them that has an `on_resync` hook is told which, once per
        RESYNC_COALESCE_SECONDS however many losses happen meanwhile. Call on the event loop."""
        chosen = self.groups if groups is None else {g: self.groups[g] for g in groups if g in self.groups}
        hooks = self.on_resync
        affected = 0
        for group, members in chosen.items():
            for channel in members:
                if channel in hooks:
                    self._resync_pending.setdefault(channel, set()).add(group)
                    affected += 1
        if not affected:
            return
        STATS["resyncs"] += 1
        metrics.FANOUT_RESYNCS.labels(reason).inc()
        logger.warning("fanout: %s: telling this process's sockets of %s groups to resync", reason,
                       "all" if groups is None else len(chosen))
        if not self._resync_scheduled and self._loop is not None:
            self._resync_scheduled = True
            self._loop.call_later(RESYNC_COALESCE_SECONDS, self._send_resyncs)

    def _send_resyncs(self) -> None:
        self._resync_scheduled = False
        pending, self._resync_pending = self._resync_pending, {}
        for channel, groups in pending.items():
            hook = self.on_resync.get(channel)
            if hook is None:
                continue
            STATS["resync_sockets"] += 1
            try:
                hook(frozenset(groups))
            except Exception:  # noqa: BLE001 - one socket's failure: the others are told
                logger.exception("fanout: telling a socket to resync failed")

    # --- publishing ---------------------------------------------------------------------
    async def _publish(self, group: str, channel: str, message: dict[str, Any]) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._enqueue(group, channel, message, waiter)
        await waiter

    def _enqueue(self, group: str, channel: str, message: dict[str, Any], waiter) -> None:
        self._outbox.append((group, channel, msgpack.packb(message, use_bin_type=True), waiter))
        if not self._flushing:
            self._flushing = True
            asyncio.ensure_future(self._flush_outbox())

    async def _flush_outbox(self) -> None:
        # One call in flight at a time: what arrives meanwhile forms the next batch.
        try:
            while self._outbox:
                batch, self._outbox = self._outbox, []
                args: list[Any] = [self.maxlen, new_epoch()]
                for group, channel, payload, _ in batch:
                    args += [group, channel, payload]
                self._redis()
                try:
                    await self._script(keys=[self.stream, self.seq_key, self.epoch_key], args=args)
                except Exception as exc:  # noqa: BLE001 - any Redis failure: counted, logged, told to waiters
                    STATS["publish_failed"] += len(batch)
                    _count_lost("publish_failed", len(batch))
                    logger.error("fanout: publishing %s messages failed: %r", len(batch), exc)
                    for *_, waiter in batch:
                        if waiter is not None and not waiter.done():
                            waiter.set_exception(exc)
                    # This process's sockets in those groups are told; the other processes'
                    # readers lost Redis too, and resync theirs when they reach it again.
                    self.resync({group for group, *_ in batch if group}, "publish_failed")
                    continue
                STATS["published"] += len(batch)
                for *_, waiter in batch:
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
        finally:
            self._flushing = False

    def _publish_sync_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        import redis

        args: list[Any] = [self.maxlen, new_epoch()]
        for group, message in messages:
            args += [group, "", msgpack.packb(message, use_bin_type=True)]
        with self._sync_lock:
            if self._sync_client is None:
                client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=5, socket_timeout=10)
                self._sync_client = (client, client.register_script(_PUBLISH_LUA))
            _, script = self._sync_client
            try:
                script(keys=[self.stream, self.seq_key, self.epoch_key], args=args)
            except Exception as exc:
                # Counted and logged here; the caller (an on-commit hook) still sees the error.
                STATS["publish_failed"] += len(messages)
                _count_lost("publish_failed", len(messages))
                logger.error("fanout: publishing %s messages failed: %r", len(messages), exc)
                raise
        STATS["published"] += len(messages)

    # --- reading ------------------------------------------------------------------------
    async def _ensure_reader(self) -> None:
        self._bind_loop()
        if self._reader is None or self._reader.done():
            self._ready = asyncio.Event()
            self._reader = asyncio.ensure_future(self._read_loop(self._ready))
        if not self._ready.is_set():
            await self._ready.wait()

    async def _current_epoch(self, client) -> bytes:
        """The stream's epoch, set here if Redis has none (a reader may be first)."""
        await client.set(self.epoch_key, new_epoch(), nx=True)
        return await client.get(self.epoch_key)

    async def _start_position(self, client) -> str:
        self._epoch = await self._current_epoch(client)
        last = await client.xrevrange(self.stream, count=1)
        if last:
            entry_id, fields = last[0]
            self._last_n = int(fields[b"n"])
            return entry_id.decode()
        self._last_n = None
        return "0-0"

    async def _recover(self, client) -> None:
        """The first successful round trip after the reader lost Redis. Other processes'
        publishes may have failed meanwhile, and nothing numbered them: every socket of this
        process resyncs. If Redis lost its data (a new epoch), the reader starts at the new
        stream's beginning."""
        epoch = await self._current_epoch(client)
        reason = "reconnected"
        if epoch != self._epoch:
            reason = "restarted"
            STATS["stream_restarts"] += 1
            self._epoch, self._position, self._last_n = epoch, "0-0", None
        self._interrupted = False
        self.resync(None, reason)

    async def _read_loop(self, ready: asyncio.Event) -> None:
        import redis.asyncio as aioredis

        # No silent retries inside redis-py: a lost connection must reach this loop, which
        # retries itself and resyncs the sockets once Redis answers again (`_recover`).
        options = {"socket_connect_timeout": 5, "retry": Retry(NoBackoff(), 0), **self.redis_options}
        # The blocking read needs a socket timeout longer than the block (channels_redis#422).
        options["socket_timeout"] = self.block_ms / 1000 + 10
        client = aioredis.Redis.from_url(self.redis_url, **options)
        if self._position is not None:
            # A reader of this loop ended (`close`): resume after the last entry it read, so
            # what was published meanwhile is delivered, or counted as a gap if trimmed.
            STATS["reader_restarts"] += 1
            logger.warning("fanout: the stream reader restarted; resuming where it stopped")
        try:
            while True:
                try:
                    if self._position is None:
                        self._position = await self._start_position(client)
                    elif self._interrupted:
                        await self._recover(client)
                    ready.set()
                    answer = await client.xread({self.stream: self._position}, count=self.batch,
                                                block=self.block_ms)
                except Exception as exc:  # noqa: BLE001 - any Redis error: counted, and the reader retries
                    # The position is kept: after reconnecting the reader reads what it missed,
                    # and what Redis trimmed or lost meanwhile shows as a sequence gap.
                    STATS["reader_errors"] += 1
                    self._interrupted = True
                    metrics.FANOUT_READER_ERRORS.inc()
                    logger.warning("fanout: reading the stream failed (%r); retrying", exc)
                    await asyncio.sleep(0.5)
                    continue
                for _stream, entries in answer or ():
                    for entry_id, fields in entries:
                        self._position = entry_id
                        try:
                            self._on_entry(fields)
                        except Exception as exc:  # noqa: BLE001 - an unreadable entry is lost, counted, skipped
                            STATS["unreadable"] += 1
                            _count_lost("unreadable", 1)
                            logger.error("fanout: a stream entry could not be read (%r); skipped", exc)
        finally:
            await client.aclose()

    def _on_entry(self, fields: dict[bytes, bytes]) -> None:
        n = int(fields[b"n"])
        epoch = fields.get(b"e")
        # Redis lost its data (restarted empty) when the epoch changed or the counter went
        # back: the counter began again at 1, and what was numbered before is gone.
        restarted = ((epoch is not None and self._epoch is not None and epoch != self._epoch)
                     or (self._last_n is not None and n <= self._last_n))
        if epoch is not None:
            self._epoch = epoch
        if restarted:
            STATS["stream_restarts"] += 1
            missing = n - 1
        elif self._last_n is not None:
            # A hole: entries trimmed before this process read them.
            missing = n - self._last_n - 1
        else:
            missing = 0
        if missing > 0:
            STATS["gaps"] += 1
            STATS["gap_messages"] += missing
            _count_lost("sequence_gap", missing)
            logger.error("fanout: %s stream entries were lost before this process read them", missing)
        if restarted or missing > 0:
            self.resync(None, "restarted" if restarted else "sequence_gap")
        self._last_n = n
        STATS["received"] += 1
        message = msgpack.unpackb(fields[b"d"], raw=False)
        group = fields[b"g"].decode()
        if group:
            self._deliver_group(group, message)
        else:
            channel = fields[b"c"].decode()
            if channel in self.queues:
                self._deliver_channel(channel, "", message)


class _Resume:
    """Finish a coroutine that was started by hand and suspended on `first`."""

    __slots__ = ("coro", "first")

    def __init__(self, coro, first) -> None:
        self.coro = coro
        self.first = first

    def __await__(self):
        value = self.first
        while True:
            try:
                yield value
            except BaseException as exc:  # cancellation: pass it into the coroutine
                try:
                    value = self.coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                value = self.coro.send(None)
            except StopIteration:
                return


# --- Writing frames ourselves ---------------------------------------------------------------

def text_frame(text: str) -> bytes:
    """`text` as a server's WebSocket frame (RFC 6455 §5.2): final, unmasked, uncompressed."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 65536:
        return b"\x81\x7e" + size.to_bytes(2, "big") + data
    return b"\x81\x7f" + size.to_bytes(8, "big") + data


class _LastFrame:
    """The frame of the text last framed: a room's event reaches its sockets one after the
    other with the same `str`, so it is encoded and framed once, not once per socket."""

    text: str | None = None
    frame = b""

    @classmethod
    def of(cls, text: str) -> bytes:
        if text is not cls.text:
            cls.frame = text_frame(text)
            cls.text = text
        return cls.frame


class DirectWriter:
    """Writes event text straight to one socket, in order, without a task per message.

    `write` runs in the reader's stack. On uvicorn's connection, when it is open for frames
    (`internals.frame_connection`, `internals.open_for_frames`), the text's frame, built once
    per event for all its sockets, is written to the transport (5.6 against 0.5 µs of CPU per
    event on a slow machine, besides the write; docs/benchmarks.md). Any other server, or a
    test's fake, gets every event through `send`. Otherwise the ASGI `send` is used: it normally
    completes without suspending (uvicorn writes to the transport) and only waits when the
    socket's write buffer is full. So each send is started by hand: if it finishes at once
    nothing more is needed; if it suspends, a task finishes it and later text waits in a
    backlog behind it. A message that is not an event (a `chat.control`) is queued for the
    consumer, and events published after it wait until the consumer has handled it
    (`release`): a socket never sees a message sent after the control that removed it from the
    room or closed it.

    `render` turns what is written into the text to send, or None to skip it; it runs when the
    text is sent, so an event that waited behind a control is judged by the state the control
    set (a user muted meanwhile is hidden). Without it, what is written is the text.

    An error raised while writing in the reader's stack is the layer's to handle (it closes
    the socket through `attach`'s `on_failure`); one raised while a task finishes the writing
    closes the writer, is counted, and calls `on_failure` (by default `on_overflow`).
    """

    def __init__(self, send, is_member: Callable[[str], bool], on_overflow: Callable[[], None],
                 limit: int = 1000, render: Callable[[Any], str | None] | None = None,
                 on_failure: Callable[[], None] | None = None) -> None:
        self.send = send
        self.connection = internals.frame_connection(send)
        self.is_member = is_member
        self.on_overflow = on_overflow
        self.on_failure = on_failure or on_overflow
        self.limit = limit
        self.render = render or (lambda text: text)
        self.backlog: collections.deque[tuple[str, Any]] = collections.deque()
        self.held = 0
        self.busy = False  # a send is suspended or the backlog is being drained
        self.closed = False

    def write(self, group: str, item: Any) -> None:
        if self.closed:
            return
        if self.busy or self.held or self.backlog:
            if len(self.backlog) >= self.limit:
                self._overflow()
                return
            self.backlog.append((group, item))
            return
        text = self.render(item)
        if text is not None:
            self._start(text)

    def hold(self) -> None:
        self.held += 1

    def release(self) -> None:
        if self.held:
            self.held -= 1
        if not self.held and not self.busy and self.backlog and not self.closed:
            self.busy = True
            asyncio.ensure_future(self._drain(None))

    def close(self) -> None:
        self.closed = True
        self.backlog.clear()

    def _start(self, text: str) -> None:
        connection = self.connection
        if connection is not None and internals.open_for_frames(connection):
            internals.write_frame(connection, _LastFrame.of(text))
            STATS["written"] += 1
            return
        coro = self.send({"type": "websocket.send", "text": text})
        try:
            first = coro.send(None)
        except StopIteration:
            STATS["written"] += 1
            return
        except (OSError, RuntimeError):  # the socket is closing (ClientDisconnected, sent close)
            coro.close()
            self.close()
            return
        self.busy = True
        asyncio.ensure_future(self._drain(_Resume(coro, first)))

    async def _drain(self, pending) -> None:
        try:
            if pending is not None:
                await pending
                STATS["written"] += 1
            while self.backlog and not self.held and not self.closed:
                group, item = self.backlog.popleft()
                if group and not self.is_member(group):
                    continue  # left the room (a control handled meanwhile)
                text = self.render(item)
                if text is None:
                    continue
                await self.send({"type": "websocket.send", "text": text})
                STATS["written"] += 1
        except (OSError, RuntimeError):
            self.close()
        except Exception as exc:  # noqa: BLE001 - this socket's failure: closed and counted
            self.close()
            count_failed_socket(exc, "writer")
            self.on_failure()
        finally:
            self.busy = False
        if self.backlog and not self.held and not self.closed:
            self.busy = True
            asyncio.ensure_future(self._drain(None))

    def _overflow(self) -> None:
        STATS["slow_sockets_closed"] += 1
        STATS["dropped_slow_socket"] += len(self.backlog)
        metrics.FANOUT_SOCKETS_CLOSED.labels("slow").inc()
        _count_lost("slow_socket", len(self.backlog))
        logger.warning("fanout: a socket fell %s messages behind; closing it (1013)", len(self.backlog))
        self.close()
        self.on_overflow()
