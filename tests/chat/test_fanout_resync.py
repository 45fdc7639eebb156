"""The fan-out layer never loses an event silently: a socket whose events may be lost is told to
resync (chat.realtime.fanout `attach(on_resync=...)`): after a failed publish, a hole in the
sequence, Redis restarted empty, or a reader that lost Redis for a while.

The first tests drive the layer in process; the last ones run it over a Redis server of their
own (tests/reliability/faults.py), SIGKILLed and started again empty.
"""

from __future__ import annotations

import asyncio

import msgpack
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from chat.models import Room
from chat.realtime import events, fanout
from chat.realtime.fanout import STATS, FanoutLayer
from tests.reliability.faults import private_redis  # noqa: F401  (the fixture)

pytestmark = pytest.mark.asyncio

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def entry(n: int, epoch: bytes | None = b"e1", group: str = "", text: str = "x") -> dict[bytes, bytes]:
    fields = {b"n": str(n).encode(), b"g": group.encode(), b"c": b"",
              b"d": msgpack.packb({"type": "chat.event", "text": text}, use_bin_type=True)}
    if epoch is not None:
        fields[b"e"] = epoch
    return fields


async def member(layer: FanoutLayer, *groups: str) -> list[frozenset[str]]:
    """A channel in `groups` whose resyncs are recorded (what the consumer would send)."""
    told: list[frozenset[str]] = []
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    layer.attach(channel, lambda g, m: True, on_resync=told.append)
    return told


async def settle() -> None:
    await asyncio.sleep(fanout.RESYNC_COALESCE_SECONDS + 0.1)


async def test_a_hole_in_the_sequence_resyncs_every_socket_of_the_process():
    layer = FanoutLayer()
    first = await member(layer, "room.1", "user.1")
    second = await member(layer, "room.2")
    layer._on_entry(entry(1))
    layer._on_entry(entry(2))
    await settle()
    assert first == [] and second == []
    layer._on_entry(entry(5))  # 3 and 4 were trimmed before this process read them
    await settle()
    assert first == [frozenset({"room.1", "user.1"})] and second == [frozenset({"room.2"})]


async def test_redis_restarted_empty_resyncs_whether_the_epoch_or_only_the_counter_tells():
    layer = FanoutLayer()
    told = await member(layer, "room.1")
    before = STATS["stream_restarts"]
    layer._on_entry(entry(7, epoch=b"e1"))
    layer._on_entry(entry(1, epoch=b"e2"))  # new epoch, counter at 1: nothing "missing" by number
    await settle()
    assert told == [frozenset({"room.1"})]
    assert STATS["stream_restarts"] == before + 1
    # Entries written before the epoch existed: the counter going back is the sign.
    layer._on_entry(entry(9, epoch=None))
    layer._on_entry(entry(1, epoch=None))
    await settle()
    assert len(told) == 2 and STATS["stream_restarts"] == before + 2


async def test_a_new_epoch_is_a_restart_even_when_the_new_counter_went_past_the_old():
    layer = FanoutLayer()
    told = await member(layer, "room.1")
    layer._on_entry(entry(3, epoch=b"e1"))
    layer._on_entry(entry(4, epoch=b"e2"))
    await settle()
    assert told == [frozenset({"room.1"})]


async def test_resyncs_asked_for_together_reach_a_socket_once():
    layer = FanoutLayer()
    told = await member(layer, "room.1", "room.2")
    layer.resync({"room.1"}, "publish_failed")
    layer.resync({"room.2"}, "publish_failed")
    layer.resync({"room.3"}, "publish_failed")  # not this socket's
    await settle()
    assert told == [frozenset({"room.1", "room.2"})]


async def test_a_failed_publish_resyncs_this_process_s_sockets_of_its_groups_only():
    layer = FanoutLayer()
    in_room = await member(layer, "room.1")
    elsewhere = await member(layer, "room.2")
    # The groups were joined in process; from now on publishing goes to a Redis that is down.
    layer.redis_url = UNREACHABLE
    with pytest.raises(Exception):
        await layer.group_send("room.1", {"type": "chat.event", "text": "lost"})
    await settle()
    assert in_room == [frozenset({"room.1"})] and elsewhere == []


async def test_a_forgotten_channel_is_not_told():
    layer = FanoutLayer()
    told: list[frozenset[str]] = []
    channel = await layer.new_channel()
    await layer.group_add("room.1", channel)
    layer.attach(channel, lambda g, m: True, on_resync=told.append)
    layer.resync(None, "sequence_gap")
    layer.forget(channel)
    await settle()
    assert told == []


@pytest.mark.django_db(transaction=True)
async def test_a_socket_told_to_resync_sends_its_client_the_rooms_and_whether_dms_may_have_missed_events(
        make_user, adults_room, ws_client):
    alice = await sync_to_async(make_user)()
    client = await ws_client(alice)
    assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    room = await sync_to_async(Room.objects.get)(slug="cafe")
    layer = get_channel_layer()
    layer.resync({events.room_group(room.pk), "room.999999"}, "publish_failed")
    assert await client.next_event() == {"type": "resync", "rooms": ["cafe"], "direct": False}
    layer.resync(None, "restarted")
    assert await client.next_event() == {"type": "resync", "rooms": ["cafe"], "direct": True}
    await client.close()


# --- Over a real Redis, killed ------------------------------------------------------------------

async def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_redis_killed_and_restarted_empty_resyncs_readers_and_fan_out_resumes(private_redis):  # noqa: F811
    stream = "test:fanout:killed"
    reader = FanoutLayer(redis_url=private_redis.url, stream=stream, block_ms=200)
    publisher = FanoutLayer(redis_url=private_redis.url, stream=stream, block_ms=200)
    received: list[str] = []
    told: list[frozenset[str]] = []
    channel = await reader.new_channel()
    await reader.group_add("room.1", channel)
    reader.attach(channel, lambda g, m: received.append(m["text"]) or True, on_resync=told.append)
    await publisher.group_send("room.1", {"type": "chat.event", "text": "before"})
    assert await wait_for(lambda: received == ["before"])
    epoch = reader._epoch

    private_redis.kill()
    # A publish while Redis is down fails, and nothing numbers it.
    with pytest.raises(Exception):
        await publisher.group_send("room.1", {"type": "chat.event", "text": "during"})
    private_redis.start()  # empty: no stream, no counter, no epoch

    # The reader, back on Redis, tells its socket to resync: without a publish to show a gap.
    assert await wait_for(lambda: told == [frozenset({"room.1"})]), told
    assert reader._epoch != epoch
    # And the fan-out goes on by itself, from the new stream's first entry.
    await publisher.group_send("room.1", {"type": "chat.event", "text": "after"})
    assert await wait_for(lambda: received == ["before", "after"]), received
    await asyncio.sleep(0.3)
    assert told == [frozenset({"room.1"})], "one resync for one outage"
    await reader.close(), await publisher.close()


@pytest.mark.integration
@pytest.mark.timeout(60)
async def test_the_process_whose_publish_failed_resyncs_its_own_sockets(private_redis):  # noqa: F811
    layer = FanoutLayer(redis_url=private_redis.url, stream="test:fanout:own", block_ms=200)
    told: list[frozenset[str]] = []
    channel = await layer.new_channel()
    await layer.group_add("room.9", channel)
    layer.attach(channel, lambda g, m: True, on_resync=told.append)
    private_redis.kill()
    layer.group_send_threadsafe("room.9", {"type": "chat.event", "text": "stored, not published"})
    assert await wait_for(lambda: frozenset({"room.9"}) in told), told
    private_redis.start()
    await layer.close()
