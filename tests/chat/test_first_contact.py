"""First-contact notices: a minor sees who writes to them for the first time, before the text."""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import AgeBand
from chat.models import FirstContactNotice, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def event_of(ws, kind: str) -> dict:
    event = await ws.next_event()
    while event["type"] != kind:
        event = await ws.next_event()
    return event


async def joined(ws_client, user, room: str):
    ws = await ws_client(user)
    assert (await ws.request("room.join", room=room))["type"] == "ack"
    return ws


def notices() -> list[tuple[str, str, str, str | None]]:
    return [(n.sender.pseudonym, n.recipient.pseudonym, n.kind, n.room and n.room.slug)
            for n in FirstContactNotice.objects.select_related("sender", "recipient", "room").order_by("pk")]


async def test_a_dm_request_to_a_minor_says_who_writes_before_the_text(make_user, minors_room, ws_client):
    tom = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "tom_k", language="en")
    lea = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "lea_b",
                                         date_joined=timezone.now() - dt.timedelta(days=3, hours=2))
    t, l = await joined(ws_client, tom, "college"), await joined(ws_client, lea, "college")
    assert (await l.request("dm.open", to="tom_k", body="salut ça va"))["type"] == "ack"
    notice = (await event_of(t, "dm.request"))["safety_prompt"]
    assert notice["code"] == "first_contact_minor"
    assert notice["from"]["pseudonym"] == "lea_b"
    assert notice["joined_days_ago"] == 3
    assert notice["shared_rooms"] == [{"slug": "college", "name": "Collège"}]
    assert notice["older_than_you"] is False
    assert "3 days ago" in notice["summary"] and "Collège" in notice["summary"]
    assert notice["actions"] == ["block_report", "tips"] and notice["safety_url"] == "/safety/"
    # Logged without the text: the row has no field that could hold it.
    assert await sync_to_async(notices)() == [("lea_b", "tom_k", "dm_request", None)]
    assert not {f.name for f in FirstContactNotice._meta.fields} & {"body", "text", "preview"}


async def test_a_minor_answered_in_a_room_by_someone_new_gets_one_notice(make_user, minors_room, ws_client):
    tom = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "tom_k", language="en")
    sam = await sync_to_async(make_user)(AgeBand.OLDER_TEEN, "sam_17")
    zoe = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "zoe_c")
    t = await joined(ws_client, tom, "college")
    s = await joined(ws_client, sam, "college")
    z = await joined(ws_client, zoe, "college")
    asked = (await t.request("room.send", room="college", body="qui joue à Mario Kart ?"))["message"]
    reply = await s.request("room.send", room="college", body="moi ! tu joues quand ?", reply_to=asked["id"])
    assert reply["type"] == "ack" and reply["message"]["reply_to"] == asked["id"]

    # The notice comes before the reply it announces.
    event = await t.next_event()
    while event["type"] == "room.message" and event["message"]["id"] == asked["id"]:
        event = await t.next_event()
    assert event["type"] == "first_contact"
    assert event["room"] == "college" and event["message"] == reply["message"]["id"]
    notice = event["notice"]
    assert notice["from"]["pseudonym"] == "sam_17" and notice["older_than_you"] is True
    assert "older than you" in notice["summary"]
    shown = await event_of(t, "room.message")
    assert shown["message"]["id"] == reply["message"]["id"] and shown["message"]["reply_to"] == asked["id"]

    # Once per pair: the next reply brings no second notice; nobody else gets one.
    await s.request("room.send", room="college", body="ce soir ?", reply_to=asked["id"])
    await event_of(t, "room.message")
    assert all(e["type"] != "first_contact" for e in t.events)
    assert await t.no_event() and all(e["type"] != "first_contact" for e in z.events)
    assert await sync_to_async(notices)() == [("sam_17", "tom_k", "room_reply", "college")]
    # A reply to one's own message or to an older teen from a younger one: no notice for tom.
    own = await t.request("room.send", room="college", body="ce soir oui", reply_to=asked["id"])
    assert own["type"] == "ack"
    await s.close(), await z.close()


async def test_no_notice_between_adults_nor_for_a_held_reply(make_user, adults_room, ws_client):
    ann = await sync_to_async(make_user)(AgeBand.ADULT, "ann_a")
    bob = await sync_to_async(make_user)(AgeBand.ADULT, "bob_b")
    a, b = await joined(ws_client, ann, "cafe"), await joined(ws_client, bob, "cafe")
    asked = (await a.request("room.send", room="cafe", body="un bon film ce soir ?"))["message"]
    answer = await b.request("room.send", room="cafe", body="Dune", reply_to=asked["id"])
    shown = await event_of(a, "room.message")
    while shown["message"]["id"] != answer["message"]["id"]:
        shown = await event_of(a, "room.message")
    assert await a.no_event() and await sync_to_async(FirstContactNotice.objects.count)() == 0


async def test_a_reply_answers_a_visible_message_of_the_same_room(make_user, adults_room, ws_client):
    ann = await sync_to_async(make_user)(AgeBand.ADULT, "ann_a")
    await sync_to_async(__import__("chat.services", fromlist=["create_room"]).create_room)(
        slug="jeux", name="Jeux", audience="adults")
    a = await joined(ws_client, ann, "cafe")
    assert (await a.request("room.join", room="jeux"))["type"] == "ack"
    elsewhere = (await a.request("room.send", room="jeux", body="salut"))["message"]
    refused = await a.request("room.send", room="cafe", body="réponse", reply_to=elsewhere["id"])
    assert refused["type"] == "error"
    assert refused["error"]["code"] == "not_found" and refused["error"]["field"] == "reply_to"
    refused = await a.request("room.send", room="cafe", body="réponse", reply_to="abc")
    assert refused["error"]["code"] == "bad_request" and refused["error"]["field"] == "reply_to"
    await sync_to_async(Message.objects.filter(pk=int(elsewhere["id"])).update)(status=Message.Status.REMOVED)
    refused = await a.request("room.send", room="jeux", body="réponse", reply_to=elsewhere["id"])
    assert refused["error"]["code"] == "not_found"
    # Nothing was stored by the refusals, and the socket is still usable.
    assert (await a.request("room.send", room="cafe", body="toujours là"))["type"] == "ack"
    assert await sync_to_async(Message.objects.filter(body="réponse").count)() == 0


async def test_the_notice_speaks_the_minors_language(make_user, minors_room, ws_client):
    tom = await sync_to_async(make_user)(AgeBand.YOUNG_TEEN, "tom_k", language="fr")
    sam = await sync_to_async(make_user)(AgeBand.OLDER_TEEN, "sam_17", language="en")
    t, s = await joined(ws_client, tom, "college"), await joined(ws_client, sam, "college")
    asked = (await t.request("room.send", room="college", body="quelqu'un a fini le devoir ?"))["message"]
    await s.request("room.send", room="college", body="oui", reply_to=asked["id"])
    notice = (await event_of(t, "first_contact"))["notice"]
    assert "plus âgée que toi" in notice["summary"] and "Vous êtes tous les deux dans" in notice["summary"]
