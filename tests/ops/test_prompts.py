"""First-contact safety prompt for minors, and the contact-details warning in acks."""

import pytest
from asgiref.sync import sync_to_async

from accounts.models import AgeBand

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_minor_receiving_a_dm_request_gets_a_safety_prompt(make_user, minors_room, ws_client):
    tom = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "tom_k")
    lea = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "lea_b")
    t, l = await ws_client(tom), await ws_client(lea)
    # Minors accept requests from people in their rooms by default.
    await t.request("room.join", room="college")
    await l.request("room.join", room="college")
    assert (await l.request("dm.open", to="tom_k", body="salut ça va"))["type"] == "ack"
    event = await t.next_event()
    while event["type"] != "dm.request":
        event = await t.next_event()
    prompt = event["safety_prompt"]
    assert prompt["code"] == "first_contact_minor" and prompt["safety_url"] == "/safety/"
    assert prompt["message"]
    await t.close(), await l.close()


async def test_adult_receiving_a_dm_request_gets_no_safety_prompt(make_user, ws_client):
    alice = await sync_to_async(make_user)(pseudonym="alice")
    bob = await sync_to_async(make_user)(pseudonym="bob")
    a, b = await ws_client(alice), await ws_client(bob)
    await b.request("dm.open", to="alice", body="Bonjour")
    event = await a.next_event()
    assert event["type"] == "dm.request" and "safety_prompt" not in event
    await a.close(), await b.close()


async def test_sharing_a_phone_number_in_an_adult_conversation_is_delivered_with_a_warning(make_user, ws_client):
    alice = await sync_to_async(make_user)(pseudonym="alice")
    bob = await sync_to_async(make_user)(pseudonym="bob")
    a, b = await ws_client(alice), await ws_client(bob)
    opened = await b.request("dm.open", to="alice", body="Bonjour")
    await a.next_event()
    await a.request("dm.accept", conversation=opened["conversation"]["id"])
    ack = await a.request("dm.send", conversation=opened["conversation"]["id"], body="appelle-moi au 06 12 34 56 78")
    assert ack["type"] == "ack" and ack["message"]["status"] == "delivered"
    warning = ack["contact_warning"]
    assert warning["code"] == "contact_details" and "contact_phone" in warning["reasons"]
    plain = await a.request("dm.send", conversation=opened["conversation"]["id"], body="à demain alors")
    assert "contact_warning" not in plain
    await a.close(), await b.close()


async def test_phone_number_in_a_minors_room_is_refused_not_warned(make_user, minors_room, ws_client):
    tom = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "tom_k")
    t = await ws_client(tom)
    await t.request("room.join", room="college")
    answer = await t.request("room.send", room="college", body="mon num 06 12 34 56 78")
    assert answer["type"] == "error" and answer["error"]["code"] == "blocked_by_policy"
    await t.close()
