"""Proposing a room: a screened name, a pending (invisible) room and a case for the queue."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.text import slugify

from core.errors import PhareError
from accounts.models import User
from chat import services as chat_services
from chat.models import Room
from moderation import gate
from moderation.audit import record_audit
from moderation.services.notify import tell_moderators
from moderation.services.score import recompute_case
from moderation.services.shared import open_case_for


def propose_room(*, user: User, name: Any, description: Any, audience: Any) -> Room:
    """A user's room proposal: screened name, a pending (invisible) room, a case for the queue.
    The proposer is told the outcome by a notice when a moderator decides. How often one may
    propose is the `room_proposal_ip` / `room_proposal_account` limits of the one table
    (accounts.throttling), spent by the view before this is called."""
    if user.is_suspended():
        raise PhareError("suspended")
    if not isinstance(name, str) or not 3 <= len(name.strip()) <= 80:
        raise PhareError("bad_request", extra={"field": "name"})
    if not isinstance(description, str) or len(description) > 500:
        raise PhareError("bad_request", extra={"field": "description"})
    if audience not in ("minors", "adults"):
        raise PhareError("bad_request", extra={"field": "audience"})
    name = name.strip()
    for text in (name, description):
        refusal = gate.screen_name(text, "room_name") if text else None
        if refusal is not None:
            raise PhareError("blocked_by_policy", extra={"reasons": [refusal]})
    base = slugify(name)[:50] or "room"
    slug = base
    for n in range(2, 50):
        if not Room.objects.filter(slug=slug).exists():
            break
        slug = f"{base}-{n}"
    # Stored, then moderators told live: the telling is best-effort (Redis may be down), the
    # queue shows the case anyway.
    with transaction.atomic():
        room = chat_services.create_room_proposal(user=user, slug=slug, name=name, description=description,
                                                  audience=audience)
        case = open_case_for(subject_type="room", subject_id=room.pk, defaults={
            "subject_user": user, "room_id_snapshot": room.pk, "category": "room_proposal",
            "minors_involved": audience == "minors",
        })
        recompute_case(case=case)
        record_audit(actor=user, action="room.proposed", target_type="room", target_id=str(room.pk),
                     data={"case": case.pk, "name": name, "audience": audience})
        tell_moderators(case)
    return room
