"""A conversation's state change and the event both people get: shared by the DM services
(conversations) and trusted connections (trusted), which conversations itself imports."""

from __future__ import annotations

from django.utils import timezone

from chat.models import Conversation
from chat.realtime import events
from chat.representations import conversation_repr


def notify_participants(conversation: Conversation, kind: str) -> None:
    for user_id in (conversation.initiator_id, conversation.recipient_id):
        events.send_to_user(
            user_id, {"type": kind, "conversation": conversation_repr(conversation, viewer_id=user_id)}
        )


def set_state(conversation: Conversation, state: str) -> None:
    conversation.state = state
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=["state", "updated_at"])
