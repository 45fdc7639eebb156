"""A person's own data and controls: the export of what they wrote, forgetting a deleted
account's content, and the effects of a block or mute on conversations and live sockets.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import bump_sanction_version
from chat.models import Conversation, Membership, Message
from chat.realtime import events
from chat.representations import conversation_repr
from chat.services.conversations import end_conversation_between
from chat.services.trusted import end_trusted_connections_of, list_trusted_connections


def forget_user_content(*, user: User) -> None:
    """Blank a deleted account's messages and end its conversations and memberships.

    Evidence already snapshotted by a report is kept by moderation, not here.
    """
    Message.objects.filter(author=user).update(body="", status=Message.Status.DELETED)
    Conversation.objects.filter(Q(initiator=user) | Q(recipient=user)).update(
        state=Conversation.State.CLOSED, updated_at=timezone.now()
    )
    Membership.objects.filter(user=user).delete()
    end_trusted_connections_of(user=user, reason="account_deleted")


def apply_user_control(*, user: User, other: User, action: str) -> None:
    """Run inside the transaction of a block/mute change (accounts' `user_control_changed`).

    A block ends any conversation and trusted connection between the two; every change makes `user`'s open sockets
    reload the set of authors they hide (the event, and the sanction version if it is lost).
    """
    if action == "block":
        end_conversation_between(user=user, other=other)
        end_trusted_connections_of(user=user, other=other, reason="blocked")
    bump_sanction_version(user_id=user.pk)
    events.control_user(user.pk, {"action": "refresh_hidden"})


def export_user_content(*, user: User) -> dict[str, Any]:
    """Rooms, conversations and messages of `user` (accounts' `personal_data_requested`)."""
    memberships = Membership.objects.filter(user=user).select_related("room").order_by("joined_at")
    conversations = (
        Conversation.objects.filter(Q(initiator=user) | Q(recipient=user))
        .select_related("initiator", "recipient")
        .order_by("created_at")
    )
    messages = (
        Message.objects.filter(author=user)
        .select_related("room")
        .order_by("created_at")
        .values("id", "room__slug", "conversation_id", "body", "status", "created_at")
    )
    return {
        "rooms": [
            {"room": m.room.slug, "name": m.room.name, "joined_at": m.joined_at.isoformat()}
            for m in memberships
        ],
        "conversations": [conversation_repr(c, viewer_id=user.pk) for c in conversations],
        "trusted_connections": list_trusted_connections(user=user),
        "messages": [
            {
                "id": str(m["id"]),
                "room": m["room__slug"],
                "conversation": str(m["conversation_id"]) if m["conversation_id"] else None,
                "body": m["body"],
                "status": m["status"],
                "created_at": m["created_at"].isoformat(),
            }
            for m in messages.iterator()
        ],
    }
