"""Phare's channel layer in process (chat.realtime.fanout): groups, direct delivery, order, slow sockets,
failing sockets, and every loss counted."""

from __future__ import annotations

import asyncio
import threading

import msgpack
import pytest
from prometheus_client import REGISTRY

from chat.realtime.fanout import STATS, DirectWriter, FanoutLayer

pytestmark = pytest.mark.asyncio


class FakeSocket:
    """An ASGI send that can be made to block, like uvicorn's when a socket's buffer is full."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, message: dict) -> None:
        await self.writable.wait()
        self.texts.append(message["text"])


def make_writer(socket: FakeSocket, groups: set[str] | None = None, limit: int = 1000):
    overflowed: list[bool] = []
    writer = DirectWriter(socket.send, is_member=(groups if groups is not None else {"g"}).__contains__,
                          on_overflow=lambda: overflowed.append(True), limit=limit)
    return writer, overflowed


async def test_group_send_reaches_each_member_once_and_not_others():
    layer = FanoutLayer()
    a, b, c = [await layer.new_channel() for _ in range(3)]
    await layer.group_add("room.1", a)
    await layer.group_add("room.1", b)
    await layer.group_add("room.2", c)
    await layer.group_send("room.1", {"type": "chat.event", "text": "hi"})
    assert await asyncio.wait_for(layer.receive(a), 1) == {"type": "chat.event", "text": "hi"}
    assert await asyncio.wait_for(layer.receive(b), 1) == {"type": "chat.event", "text": "hi"}
    assert layer.queues[a].empty() and layer.queues[b].empty() and layer.queues[c].empty()


async def test_discarded_channel_gets_nothing_more():
    layer = FanoutLayer()
    a = await layer.new_channel()
    await layer.group_add("room.1", a)
    await layer.group_discard("room.1", a)
    await layer.group_send("room.1", {"type": "chat.event", "text": "late"})
    assert layer.queues[a].empty()
    assert "room.1" not in layer.groups


async def test_sink_writes_events_directly_and_leaves_controls_to_the_consumer():
    layer = FanoutLayer()
    channel = await layer.new_channel()
    socket = FakeSocket()
    writer, _ = make_writer(socket, {"room.1"})

    def sink(group, message):
        if message["type"] != "chat.event":
            writer.hold()
            return False
        writer.write(group, message["text"])
        return True

    layer.attach(channel, sink)
    await layer.group_add("room.1", channel)
    await layer.group_send("room.1", {"type": "chat.event", "text": "one"})
    assert socket.texts == ["one"]  # written synchronously, no task, nothing queued
    await layer.group_send("room.1", {"type": "chat.control", "action": "leave_room"})
    assert (await asyncio.wait_for(layer.receive(channel), 1))["type"] == "chat.control"
    layer.forget(channel)
    assert channel not in layer.queues and "room.1" not in layer.groups


async def test_writer_keeps_order_when_a_socket_blocks_and_resumes():
    socket = FakeSocket()
    writer, _ = make_writer(socket)
    writer.write("g", "1")
    socket.writable.clear()  # the client stopped reading
    writer.write("g", "2")
    writer.write("g", "3")
    assert socket.texts == ["1"] and writer.busy
    socket.writable.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.texts == ["1", "2", "3"]
    writer.write("g", "4")
    assert socket.texts == ["1", "2", "3", "4"] and not writer.busy


async def test_events_after_a_control_wait_for_it_and_skip_a_room_it_left():
    socket = FakeSocket()
    groups = {"room.1", "room.2"}
    writer, _ = make_writer(socket, groups)
    writer.hold()  # a control (leave room.1) is queued for the consumer
    writer.write("room.1", "after-leave")
    writer.write("room.2", "other-room")
    assert socket.texts == []
    groups.discard("room.1")  # the consumer handled the control
    writer.release()
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.texts == ["other-room"]


async def test_events_that_waited_behind_a_control_are_judged_by_what_it_changed():
    # A user mutes an author: the control that refreshes the hidden authors is queued for the
    # consumer, and an event of that author published after it must not slip through with the
    # state from before.
    socket = FakeSocket()
    hidden: set[str] = set()
    writer = DirectWriter(socket.send, is_member=lambda g: True, on_overflow=lambda: None,
                          render=lambda event: None if event["author"] in hidden else event["text"])
    writer.write("g", {"author": "bob", "text": "before"})
    writer.hold()  # refresh_hidden queued
    writer.write("g", {"author": "bob", "text": "during"})
    writer.write("g", {"author": "carol", "text": "carol"})
    hidden.add("bob")  # the consumer handled the control
    writer.release()
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.texts == ["before", "carol"]


async def test_a_socket_too_far_behind_is_closed_not_silently_skipped():
    socket = FakeSocket()
    writer, overflowed = make_writer(socket, limit=3)
    socket.writable.clear()
    before = STATS["slow_sockets_closed"]
    for i in range(6):
        writer.write("g", str(i))
    assert overflowed == [True]
    assert STATS["slow_sockets_closed"] == before + 1
    assert writer.closed
    writer.write("g", "after")
    assert socket.texts == []


async def test_closed_socket_stops_the_writer():
    async def send(message):
        raise OSError("client disconnected")

    writer = DirectWriter(send, is_member=lambda g: True, on_overflow=lambda: None)
    writer.write("g", "x")
    assert writer.closed


async def test_group_send_threadsafe_from_a_worker_thread_is_delivered_in_order():
    layer = FanoutLayer()
    channel = await layer.new_channel()
    await layer.group_add("user.7", channel)

    def worker():
        for i in range(50):
            layer.group_send_threadsafe("user.7", {"type": "chat.event", "text": str(i)})

    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.get_running_loop().run_in_executor(None, thread.join)
    texts = [(await asyncio.wait_for(layer.receive(channel), 1))["text"] for _ in range(50)]
    assert texts == [str(i) for i in range(50)]


# --- Through the chat consumer -----------------------------------------------------------------

def _control_then_message(*, user_id: int, control: dict, room, author_id: int, body: str) -> None:
    from django.db import transaction

    from chat.realtime import events

    with transaction.atomic():
        events.control_user(user_id, control)
        events.send_to_room(room.pk, {"type": "room.message", "room": room.slug,
                                      "message": {"id": "1", "body": body}}, author_id=author_id)


@pytest.mark.django_db(transaction=True)
async def test_a_message_published_after_a_leave_control_never_reaches_the_socket(make_user, adults_room, ws_client):
    from asgiref.sync import sync_to_async

    alice, bob = await sync_to_async(make_user)(pseudonym="alice_f"), await sync_to_async(make_user)(pseudonym="bob_f")
    a, b = await ws_client(alice), await ws_client(bob)
    assert (await a.request("room.join", room="cafe"))["type"] == "ack"
    assert (await b.request("room.join", room="cafe"))["type"] == "ack"
    await sync_to_async(_control_then_message)(
        user_id=bob.pk, control={"action": "leave_room", "room": "cafe"}, room=adults_room,
        author_id=alice.pk, body="after bob left",
    )
    assert (await a.next_event())["message"]["body"] == "after bob left"
    assert await b.no_event(timeout=0.5)


@pytest.mark.django_db(transaction=True)
async def test_a_socket_closed_by_moderation_receives_nothing_after_the_close(make_user, adults_room, ws_client):
    from asgiref.sync import sync_to_async

    alice, bob = await sync_to_async(make_user)(pseudonym="alice_g"), await sync_to_async(make_user)(pseudonym="bob_g")
    a, b = await ws_client(alice), await ws_client(bob)
    assert (await a.request("room.join", room="cafe"))["type"] == "ack"
    assert (await b.request("room.join", room="cafe"))["type"] == "ack"
    await sync_to_async(_control_then_message)(
        user_id=bob.pk, control={"action": "close", "code": 4003}, room=adults_room,
        author_id=alice.pk, body="after the ban",
    )
    assert (await a.next_event())["message"]["body"] == "after the ban"
    assert await b.communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4003}


# --- One socket's failure, and every loss, counted ---------------------------------------------

def prometheus(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def failures_counted() -> tuple[int, float]:
    return STATS["sockets_failed"], prometheus("phare_fanout_sockets_closed_total", reason="failed")


def lost(reason: str) -> float:
    return prometheus("phare_fanout_lost_total", reason=reason)


async def test_a_sink_that_raises_is_closed_and_the_other_sockets_still_get_the_event():
    layer = FanoutLayer()
    received: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    closed: list[str] = []
    channels = {}
    for name in received:
        channels[name] = await layer.new_channel()
        await layer.group_add("room.1", channels[name])

    def sink_for(name: str):
        def sink(group, message):
            if name == "b":
                raise ValueError("this socket is broken")
            received[name].append(message["text"])
            return True
        return sink

    for name, channel in channels.items():
        layer.attach(channel, sink_for(name), on_failure=lambda name=name: closed.append(name))
    before = failures_counted()

    await layer.group_send("room.1", {"type": "chat.event", "text": "one"})
    await layer.group_send("room.1", {"type": "chat.event", "text": "two"})

    assert received == {"a": ["one", "two"], "b": [], "c": ["one", "two"]}
    assert closed == ["b"]  # told once; the failed channel gets nothing more
    assert failures_counted() == (before[0] + 1, before[1] + 1)
    assert channels["b"] not in layer.sinks and channels["b"] not in layer.groups["room.1"]
    assert channels["b"] not in layer.queues


async def test_a_failing_sink_without_on_failure_is_dropped_and_its_messages_queue():
    layer = FanoutLayer()
    channel = await layer.new_channel()
    await layer.group_add("room.1", channel)

    def sink(group, message):
        raise RuntimeError("broken")

    layer.attach(channel, sink)
    before = failures_counted()
    await layer.group_send("room.1", {"type": "chat.event", "text": "one"})
    await layer.send(channel, {"type": "chat.event", "text": "two"})
    assert failures_counted() == (before[0] + 1, before[1] + 1)
    assert channel not in layer.sinks
    assert (await asyncio.wait_for(layer.receive(channel), 1))["text"] == "two"


async def test_a_sink_raising_for_a_message_sent_to_its_channel_does_not_raise_to_the_sender():
    layer = FanoutLayer()
    channel = await layer.new_channel()
    closed: list[bool] = []

    def sink(group, message):
        raise ValueError("broken")

    layer.attach(channel, sink, on_failure=lambda: closed.append(True))
    await layer.send(channel, {"type": "chat.event", "text": "one"})
    assert closed == [True]


async def test_a_writer_that_fails_while_finishing_a_send_is_closed_and_counted():
    socket = FakeSocket()
    failed: list[bool] = []

    def render(text: str) -> str:
        if text == "boom":
            raise ValueError("cannot render")
        return text

    writer = DirectWriter(socket.send, is_member=lambda g: True, on_overflow=lambda: None, render=render,
                          on_failure=lambda: failed.append(True))
    before = failures_counted()
    socket.writable.clear()
    writer.write("g", "1")  # suspends: a task finishes it, later texts wait behind it
    writer.write("g", "boom")
    writer.write("g", "3")
    socket.writable.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.texts == ["1"]
    assert writer.closed and failed == [True]
    assert failures_counted() == (before[0] + 1, before[1] + 1)
    writer.write("g", "after")
    assert socket.texts == ["1"]


def entry(n: int, group: str = "", text: str = "x") -> dict[bytes, bytes]:
    return {b"n": str(n).encode(), b"g": group.encode(), b"c": b"",
            b"d": msgpack.packb({"type": "chat.event", "text": text}, use_bin_type=True)}


async def test_every_hole_in_the_sequence_is_counted_for_operators():
    layer = FanoutLayer()
    before = STATS["gap_messages"], lost("sequence_gap")
    for n in (1, 2, 6):  # 3, 4 and 5 never arrived
        layer._on_entry(entry(n))
    assert (STATS["gap_messages"], lost("sequence_gap")) == (before[0] + 3, before[1] + 3)
    # Redis restarted empty: its counter began again, and entries 1 and 2 of the new numbering
    # were published before this process read any.
    layer._on_entry(entry(3))
    assert (STATS["gap_messages"], lost("sequence_gap")) == (before[0] + 5, before[1] + 5)
    layer._on_entry(entry(4))
    assert STATS["gap_messages"] == before[0] + 5


async def test_a_message_dropped_for_a_full_channel_is_counted_for_operators():
    layer = FanoutLayer(capacity=1)
    channel = await layer.new_channel()
    before = STATS["dropped_channel_full"], lost("channel_full")
    await layer.send(channel, {"type": "chat.control", "action": "one"})
    await layer.send(channel, {"type": "chat.control", "action": "two"})
    assert (STATS["dropped_channel_full"], lost("channel_full")) == (before[0] + 1, before[1] + 1)


async def test_a_failed_publish_is_counted_for_operators_on_both_paths():
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once
    before = STATS["publish_failed"], lost("publish_failed")
    with pytest.raises(Exception):
        await FanoutLayer(redis_url=unreachable).group_send("room.1", {"type": "chat.event", "text": "x"})
    assert (STATS["publish_failed"], lost("publish_failed")) == (before[0] + 1, before[1] + 1)

    # A Celery worker or a command (no event loop in the layer): the caller still sees the error.
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            FanoutLayer(redis_url=unreachable).group_send_many_threadsafe(
                [("room.1", {"type": "chat.event", "text": "y"}), ("room.2", {"type": "chat.event", "text": "z"})])
        except Exception as exc:  # noqa: BLE001 - what the test looks at
            errors.append(exc)

    thread = threading.Thread(target=publish)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert (STATS["publish_failed"], lost("publish_failed")) == (before[0] + 3, before[1] + 3)


async def test_a_slow_socket_closed_is_counted_for_operators_with_what_it_missed():
    socket = FakeSocket()
    writer, overflowed = make_writer(socket, limit=3)
    socket.writable.clear()
    before = prometheus("phare_fanout_sockets_closed_total", reason="slow"), lost("slow_socket")
    for i in range(6):
        writer.write("g", str(i))
    assert overflowed == [True]
    assert prometheus("phare_fanout_sockets_closed_total", reason="slow") == before[0] + 1
    assert lost("slow_socket") == before[1] + 3
