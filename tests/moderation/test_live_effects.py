"""Decisions take effect on live sockets at once; moderators' sockets see the queue move."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from moderation.services.appeal import decide_appeal, file_appeal
from moderation.services.claim import claim_case
from moderation.services.decide import decide_case
from moderation.services.report import file_report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _event_of(ws, kind: str, timeout: float = 3):
    while True:
        event = await ws.next_event(timeout=timeout)
        if event.get("type") == kind:
            return event


async def _user_report(make_user, reporter_name, target, category="harassment"):
    reporter = await sync_to_async(make_user)(pseudonym=reporter_name)
    return await sync_to_async(file_report)(reporter=reporter, target=target, category=category,
                                            details="", good_faith=True)


async def test_muted_users_next_message_is_refused(make_user, adults_room, moderator, ws_client):
    author = await sync_to_async(make_user)(pseudonym="chatty")
    ws = await ws_client(author)
    await ws.request("room.join", room="cafe")
    assert (await ws.request("room.send", room="cafe", body="avant"))["type"] == "ack"
    report = await _user_report(make_user, "rep_mute", {"user": str(author.pk)})
    await sync_to_async(decide_case)(moderator=moderator, case_id=report.case_id, action="mute",
                                     reason_code="harassment", duration_seconds=600)
    notice = await _event_of(ws, "notice")
    assert notice["action"] == "mute" and notice["reason_code"] == "harassment"
    answer = await ws.request("room.send", room="cafe", body="après")
    assert answer["type"] == "error" and answer["error"]["code"] == "muted"
    await ws.close()


async def test_banned_users_sockets_close_with_4003(make_user, adults_room, moderator, ws_client):
    author = await sync_to_async(make_user)(pseudonym="to_ban")
    ws = await ws_client(author)
    report = await _user_report(make_user, "rep_ban", {"user": str(author.pk)})
    await sync_to_async(decide_case)(moderator=moderator, case_id=report.case_id, action="ban",
                                     reason_code="harassment")
    while True:
        output = await ws.communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4003
            break


async def test_removed_message_disappears_from_every_client_and_comes_back_on_reversal(
        make_user, adults_room, moderator, moderator2, ws_client):
    alice = await sync_to_async(make_user)(pseudonym="alice_r")
    bob = await sync_to_async(make_user)(pseudonym="bob_r")
    a, b = await ws_client(alice), await ws_client(bob)
    await a.request("room.join", room="cafe")
    await b.request("room.join", room="cafe")
    sent = await a.request("room.send", room="cafe", body="phrase litigieuse")
    message_id = sent["message"]["id"]
    await _event_of(b, "room.message")
    report = await _user_report(make_user, "rep_rm", {"message": message_id})
    await sync_to_async(decide_case)(moderator=moderator, case_id=report.case_id,
                                     action="remove_message", reason_code="harassment")
    for ws in (a, b):
        removed = await _event_of(ws, "message.removed")
        assert removed == {"type": "message.removed", "room": "cafe", "message_id": message_id}
    history = await b.request("room.history", room="cafe")
    assert message_id not in [m["id"] for m in history["messages"]]
    notice = await _event_of(a, "notice")
    appeal = await sync_to_async(file_appeal)(user=alice, notice_id=notice["id"], reason="citation")
    await sync_to_async(decide_appeal)(moderator=moderator2, appeal_id=appeal.pk, outcome="reversed")
    for ws in (a, b):
        back = await _event_of(ws, "room.message")
        assert back["message"]["id"] == message_id and back["message"]["body"] == "phrase litigieuse"
    history = await b.request("room.history", room="cafe")
    assert message_id in [m["id"] for m in history["messages"]]
    await a.close(), await b.close()


async def test_moderators_sockets_see_new_cases_and_claims(make_user, moderator, ws_client):
    mod_ws = await ws_client(moderator)
    subject = await sync_to_async(make_user)(pseudonym="queued_s")
    report = await _user_report(make_user, "rep_q", {"user": str(subject.pk)}, "threat")
    event = await _event_of(mod_ws, "moderation.case")
    assert event["case"]["id"] == str(report.case_id) and event["case"]["priority"] > 0
    await sync_to_async(claim_case)(moderator=moderator, case_id=report.case_id)
    claimed = await _event_of(mod_ws, "moderation.case")
    assert claimed["case"]["status"] == "claimed" and claimed["case"]["assigned_to"] == str(moderator.pk)
    await mod_ws.close()


async def test_ordinary_users_do_not_receive_moderation_events(make_user, adult, ws_client):
    ws = await ws_client(adult)
    subject = await sync_to_async(make_user)(pseudonym="quiet_s")
    await _user_report(make_user, "rep_quiet", {"user": str(subject.pk)})
    assert await ws.no_event(timeout=0.5)
    await ws.close()


async def test_locked_room_refuses_the_next_message_on_live_sockets(make_user, adults_room, moderator, ws_client):
    member = await sync_to_async(make_user)(pseudonym="in_room")
    ws = await ws_client(member)
    await ws.request("room.join", room="cafe")
    report = await _user_report(make_user, "rep_lock", {"room": "cafe"}, "other")
    await sync_to_async(decide_case)(moderator=moderator, case_id=report.case_id, action="lock_room",
                                     reason_code="other")
    for _attempt in range(20):
        answer = await ws.request("room.send", room="cafe", body="encore là ?")
        if answer["type"] == "error":
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert answer["type"] == "error" and answer["error"]["code"] == "room_locked"
    await ws.close()
