"""The WebSocket side of the authorisation matrix: every role connects (or is refused with its
close code) and tries each action on its own things, on other people's conversations and on
the other audience's rooms, users and messages. Refusals are error frames that leak nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import connect_ws
from tests.security.world import ROLES, World, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(make_user, generous_limits, settings) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(make_user)


async def answer(communicator, frame: dict[str, Any]) -> dict[str, Any]:
    await communicator.send_to(text_data=json.dumps(frame))
    while True:
        output = await communicator.receive_output(timeout=10)
        assert output["type"] == "websocket.send", f"socket closed on {frame}: {output}"
        reply = json.loads(output["text"])
        if reply.get("id") == frame["id"]:
            return reply


def refused(reply: dict, world: World, *codes: str) -> None:
    assert reply["type"] == "error", reply
    if codes:
        assert reply["error"]["code"] in codes, reply
    text = json.dumps(reply, ensure_ascii=False)
    for secret in world.secrets():
        assert secret not in text, f"leaked {secret!r}: {reply}"


@pytest.mark.parametrize("role", ["visitor", "suspended"])
async def test_refused_roles_are_closed_with_their_code(world, role):
    communicator, connected = await connect_ws(None if role == "visitor" else world.users[role])
    if connected:
        output = await communicator.receive_output(timeout=5)
        assert output["type"] == "websocket.close"
        assert output["code"] == (4001 if role == "visitor" else 4003)
    await communicator.disconnect()


@pytest.mark.parametrize("role", [r for r in ROLES if r not in {"visitor", "suspended"}])
async def test_ws_matrix(world, role):
    user = world.users[role]
    own_room, other_room = ((world.minors_room, world.adults_room) if user.is_minor
                            else (world.adults_room, world.minors_room))
    other_audience_user = world.ids["adult_user"] if user.is_minor else world.ids["minor_user"]
    other_audience_message = world.ids["message"] if user.is_minor else world.ids["minor_message"]
    communicator, connected = await connect_ws(user)
    assert connected
    n = iter(range(1, 1000))

    def frame(type_: str, **fields) -> dict:
        return {"type": type_, "id": f"m{next(n)}", **fields}

    try:
        # Rooms of the other audience do not exist for you.
        refused(await answer(communicator, frame("room.join", room=other_room.slug)), world, "not_found")
        refused(await answer(communicator, frame("room.history", room=other_room.slug)), world,
                "not_found", "not_member")
        refused(await answer(communicator, frame("room.send", room=other_room.slug, body="hello")), world,
                "not_member", "not_found")
        # Your own room: join and read; speaking depends on being muted.
        joined = await answer(communicator, frame("room.join", room=own_room.slug))
        assert joined["type"] == "ack", joined
        sent = await answer(communicator, frame("room.send", room=own_room.slug, body="bonjour à tous"))
        if role == "muted":
            refused(sent, world, "muted")
        else:
            assert sent["type"] == "ack", sent
        # Other people's conversation: not yours, so not found, whatever the action.
        conversation = world.ids["conversation"]
        for type_, fields in [("dm.accept", {}), ("dm.decline", {}), ("dm.block", {}), ("dm.history", {}),
                              ("dm.send", {"body": "let me in"})]:
            refused(await answer(communicator, frame(type_, conversation=conversation, **fields)), world,
                    "not_found", "muted")
        listed = await answer(communicator, frame("dm.list"))
        assert listed["type"] == "ack" and conversation not in {c["id"] for c in listed["conversations"]}
        # Nobody of the other audience can be contacted.
        refused(await answer(communicator, frame("dm.open", to=other_audience_user, body="salut")), world,
                "contact_not_allowed", "not_found", "muted")
        # A message you cannot see cannot be reported (its existence is not confirmed either).
        reported = await answer(communicator, frame("report", target={"message": other_audience_message},
                                                    category="spam", details="", good_faith=True))
        refused(reported, world, "not_found")
        # Unknown and internal-looking frame types are errors, never dispatched.
        for type_ in ("moderation.decide", "chat.control", "chat_event", "websocket.disconnect", "frame_dm_list"):
            refused(await answer(communicator, frame(type_)), world, "bad_request")
    finally:
        await communicator.disconnect()


async def test_the_conversation_is_readable_by_its_own_member(world):
    """The positive control for the matrix above: the conversation's own recipient sees it."""
    recipient = await _user("zq_third_ben")
    communicator, connected = await connect_ws(recipient)
    assert connected
    try:
        history = await answer(communicator, {"type": "dm.history", "id": "h", "conversation": world.ids["conversation"]})
        assert history["type"] == "ack", history
    finally:
        await communicator.disconnect()


async def _user(pseudonym: str):
    from asgiref.sync import sync_to_async

    from accounts.models import User

    return await sync_to_async(User.objects.get)(pseudonym=pseudonym)
