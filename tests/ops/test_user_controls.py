"""Block and mute by user id, over HTTP and WebSocket; muted authors hidden live and in history."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import UserBlock, UserMute
from chat import services as chat_services
from chat.models import Conversation

pytestmark = [pytest.mark.django_db(transaction=True)]


def api(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def post(client: Client, path: str, body: dict):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_block_over_http_ends_the_conversation_and_refuses_new_requests(make_user):
    alice, bob = make_user(pseudonym="alice"), make_user(pseudonym="bob")
    conversation = chat_services.open_conversation(sender=bob, to="alice", body="Salut !")
    response = post(api(alice), "/api/v1/me/blocks", {"user": str(bob.pk)})
    assert response.status_code == 201
    assert response.json()["block"]["user"] == {"id": str(bob.pk), "pseudonym": "bob"}
    assert Conversation.objects.get(pk=int(conversation["id"])).state == "blocked"
    # Blocking again changes nothing more.
    assert post(api(alice), "/api/v1/me/blocks", {"user": bob.pk}).status_code == 200
    assert UserBlock.objects.filter(blocker=alice, blocked=bob).count() == 1
    listed = api(alice).get("/api/v1/me/blocks").json()["blocks"]
    assert [b["user"]["id"] for b in listed] == [str(bob.pk)]


def test_blocked_user_cannot_send_a_request_even_without_a_previous_conversation(make_user):
    alice, bob = make_user(pseudonym="alice"), make_user(pseudonym="bob")
    assert post(api(alice), "/api/v1/me/blocks", {"user": str(bob.pk)}).status_code == 201
    from core.errors import PhareError

    with pytest.raises(PhareError) as refused:
        chat_services.open_conversation(sender=bob, to="alice", body="Coucou")
    # As for an account that does not exist: the blocked person is not told.
    assert refused.value.code == "not_found"


def test_unblock_and_unmute_answer_404_when_there_was_nothing(make_user):
    alice, bob = make_user(pseudonym="alice"), make_user(pseudonym="bob")
    assert api(alice).delete(f"/api/v1/me/blocks/{bob.pk}").status_code == 404
    assert api(alice).delete(f"/api/v1/me/mutes/{bob.pk}").status_code == 404
    post(api(alice), "/api/v1/me/mutes", {"user": str(bob.pk)})
    assert api(alice).delete(f"/api/v1/me/mutes/{bob.pk}").status_code == 204
    assert not UserMute.objects.filter(muter=alice).exists()


def test_controls_refuse_oneself_unknown_ids_and_anonymous_callers(make_user):
    alice = make_user(pseudonym="alice")
    assert post(api(alice), "/api/v1/me/mutes", {"user": str(alice.pk)}).status_code == 404
    assert post(api(alice), "/api/v1/me/mutes", {"user": "999999"}).status_code == 404
    assert post(api(alice), "/api/v1/me/mutes", {"user": ["x"]}).json()["error"]["code"] == "bad_request"
    anonymous = Client(HTTP_HOST="localhost")
    assert anonymous.get("/api/v1/me/blocks").status_code == 401


@pytest.mark.asyncio
async def test_muted_author_is_hidden_live_and_in_history_for_the_muter_only(make_user, adults_room, ws_client):
    alice = await sync_to_async(make_user)(pseudonym="alice")
    bob = await sync_to_async(make_user)(pseudonym="bob")
    carol = await sync_to_async(make_user)(pseudonym="carol")
    a, b, c = await ws_client(alice), await ws_client(bob), await ws_client(carol)
    for ws in (a, b, c):
        assert (await ws.request("room.join", room="cafe"))["type"] == "ack"
    await b.request("room.send", room="cafe", body="avant la sourdine")
    assert (await a.next_event())["message"]["body"] == "avant la sourdine"
    await c.next_event()

    ack = await a.request("user.mute", user=str(bob.pk))
    assert ack["type"] == "ack" and ack["mute"]["user"]["id"] == str(bob.pk)
    await b.request("room.send", room="cafe", body="pendant la sourdine")
    # Carol still sees Bob; Alice does not, and Bob is not told anything.
    assert (await c.next_event())["message"]["body"] == "pendant la sourdine"
    assert await a.no_event(timeout=0.5)
    await c.request("room.send", room="cafe", body="carol parle")
    assert (await a.next_event())["message"]["body"] == "carol parle"
    history = await a.request("room.history", room="cafe")
    assert "pendant la sourdine" not in [m["body"] for m in history["messages"]]
    assert "carol parle" in [m["body"] for m in history["messages"]]

    assert (await a.request("user.unmute", user=str(bob.pk)))["type"] == "ack"
    await b.request("room.send", room="cafe", body="après la sourdine")
    assert (await a.next_event())["message"]["body"] == "après la sourdine"
    for ws in (a, b, c):
        await ws.close()


@pytest.mark.asyncio
async def test_mute_over_http_reaches_the_open_socket(make_user, adults_room, ws_client):
    alice = await sync_to_async(make_user)(pseudonym="alice")
    bob = await sync_to_async(make_user)(pseudonym="bob")
    a, b = await ws_client(alice), await ws_client(bob)
    await a.request("room.join", room="cafe")
    await b.request("room.join", room="cafe")
    response = await sync_to_async(lambda: post(api(alice), "/api/v1/me/mutes", {"user": str(bob.pk)}))()
    assert response.status_code == 201
    # The refresh travels through the channel layer; a frame round trip lets it arrive first.
    await a.request("user.controls")
    await b.request("room.send", room="cafe", body="tu ne me vois pas")
    assert await a.no_event(timeout=0.5)
    await a.close(), await b.close()


@pytest.mark.asyncio
async def test_block_frame_ends_the_conversation_for_both_sockets(make_user, ws_client):
    alice = await sync_to_async(make_user)(pseudonym="alice")
    bob = await sync_to_async(make_user)(pseudonym="bob")
    a, b = await ws_client(alice), await ws_client(bob)
    opened = await b.request("dm.open", to="alice", body="Bonjour Alice")
    assert opened["type"] == "ack"
    assert (await a.next_event())["type"] == "dm.request"
    ack = await a.request("user.block", user=str(bob.pk))
    assert ack["type"] == "ack" and ack["block"]["user"]["pseudonym"] == "bob"
    declined = await b.next_event()
    assert declined["type"] == "dm.declined"
    assert declined["conversation"]["id"] == opened["conversation"]["id"]
    controls = await a.request("user.controls")
    assert [x["user"]["id"] for x in controls["blocks"]] == [str(bob.pk)]
    assert controls["mutes"] == []
    refused = await b.request("dm.send", conversation=opened["conversation"]["id"], body="encore")
    assert refused["error"]["code"] == "contact_not_allowed"
    await a.close(), await b.close()
