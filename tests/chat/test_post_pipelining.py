"""A socket's room posts are answered from their own task (chat.realtime.consumers `_answer_later`):
its next frames are read while a post waits for its batch, and its messages keep the order
it sent them in (one batch in flight on the event loop: chat.posting)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from chat import posting
from chat.models import Message
from tests.chat.loop_database import event_loop_path  # noqa: F401  (a fixture)

# Posts are answered from their own task on the event-loop path (without PostgreSQL:
# tests/chat/loop_database.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio,
              pytest.mark.usefixtures("event_loop_path")]


@pytest.fixture
def held_batches(monkeypatch):
    """Batches wait for `release` before they are stored (the batcher is made per event
    loop, after this patch, so it runs the wrapper)."""
    release = asyncio.Event()
    run = posting.post_on_loop

    async def held(posts):
        await release.wait()
        return await run(posts)

    monkeypatch.setattr(posting, "post_on_loop", held)
    return release


def allow_bursts() -> None:
    from accounts import throttling
    from accounts.models import RateLimitRule

    for name in ("room_message_account", "room_message_room"):
        RateLimitRule.objects.update_or_create(
            name=name, defaults={"limit": 100, "period_seconds": 60, "new_account_limit": 100})
    throttling.bump_policy_version()


async def test_posts_sent_without_waiting_are_stored_answered_and_delivered_in_order(make_user, adults_room,
                                                                                   ws_client):
    await sync_to_async(allow_bursts)()
    alice, bob = await sync_to_async(make_user)(pseudonym="alice"), await sync_to_async(make_user)(pseudonym="bob")
    a, b = await ws_client(alice), await ws_client(bob)
    assert (await a.request("room.join", room="cafe"))["type"] == "ack"
    assert (await b.request("room.join", room="cafe"))["type"] == "ack"
    bodies = [f"message {i}" for i in range(12)]  # more than MAX_POSTS_IN_FLIGHT
    for i, body in enumerate(bodies):
        await a.communicator.send_json_to({"type": "room.send", "id": f"s{i}", "room": "cafe", "body": body})
    acks = []
    while len(acks) < len(bodies):
        frame = await a.communicator.receive_json_from(timeout=5)
        if "id" in frame:
            acks.append(frame)
    assert {ack["type"] for ack in acks} == {"ack"}
    assert [ack["id"] for ack in acks] == [f"s{i}" for i in range(len(bodies))]
    assert [ack["message"]["body"] for ack in acks] == bodies
    ids = [int(ack["message"]["id"]) for ack in acks]
    assert ids == sorted(ids)
    received = [(await b.next_event())["message"]["body"] for _ in bodies]
    assert received == bodies
    stored = await sync_to_async(list)(Message.objects.filter(author=alice).order_by("id").values_list("body", flat=True))
    assert stored == bodies
    await a.close(), await b.close()


async def test_the_socket_reads_its_next_frame_while_a_post_waits_for_its_batch(adult, adults_room, ws_client,
                                                                               held_batches):
    client = await ws_client(adult)
    assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    await client.communicator.send_json_to({"type": "room.send", "id": "post", "room": "cafe", "body": "bonjour"})
    # Answered while the post is still held in its batch.
    history = await client.request("room.history", room="cafe")
    assert history["type"] == "ack" and history["messages"] == []
    held_batches.set()
    ack = await client.communicator.receive_json_from(timeout=5)
    while ack.get("id") != "post":
        ack = await client.communicator.receive_json_from(timeout=5)
    assert ack["type"] == "ack" and ack["message"]["body"] == "bonjour"
    await client.close()


async def test_a_post_refused_in_its_batch_is_answered_with_its_error(adult, adults_room, ws_client):
    client = await ws_client(adult)
    assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    # The length is checked in the batch (RoomBatch.check_open), so the refusal comes back
    # through the post's own task.
    answer = await client.request("room.send", room="cafe", body="x" * (adults_room.max_message_length + 1))
    assert answer["type"] == "error" and answer["error"]["code"] == "too_large"
    assert (await client.request("room.send", room="cafe", body="court"))["type"] == "ack"
    await client.close()


async def test_a_socket_closed_while_its_post_waits_leaves_the_post_stored(adult, adults_room, ws_client,
                                                                           held_batches):
    client = await ws_client(adult)
    assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    await client.communicator.send_json_to({"type": "room.send", "id": "post", "room": "cafe", "body": "au revoir"})
    await asyncio.sleep(0.1)  # the post reaches the batcher
    await client.close()
    held_batches.set()

    def stored() -> bool:
        return Message.objects.filter(author=adult, body="au revoir").exists()

    for _ in range(50):
        if await database_sync_to_async(stored)():
            break
        await asyncio.sleep(0.05)
    assert await database_sync_to_async(stored)()
    batcher = posting.room_posts()
    while batcher.busy:
        await asyncio.sleep(0.05)
