import pytest
from asgiref.sync import sync_to_async

from accounts.models import AgeBand
from chat import services as chat_services
from chat.models import Message
from tests.conftest import Ws, connect_ws

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_socket_without_session_is_closed_with_4001():
    communicator, connected = await connect_ws(None)
    assert connected
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4001}


async def test_socket_from_a_foreign_origin_is_refused(adult):
    communicator, connected = await connect_ws(adult, origin="https://evil.example")
    assert not connected


async def test_suspended_account_is_closed_with_4003(make_user):
    from datetime import timedelta

    from django.utils import timezone

    user = await sync_to_async(make_user)(AgeBand.ADULT, suspended_until=timezone.now() + timedelta(days=1))
    communicator, connected = await connect_ws(user)
    assert connected
    assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4003}


async def test_message_reaches_every_member_of_the_room(make_user, adults_room, ws_client):
    alice, bob = await sync_to_async(make_user)(pseudonym="alice"), await sync_to_async(make_user)(pseudonym="bob")
    a, b = await ws_client(alice), await ws_client(bob)
    assert (await a.request("room.join", room="cafe"))["type"] == "ack"
    assert (await b.request("room.join", room="cafe"))["type"] == "ack"
    ack = await a.request("room.send", room="cafe", body="Bonjour tout le monde")
    assert ack["type"] == "ack" and ack["message"]["status"] == "delivered"
    event = await b.next_event()
    assert event["type"] == "room.message" and event["room"] == "cafe"
    assert event["message"]["body"] == "Bonjour tout le monde"
    assert event["message"]["author"] == {"id": str(alice.pk), "pseudonym": "alice"}
    assert event["message"]["id"] == ack["message"]["id"]
    await a.close(), await b.close()


async def test_minor_can_neither_see_nor_join_an_adults_room(minor, adults_room, ws_client):
    client = await ws_client(minor)
    answer = await client.request("room.join", room="cafe")
    assert answer["type"] == "error" and answer["error"]["code"] == "not_found"
    answer = await client.request("room.send", room="cafe", body="hello")
    assert answer["error"]["code"] == "not_member"
    await client.close()


async def test_adult_cannot_join_a_minors_room(adult, minors_room, ws_client):
    client = await ws_client(adult)
    answer = await client.request("room.join", room="college")
    assert answer["error"]["code"] == "not_found"
    await client.close()


async def test_room_needing_stronger_assurance_answers_assurance_required(adult, ws_client):
    await sync_to_async(chat_services.create_room)(slug="verified", name="V", audience="adults", min_assurance="verified")
    client = await ws_client(adult)
    answer = await client.request("room.join", room="verified")
    assert answer["error"]["code"] == "assurance_required"
    await client.close()


async def test_history_is_cursor_paginated(adult, adults_room, ws_client):
    for i in range(7):
        await sync_to_async(Message.objects.create)(room=adults_room, author=adult, body=f"m{i}")
    client = await ws_client(adult)
    joined = await client.request("room.join", room="cafe")
    assert [m["body"] for m in joined["history"]][-3:] == ["m4", "m5", "m6"]
    page = await client.request("room.history", room="cafe", limit=3)
    assert [m["body"] for m in page["messages"]] == ["m4", "m5", "m6"]
    older = await client.request("room.history", room="cafe", before=page["messages"][0]["id"], limit=3)
    assert [m["body"] for m in older["messages"]] == ["m1", "m2", "m3"]
    await client.close()


@pytest.mark.parametrize(
    "frame",
    [
        "not json at all",
        "[1, 2]",
        '{"type": "room.send", "room": "cafe", "body": "no id"}',
        '{"type": "teleport", "id": "x"}',
        '{"type": "room.send", "id": "x", "room": "cafe"}',
        '{"type": "room.send", "id": "x", "room": ["cafe"], "body": "b"}',
        '{"type": "room.history", "id": "x", "room": "cafe", "limit": "many"}',
    ],
)
async def test_malformed_frame_gets_bad_request_and_the_socket_stays_open(adult, adults_room, ws_client, frame):
    client = await ws_client(adult)
    await client.communicator.send_to(text_data=frame)
    answer = await client.communicator.receive_json_from(timeout=3)
    assert answer["type"] == "error" and answer["error"]["code"] == "bad_request"
    assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    await client.close()


async def test_repeated_malformed_frames_close_with_4400(adult, ws_client):
    client = await ws_client(adult)
    for _ in range(10):
        await client.communicator.send_to(text_data="{")
    outputs = []
    while True:
        output = await client.communicator.receive_output(timeout=3)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert outputs[-1]["code"] == 4400


async def test_frame_over_64_kib_is_refused_with_too_large(adult, adults_room, ws_client):
    client = await ws_client(adult)
    await client.communicator.send_to(text_data='{"type":"room.send","id":"big","room":"cafe","body":"' + "a" * 70000 + '"}')
    answer = await client.communicator.receive_json_from(timeout=3)
    assert answer["error"]["code"] == "too_large"
    assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    await client.close()


async def test_body_over_the_room_maximum_is_too_large(adult, adults_room, ws_client):
    client = await ws_client(adult)
    await client.request("room.join", room="cafe")
    answer = await client.request("room.send", room="cafe", body="a" * 1001)
    assert answer["error"]["code"] == "too_large"
    await client.close()


async def test_slow_mode_refuses_a_second_message_with_retry_after(adult, ws_client):
    await sync_to_async(chat_services.create_room)(slug="slow", name="Slow", audience="adults", slow_mode_seconds=30)
    client = await ws_client(adult)
    await client.request("room.join", room="slow")
    assert (await client.request("room.send", room="slow", body="first"))["type"] == "ack"
    answer = await client.request("room.send", room="slow", body="second")
    assert answer["error"]["code"] == "rate_limited" and 28 <= answer["error"]["retry_after"] <= 30
    await client.close()


async def test_leaving_a_room_stops_its_messages(make_user, adults_room, ws_client):
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    a, b = await ws_client(alice), await ws_client(bob)
    await a.request("room.join", room="cafe")
    await b.request("room.join", room="cafe")
    assert (await b.request("room.leave", room="cafe"))["type"] == "ack"
    await a.request("room.send", room="cafe", body="anyone?")
    assert await b.no_event()
    await a.close(), await b.close()


async def test_muted_user_is_refused(make_user, adults_room, ws_client):
    from datetime import timedelta

    from django.utils import timezone

    user = await sync_to_async(make_user)(muted_until=timezone.now() + timedelta(minutes=5))
    client = await ws_client(user)
    await client.request("room.join", room="cafe")
    answer = await client.request("room.send", room="cafe", body="hello")
    assert answer["error"]["code"] == "muted" and answer["error"]["retry_after"] > 0
    await client.close()
