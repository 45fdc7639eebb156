"""First-contact notices: a minor sees who is writing to them before they read it.

When someone writes to a minor for the first time — a DM request, or a room message that
answers one of the minor's messages (`reply_to`) from someone who had not written to them
before — the minor's client gets a notice to show before the text: how long ago the account
joined, which rooms they share (or none), whether this person is in an older age band, a
"block and report" action and safety tips. The notice is written in the minor's language and
logged (`FirstContactNotice`) without the text: who, to whom, where, when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from accounts.models import AgeBand, User
from accounts.representations import iso, public_user
from accounts.services import language_of
from chat.models import Conversation, FirstContactNotice, Membership, Message, Room
from core.errors import PhareError

# Younger first: a band later in this order is older.
BAND_ORDER = (AgeBand.YOUNG_TEEN.value, AgeBand.OLDER_TEEN.value, AgeBand.ADULT.value)
SHARED_ROOMS_SHOWN = 5


def is_older(sender: User, recipient: User) -> bool:
    """The sender's band is above the recipient's (only across a boundary the policy allows)."""
    try:
        return BAND_ORDER.index(sender.age_band) > BAND_ORDER.index(recipient.age_band)
    except ValueError:  # an account without a band yet
        return False


def shared_rooms(sender: User, recipient: User) -> list[Room]:
    """Approved rooms both accounts are members of, the most recently joined first."""
    theirs = Membership.objects.filter(user=sender).values("room_id")
    return list(
        Room.objects.filter(memberships__user=recipient, pk__in=theirs, status=Room.Status.APPROVED)
        .order_by("-memberships__joined_at")[:SHARED_ROOMS_SHOWN]
    )


def _joined_text(days: int) -> str:
    if days < 1:
        return gettext("This account was created today.")
    return ngettext("This account was created %(days)d day ago.",
                    "This account was created %(days)d days ago.", days) % {"days": days}


def _rooms_text(rooms: list[Room]) -> str:
    if not rooms:
        return gettext("You share no room with this person.")
    return gettext("You are both in: %(rooms)s.") % {"rooms": ", ".join(room.name for room in rooms)}


def notice_for(*, sender: User, recipient: User, now: dt.datetime | None = None) -> dict[str, Any]:
    """The notice as the protocol shows it, in the recipient's language (the caller sets it)."""
    now = now or timezone.now()
    days = max(0, (now - sender.date_joined).days)
    rooms = shared_rooms(sender, recipient)
    older = is_older(sender, recipient)
    lines = [_joined_text(days), _rooms_text(rooms)]
    if older:
        lines.append(gettext("This person is older than you."))
    return {
        "code": "first_contact_minor",
        "from": public_user(sender),
        "joined_at": iso(sender.date_joined),
        "joined_days_ago": days,
        "shared_rooms": [{"slug": room.slug, "name": room.name} for room in rooms],
        "older_than_you": older,
        "summary": " ".join(lines),
        "message": gettext(
            "Someone you may not know wants to talk to you. You can decline or block them, "
            "and report them if anything feels wrong. Never share your address, your "
            "school, your number or photos, and never agree to meet."
        ),
        "actions": ["block_report", "tips"],
        "safety_url": "/safety/",
    }


def _record(*, sender: User, recipient: User, kind: str, room: Room | None = None,
            conversation: Conversation | None = None) -> dict[str, Any]:
    FirstContactNotice.objects.create(sender=sender, recipient=recipient, kind=kind, room=room,
                                      conversation=conversation)
    with translation.override(language_of(user_id=recipient.pk)):
        return notice_for(sender=sender, recipient=recipient)


def for_dm_request(*, sender: User, recipient: User, conversation: Conversation) -> dict[str, Any]:
    """The `safety_prompt` of a DM request to a minor (nothing for an adult), logged."""
    if not recipient.is_minor:
        return {}
    notice = _record(sender=sender, recipient=recipient, kind=FirstContactNotice.Kind.DM_REQUEST,
                     conversation=conversation)
    return {"safety_prompt": notice}


def is_first_room_contact(*, sender: User, recipient: User) -> bool:
    """No notice was shown for this pair before and they never had a conversation."""
    if sender.pk == recipient.pk or not recipient.is_minor:
        return False
    if FirstContactNotice.objects.filter(sender=sender, recipient=recipient).exists():
        return False
    low, high = sorted([sender.pk, recipient.pk])
    return not Conversation.objects.filter(user_low_id=low, user_high_id=high).exists()


def for_room_reply(*, sender: User, answered: Message, room: Room, message_id: int) -> dict[str, Any] | None:
    """The `first_contact` event for the author of `answered` when `sender` writes to them
    for the first time (a minor), logged; None otherwise."""
    recipient = answered.author
    if not is_first_room_contact(sender=sender, recipient=recipient):
        return None
    notice = _record(sender=sender, recipient=recipient, kind=FirstContactNotice.Kind.ROOM_REPLY, room=room)
    return {"type": "first_contact", "room": room.slug, "message": str(message_id), "notice": notice}


def answered_message(*, room: Room, message_id: str | None) -> Message | None:
    """The visible message of `room` a new message answers (`reply_to`), with its author."""
    if message_id is None:
        return None
    if not message_id.isdigit():
        raise PhareError("bad_request", extra={"field": "reply_to"})
    found = (Message.objects.select_related("author")
             .filter(pk=int(message_id), room=room, status=Message.Status.VISIBLE).first())
    if found is None:
        raise PhareError("not_found", extra={"field": "reply_to"})
    return found
