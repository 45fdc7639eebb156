"""Sanctions, blocks, mutes and removals reach open sockets through the database when their
live event is lost (Redis down): every service that changes what a socket holds raises the
account's `sanction_version`, and the watcher (chat.realtime.watcher) has the socket read its
state again when it sees the new version. Without a new version a tick reads nothing more."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from accounts import controls as account_controls
from accounts import services as account_services
from accounts.models import AgeBand, User
from chat.realtime import consumers, watcher
from tests.security.test_sessions_end import _sanction, closed_with, lost_controls  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def in_cafe(ws_client, *users: User):
    clients = [await ws_client(user) for user in users]
    for client in clients:
        assert (await client.request("room.join", room="cafe"))["type"] == "ack"
    return clients


async def test_a_block_made_while_its_event_is_lost_hides_the_blocked_person_s_room_messages(
        make_user, adults_room, ws_client, lost_controls):  # noqa: F811
    alice, bob, carol = [await sync_to_async(make_user)() for _ in range(3)]
    a, b, c = await in_cafe(ws_client, alice, bob, carol)
    await sync_to_async(account_controls.block_user)(user=alice, target_id=str(bob.pk))
    assert lost_controls, "the live event was tried, and lost"
    await watcher.for_this_loop().tick()
    assert (await b.request("room.send", room="cafe", body="toujours là"))["type"] == "ack"
    assert (await c.next_event())["message"]["body"] == "toujours là"
    assert await a.no_event(timeout=0.5)
    # Unblocking shows their messages again, the same way.
    await sync_to_async(account_controls.unblock_user)(user=alice, target_id=str(bob.pk))
    await watcher.for_this_loop().tick()
    assert (await b.request("room.send", room="cafe", body="de retour"))["type"] == "ack"
    assert (await a.next_event())["message"]["body"] == "de retour"


async def test_a_mute_decided_while_its_event_is_lost_stops_the_open_socket_posting(
        make_user, adults_room, ws_client, lost_controls):  # noqa: F811
    bob = await sync_to_async(make_user)()
    (b,) = await in_cafe(ws_client, bob)
    await sync_to_async(_sanction)(bob, "mute")
    await watcher.for_this_loop().tick()
    answer = await b.request("room.send", room="cafe", body="encore")
    assert answer["type"] == "error" and answer["error"]["code"] == "muted"


async def test_a_ban_decided_while_its_event_is_lost_closes_the_open_socket(
        make_user, adults_room, ws_client, lost_controls):  # noqa: F811
    bob = await sync_to_async(make_user)()
    (b,) = await in_cafe(ws_client, bob)
    await sync_to_async(_sanction)(bob, "ban")
    await watcher.for_this_loop().tick()
    assert await closed_with(b.communicator, within=2) == 4003


async def test_an_account_asked_to_prove_its_age_again_reads_no_room_even_if_the_event_is_lost(
        make_user, adults_room, ws_client, lost_controls):  # noqa: F811
    alice, bob = [await sync_to_async(make_user)() for _ in range(2)]
    a, b = await in_cafe(ws_client, alice, bob)
    await sync_to_async(account_services.require_reassurance)(user=bob, reason="age_statement")
    await watcher.for_this_loop().tick()
    assert (await a.request("room.send", room="cafe", body="vous êtes là ?"))["type"] == "ack"
    assert await b.no_event(timeout=0.5)
    answer = await b.request("room.send", room="cafe", body="moi")
    assert answer["type"] == "error" and answer["error"]["code"] == "assurance_required"


async def test_a_room_the_account_was_taken_out_of_is_left_even_if_the_event_is_lost(
        make_user, minors_room, ws_client, lost_controls):  # noqa: F811
    teen, other = await sync_to_async(make_user)(AgeBand.OLDER_TEEN), await sync_to_async(make_user)(AgeBand.OLDER_TEEN)
    clients = [await ws_client(user) for user in (teen, other)]
    for client in clients:
        assert (await client.request("room.join", room="college"))["type"] == "ack"
    # Turning 18 takes the account out of the minors' rooms (its membership is deleted).
    assert await sync_to_async(account_services.refresh_age_band)(user=teen, today=teen.band_until)
    await watcher.for_this_loop().tick()
    assert (await clients[1].request("room.send", room="college", body="salut"))["type"] == "ack"
    assert await clients[0].no_event(timeout=0.5)
    answer = await clients[0].request("room.send", room="college", body="x")
    assert answer["type"] == "error" and answer["error"]["code"] == "not_member"


async def test_a_tick_without_a_new_version_reads_nothing_more_than_the_accounts(
        make_user, adults_room, ws_client, monkeypatch):
    alice = await sync_to_async(make_user)()
    await in_cafe(ws_client, alice)
    reads: list[int] = []
    held_state = consumers._held_state
    monkeypatch.setattr(consumers, "_held_state", lambda user_id: reads.append(user_id) or held_state(user_id))
    await watcher.for_this_loop().tick()
    assert reads == []
    await sync_to_async(account_services.bump_sanction_version)(user_id=alice.pk)
    await watcher.for_this_loop().tick()
    assert reads == [alice.pk]
