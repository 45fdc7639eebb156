"""Phare's channel layer over a real Redis: across processes, from workers, and loss detection.

Two FanoutLayer instances on one stream stand for two server processes (each reads the stream
once and fans out to its own sockets).
"""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis

from chat.realtime.fanout import STATS, FanoutLayer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


def layers(redis_url: str, count: int = 2) -> list[FanoutLayer]:
    stream = f"test:fanout:{uuid.uuid4().hex[:8]}"
    return [FanoutLayer(redis_url=redis_url, stream=stream, block_ms=200) for _ in range(count)]


async def test_an_event_reaches_members_in_every_process_exactly_once(redis_url):
    first, second = layers(redis_url)
    a = await first.new_channel()
    b = await second.new_channel()
    await first.group_add("room.1", a)
    await second.group_add("room.1", b)
    await first.group_send("room.1", {"type": "chat.event", "text": "bonjour", "author_id": 3})
    assert await asyncio.wait_for(first.receive(a), 5) == {"type": "chat.event", "text": "bonjour", "author_id": 3}
    assert await asyncio.wait_for(second.receive(b), 5) == {"type": "chat.event", "text": "bonjour", "author_id": 3}
    await asyncio.sleep(0.3)
    assert first.queues[a].empty() and second.queues[b].empty()
    await first.close(), await second.close()


async def test_many_events_arrive_in_publish_order(redis_url):
    first, second = layers(redis_url)
    b = await second.new_channel()
    await second.group_add("room.2", b)
    await first.new_channel()
    for i in range(300):
        first.group_send_threadsafe("room.2", {"type": "chat.event", "text": str(i)})
    texts = [(await asyncio.wait_for(second.receive(b), 5))["text"] for _ in range(300)]
    assert texts == [str(i) for i in range(300)]
    await first.close(), await second.close()


async def test_a_worker_without_an_event_loop_publishes_synchronously(redis_url):
    (reader, worker) = layers(redis_url)
    channel = await reader.new_channel()
    await reader.group_add("user.9", channel)
    # A Celery worker or a management command: no running loop in that layer.
    thread = threading.Thread(target=worker.group_send_threadsafe,
                              args=("user.9", {"type": "chat.control", "action": "close", "code": 4003}))
    thread.start()
    thread.join()
    assert await asyncio.wait_for(reader.receive(channel), 5) == {"type": "chat.control", "action": "close", "code": 4003}
    await reader.close()


async def test_entries_lost_before_a_process_read_them_are_detected_and_counted(redis_url):
    (reader,) = layers(redis_url, 1)
    channel = await reader.new_channel()
    await reader.group_add("room.3", channel)
    await reader.group_send("room.3", {"type": "chat.event", "text": "first"})
    assert (await asyncio.wait_for(reader.receive(channel), 5))["text"] == "first"
    # Four entries vanish (trimmed before this process read them): the next number jumps by 5.
    client = redis.Redis.from_url(redis_url)
    client.incrby(reader.seq_key, 4)
    before = STATS["gap_messages"]
    await reader.group_send("room.3", {"type": "chat.event", "text": "after the hole"})
    assert (await asyncio.wait_for(reader.receive(channel), 5))["text"] == "after the hole"
    assert STATS["gap_messages"] == before + 4
    await reader.close()


async def test_the_reader_skips_an_unreadable_entry_counts_it_and_goes_on(redis_url):
    (reader,) = layers(redis_url, 1)
    channel = await reader.new_channel()
    await reader.group_add("room.4", channel)
    before = STATS["unreadable"]
    client = redis.Redis.from_url(redis_url)
    number = client.incr(reader.seq_key)
    client.xadd(reader.stream, {"n": number, "g": "room.4", "c": "", "d": b"\xc1 not msgpack"})
    await reader.group_send("room.4", {"type": "chat.event", "text": "still delivered"})
    assert (await asyncio.wait_for(reader.receive(channel), 5))["text"] == "still delivered"
    assert STATS["unreadable"] == before + 1
    await reader.close()


async def test_the_reader_survives_a_redis_error_and_reads_on_from_where_it_was(redis_url):
    (reader,) = layers(redis_url, 1)
    channel = await reader.new_channel()
    await reader.group_add("room.5", channel)
    before = STATS["reader_errors"]
    client = redis.Redis.from_url(redis_url)
    # The stream's key holds a string for a moment: XREAD answers WRONGTYPE, a reply error
    # rather than a lost connection.
    client.delete(reader.stream)
    client.set(reader.stream, "not a stream")
    for _ in range(50):
        if STATS["reader_errors"] > before:
            break
        await asyncio.sleep(0.1)
    assert STATS["reader_errors"] > before
    client.delete(reader.stream)
    await reader.group_send("room.5", {"type": "chat.event", "text": "after the error"})
    assert (await asyncio.wait_for(reader.receive(channel), 5))["text"] == "after the error"
    assert reader._reader is not None and not reader._reader.done()
    await reader.close()


async def test_a_restarted_reader_delivers_what_was_published_while_it_was_stopped(redis_url):
    reader, publisher = layers(redis_url)
    channel = await reader.new_channel()
    await reader.group_add("room.6", channel)
    await reader.group_send("room.6", {"type": "chat.event", "text": "first"})
    assert (await asyncio.wait_for(reader.receive(channel), 5))["text"] == "first"
    await reader.close()
    await asyncio.sleep(0.05)  # the reader's task is cancelled
    for text in ("while stopped 1", "while stopped 2"):
        await publisher.group_send("room.6", {"type": "chat.event", "text": text})
    before = STATS["reader_restarts"], STATS["gap_messages"]
    await reader.new_channel()  # any use of the layer starts its reader again
    texts = [(await asyncio.wait_for(reader.receive(channel), 5))["text"] for _ in range(2)]
    assert texts == ["while stopped 1", "while stopped 2"]
    assert (STATS["reader_restarts"], STATS["gap_messages"]) == (before[0] + 1, before[1])
    await reader.close()
