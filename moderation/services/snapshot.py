"""Evidence: the frozen copy of what a report is about, taken when it is filed. Its content
hash is checked whenever a moderator reads it (moderation.evidence)."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone

from chat import services as chat_services
from chat.models import Message
from chat.representations import message_repr
from moderation.evidence import content_hash
from moderation.models import Evidence
from moderation.services.shared import setting


def _message_snapshot(message: Message) -> dict[str, Any]:
    data = {
        "id": str(message.pk), "author_id": str(message.author_id), "author": message.author.pseudonym,
        "body": message.body, "status": message.status, "created_at": message.created_at,
    }
    if getattr(message, "image_id", None) is not None:
        # The image's identity, not its bytes: the bytes stay in quarantine storage (chat.media).
        image = message_repr(message).get("image") or {}
        # Moderators read images through their own endpoint: blurred greyscale by default,
        # `?rendition=original` on a deliberate reveal, every read audited (docs/images.md).
        data["image"] = {"id": str(message.image_id),
                         "url": reverse("api-moderation-upload-image", args=[message.image_id]),
                         "width": image.get("width"), "height": image.get("height")}
    return data


def snapshot_evidence(*, target_type: str, target: Any) -> Evidence:
    """Freeze what the report is about: a copy, so edits or deletion never change it."""
    context_n = int(setting("PHARE_REPORT_CONTEXT_MESSAGES", 5))
    data: dict[str, Any] = {"captured_at": timezone.now(), "target": {"type": target_type, "id": str(target.pk)}}
    if target_type == "message":
        data.update(author_id=str(target.author_id), room_id=target.room_id and str(target.room_id),
                    room=target.room.slug if target.room_id else None,
                    conversation_id=target.conversation_id and str(target.conversation_id),
                    message=_message_snapshot(target),
                    context=[_message_snapshot(m) for m in chat_services.message_context(
                        message=target, before=context_n, after=context_n) if m.pk != target.pk])
    elif target_type == "user":
        recent = Message.objects.filter(author=target).select_related("author").order_by("-pk")[: context_n * 2]
        data.update(user={"id": str(target.pk), "pseudonym": target.pseudonym, "age_band": target.age_band,
                          "date_joined": target.date_joined},
                    context=[_message_snapshot(m) for m in reversed(list(recent))])
    else:
        recent = Message.objects.filter(room=target).select_related("author").order_by("-pk")[: context_n * 2]
        data.update(room={"id": str(target.pk), "slug": target.slug, "name": target.name,
                          "description": target.description, "audience": target.audience,
                          "status": target.status, "created_by": target.created_by_id and str(target.created_by_id)},
                    context=[_message_snapshot(m) for m in reversed(list(recent))])
    clean = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return Evidence.objects.create(data=clean, content_hash=content_hash(clean))
