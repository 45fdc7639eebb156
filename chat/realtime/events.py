"""Server → client events, fanned out through the channel layer after commit.

Payloads are serialised once here and forwarded as text by every consumer, so a room
message costs one JSON encoding whatever the number of recipients.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _layer_message(payload: dict[str, Any], author_id: int | None) -> dict[str, Any]:
    return {"type": "chat.event", "text": encode(payload), "author_id": author_id}


# Every event is sent after its change has committed, and best-effort (`robust=True`): the
# database is the truth every socket reloads (on reconnection, and for sanctions through the
# watcher), so an event Redis could not carry is logged and lost, and the request that made the
# change is still answered as made, never "failed" for what was stored.
def _send_now(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Phare's layer (chat.realtime.fanout) publishes without a round trip through the event loop.
    send = getattr(layer, "group_send_threadsafe", None)
    if send is not None:
        send(group, message)
    else:
        async_to_sync(layer.group_send)(group, message)


def send_to_room(room_id: int, payload: dict[str, Any], *, author_id: int | None = None) -> None:
    """Deliver `payload` to every socket in the room once the current transaction commits."""
    message = _layer_message(payload, author_id)
    transaction.on_commit(lambda: _send_now(room_group(room_id), message), robust=True)


def send_many_to_rooms(deliveries: list[tuple[int, dict[str, Any], int | None]]) -> None:
    """`send_to_room` for many (room id, payload, author id) at once: one hand-over to the
    layer after commit (messages posted together, chat.services.post)."""
    if not deliveries:
        return
    messages = _room_messages(deliveries)
    transaction.on_commit(lambda: _send_many_now(messages), robust=True)


def send_many_to_rooms_now(deliveries: list[tuple[int, dict[str, Any], int | None]]) -> None:
    """`send_many_to_rooms` outside any transaction: handed to the layer at once (room posts
    stored on the event loop by chat.posting, whose INSERT has committed when this runs)."""
    _send_many_now(_room_messages(deliveries))


def _room_messages(deliveries: list[tuple[int, dict[str, Any], int | None]]) -> list[tuple[str, dict[str, Any]]]:
    return [(room_group(room_id), _layer_message(payload, author_id)) for room_id, payload, author_id in deliveries]


def _send_many_now(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    send_many = getattr(layer, "group_send_many_threadsafe", None)
    if send_many is not None:
        send_many(messages)
        return
    for group, message in messages:
        _send_now(group, message)


def send_to_user(user_id: int, payload: dict[str, Any], *, author_id: int | None = None) -> None:
    """Deliver `payload` to every socket of one account once the transaction commits."""
    message = _layer_message(payload, author_id)
    transaction.on_commit(lambda: _send_now(user_group(user_id), message), robust=True)


def control_room(room_id: int, control: dict[str, Any]) -> None:
    """Tell every socket in a room about a change to it (lock, settings) after commit."""
    message = {"type": "chat.control", **control}
    transaction.on_commit(lambda: _send_now(room_group(room_id), message), robust=True)


MODERATORS_GROUP = "moderators"


def send_to_moderators(payload: dict[str, Any], *, except_user_ids: list[int] | tuple[int, ...] = ()) -> None:
    """Live updates for the moderator console (queue, claims, SLA alerts) after commit.
    `except_user_ids`: moderators whose sockets must not get it (a conflict of interest: a
    case about them, or one they reported)."""
    message = _layer_message(payload, None)
    if except_user_ids:
        message["except"] = list(except_user_ids)  # msgpack carries lists, not sets
    transaction.on_commit(lambda: _send_now(MODERATORS_GROUP, message), robust=True)


def control_user(user_id: int, control: dict[str, Any]) -> None:
    """Tell a user's sockets about a state change (sanction, band change) after commit."""
    message = {"type": "chat.control", **control}
    transaction.on_commit(lambda: _send_now(user_group(user_id), message), robust=True)
