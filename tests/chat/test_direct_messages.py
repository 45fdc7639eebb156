import pytest
from asgiref.sync import sync_to_async

from accounts.models import AgeBand, UserBlock
from chat.models import Conversation, Membership

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def users(make_user, *bands):
    return [await sync_to_async(make_user)(band) for band in bands]


async def test_adult_cannot_open_dm_with_minor(make_user, ws_client):
    grown, teen = await users(make_user, AgeBand.ADULT, AgeBand.YOUNG_TEEN)
    teen_socket = await ws_client(teen)
    client = await ws_client(grown)
    for to in (str(teen.pk), teen.pseudonym):
        answer = await client.request("dm.open", to=to, body="salut")
        # The same answer as for an account that does not exist (docs/protocol.md).
        assert answer["type"] == "error" and answer["error"]["code"] == "not_found"
    assert await teen_socket.no_event()
    assert not await sync_to_async(Conversation.objects.exists)()
    await client.close(), await teen_socket.close()


async def test_minor_cannot_open_dm_with_adult(make_user, ws_client):
    teen, grown = await users(make_user, AgeBand.OLDER_TEEN, AgeBand.ADULT)
    client = await ws_client(teen)
    answer = await client.request("dm.open", to=str(grown.pk), body="salut")
    assert answer["error"]["code"] == "not_found"
    await client.close()


async def test_after_the_request_nothing_reaches_the_recipient_until_they_accept(make_user, ws_client):
    ann, ben = await users(make_user, AgeBand.ADULT, AgeBand.ADULT)
    a, b = await ws_client(ann), await ws_client(ben)
    opened = await a.request("dm.open", to=ben.pseudonym, body="Bonjour, on discute ?")
    assert opened["type"] == "ack" and opened["conversation"]["state"] == "requested"
    conversation_id = opened["conversation"]["id"]
    request_event = await b.next_event()
    assert request_event["type"] == "dm.request"
    assert request_event["from"] == {"id": str(ann.pk), "pseudonym": ann.pseudonym}
    assert request_event["preview"] == "Bonjour, on discute ?"

    refused = await a.request("dm.send", conversation=conversation_id, body="tu es là ?")
    assert refused["error"]["code"] == "dm_request_pending"
    again = await a.request("dm.open", to=ben.pseudonym, body="allô ?")
    assert again["error"]["code"] == "dm_request_pending"
    assert await b.no_event()

    accepted = await b.request("dm.accept", conversation=conversation_id)
    assert accepted["conversation"]["state"] == "accepted"
    assert (await a.next_event())["type"] == "dm.accepted"
    sent = await a.request("dm.send", conversation=conversation_id, body="Merci !")
    assert sent["message"]["status"] == "delivered"
    events = [await b.next_event(), await b.next_event()]
    message_events = [e for e in events if e["type"] == "dm.message"]
    assert message_events and message_events[0]["message"]["body"] == "Merci !"
    await a.close(), await b.close()


async def test_declined_request_cannot_be_sent_again(make_user, ws_client):
    ann, ben = await users(make_user, AgeBand.ADULT, AgeBand.ADULT)
    a, b = await ws_client(ann), await ws_client(ben)
    opened = await a.request("dm.open", to=str(ben.pk), body="hello")
    await b.next_event()
    declined = await b.request("dm.decline", conversation=opened["conversation"]["id"])
    assert declined["conversation"]["state"] == "declined"
    assert (await a.next_event())["type"] == "dm.declined"
    answer = await a.request("dm.open", to=str(ben.pk), body="please")
    assert answer["error"]["code"] == "not_found"
    await a.close(), await b.close()


async def test_block_ends_the_conversation_and_prevents_new_requests(make_user, ws_client):
    ann, ben = await users(make_user, AgeBand.ADULT, AgeBand.ADULT)
    a, b = await ws_client(ann), await ws_client(ben)
    opened = await a.request("dm.open", to=str(ben.pk), body="hello")
    await b.next_event()
    await b.request("dm.accept", conversation=opened["conversation"]["id"])
    blocked = await b.request("dm.block", conversation=opened["conversation"]["id"])
    assert blocked["conversation"]["state"] == "blocked"
    assert await sync_to_async(UserBlock.objects.filter(blocker=ben, blocked=ann).exists)()
    answer = await a.request("dm.send", conversation=opened["conversation"]["id"], body="why?")
    assert answer["error"]["code"] == "contact_not_allowed"
    await a.close(), await b.close()


async def test_only_the_recipient_can_accept(make_user, ws_client):
    ann, ben = await users(make_user, AgeBand.ADULT, AgeBand.ADULT)
    a = await ws_client(ann)
    opened = await a.request("dm.open", to=str(ben.pk), body="hello")
    answer = await a.request("dm.accept", conversation=opened["conversation"]["id"])
    assert answer["error"]["code"] == "conflict"
    await a.close()


async def test_strangers_cannot_see_someone_elses_conversation(make_user, ws_client):
    ann, ben, eve = await users(make_user, AgeBand.ADULT, AgeBand.ADULT, AgeBand.ADULT)
    a, e = await ws_client(ann), await ws_client(eve)
    opened = await a.request("dm.open", to=str(ben.pk), body="hello")
    for frame_type in ("dm.accept", "dm.decline", "dm.block", "dm.history"):
        answer = await e.request(frame_type, conversation=opened["conversation"]["id"])
        assert answer["error"]["code"] == "not_found"
    await a.close(), await e.close()


async def test_minors_default_policy_needs_a_shared_room(make_user, minors_room, ws_client):
    # Two 13-15s: by default a DM stays within one band (tests/chat/test_contact_bands.py).
    tom, lea = await users(make_user, AgeBand.YOUNG_TEEN, AgeBand.YOUNG_TEEN)
    t = await ws_client(tom)
    answer = await t.request("dm.open", to=str(lea.pk), body="salut")
    assert answer["error"]["code"] == "not_found"
    await sync_to_async(Membership.objects.create)(room=minors_room, user=tom)
    await sync_to_async(Membership.objects.create)(room=minors_room, user=lea)
    answer = await t.request("dm.open", to=str(lea.pk), body="salut")
    assert answer["type"] == "ack"
    await t.close()


async def test_dm_policy_nobody_refuses_every_request(make_user, ws_client):
    ann, ben = await users(make_user, AgeBand.ADULT, AgeBand.ADULT)
    ben.dm_policy = "nobody"
    await sync_to_async(ben.save)()
    a = await ws_client(ann)
    assert (await a.request("dm.open", to=str(ben.pk), body="hi"))["error"]["code"] == "not_found"
    await a.close()


async def test_dm_list_shows_accepted_and_pending(make_user, ws_client):
    ann, ben, cat = await users(make_user, AgeBand.ADULT, AgeBand.ADULT, AgeBand.ADULT)
    a, b = await ws_client(ann), await ws_client(ben)
    first = await a.request("dm.open", to=str(ben.pk), body="one")
    await b.request("dm.accept", conversation=first["conversation"]["id"])
    await a.request("dm.open", to=str(cat.pk), body="two")
    listing = await a.request("dm.list")
    states = sorted(c["state"] for c in listing["conversations"])
    assert states == ["accepted", "requested"]
    history = await a.request("dm.history", conversation=first["conversation"]["id"])
    assert [m["body"] for m in history["messages"]] == ["one"]
    await a.close(), await b.close()


@pytest.mark.parametrize("conversation", ["9" * 19, "9" * 5000, "²", "-1"])
async def test_an_id_that_cannot_name_a_row_is_not_found(adult, ws_client, conversation):
    client = await ws_client(adult)
    answer = await client.request("dm.send", conversation=conversation[:20], body="hello")
    assert answer["error"]["code"] in ("not_found", "bad_request")
    await client.close()
