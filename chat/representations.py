"""How rooms, messages and conversations appear in the protocol."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from accounts.models import User
from accounts.representations import iso, public_user
from chat.models import Conversation, Message, Room, Upload


def room_repr(room: Room) -> dict[str, Any]:
    return {
        "slug": room.slug,
        "name": room.name,
        "description": room.description,
        "audience": room.audience,
        "min_assurance": room.min_assurance,
        "slow_mode_seconds": room.slow_mode_seconds,
        "media_allowed": room.media_allowed,
        "max_message_length": room.max_message_length,
        "locked": room.is_locked,
    }


def message_fields(pk: int, author: User, body: str, created_at: dt.datetime) -> dict[str, Any]:
    """A text message as the protocol shows it (`message_repr` without a model instance)."""
    return {"id": str(pk), "author": public_user(author), "body": body, "created_at": iso(created_at)}


def message_repr(message: Message) -> dict[str, Any]:
    data = message_fields(message.pk, message.author, message.body, message.created_at)
    if message.image_id is not None:
        data["image"] = image_repr(message.image)
    if message.reply_to_id is not None:
        data["reply_to"] = str(message.reply_to_id)
    return data


def image_url(upload: Upload) -> str:
    return reverse("api-upload-image", args=[upload.pk])


def image_repr(upload: Upload) -> dict[str, Any]:
    return {"id": str(upload.pk), "url": image_url(upload), "width": upload.width, "height": upload.height,
            "content_type": upload.content_type, "blurred_by_default": True}


def conversation_repr(conversation: Conversation, *, viewer_id: int, preview: str | None = None) -> dict[str, Any]:
    other = conversation.recipient if viewer_id == conversation.initiator_id else conversation.initiator
    data: dict[str, Any] = {
        "id": str(conversation.pk),
        "state": conversation.state,
        "with": public_user(other),
        "initiated_by_me": viewer_id == conversation.initiator_id,
        "created_at": iso(conversation.created_at),
    }
    if preview is not None:
        data["preview"] = preview
    return data
