"""A socket whose delivery raises is closed (1011) and the room's other sockets still get the
room's events (chat.realtime.fanout's reader, the consumer's `_delivery_failed`)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.realtime.consumers import CLOSE_INTERNAL_ERROR, ChatConsumer
from chat.realtime.fanout import STATS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_a_socket_whose_delivery_raises_is_closed_and_the_others_read_on(
        make_user, adults_room, ws_client, monkeypatch):
    alice, bob, carol = [await sync_to_async(make_user)() for _ in range(3)]
    real_event_text = ChatConsumer._event_text

    def event_text(self, event):
        if self.user.pk == bob.pk:
            raise ValueError("a bug met only on bob's socket")
        return real_event_text(self, event)

    monkeypatch.setattr(ChatConsumer, "_event_text", event_text)
    a, b, c = await ws_client(alice), await ws_client(bob), await ws_client(carol)
    for client in (a, b, c):
        assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    before = STATS["sockets_failed"]

    assert (await a.request("room.send", room="cafe", body="premier"))["type"] == "ack"
    assert (await c.next_event())["message"]["body"] == "premier"
    assert await b.communicator.receive_output(timeout=3) == {"type": "websocket.close",
                                                                "code": CLOSE_INTERNAL_ERROR}
    assert STATS["sockets_failed"] == before + 1

    assert (await a.request("room.send", room="cafe", body="second"))["type"] == "ack"
    assert (await c.next_event())["message"]["body"] == "second"
    assert STATS["sockets_failed"] == before + 1  # closed once, counted once
    await a.close(), await c.close()
