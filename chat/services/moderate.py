"""What moderation and accounts ask of the chat: excerpts for the grooming assessment and
policy dry runs, a message taken out of sight or put back, retention, images under legal
hold, and live sockets told that an account changed (band, sanctions, sessions).

Chat never calls moderation back from here (docs/decisions.md, "Where the apps meet").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.policies import audience_bands
from accounts.services import bump_sanction_version
from chat.models import Conversation, Membership, Message, Upload
from chat.realtime import events
from chat.representations import message_repr
from chat.services.conversations import notify_participants, set_state, share_a_room
from chat.services.trusted import end_trusted_connections_of, may_talk


@dataclass(frozen=True)
class ScoredMessage:
    message_id: int
    author_id: int
    body: str


@dataclass(frozen=True)
class Participant:
    user_id: int
    age_band: str
    account_age_days: float


@dataclass(frozen=True)
class ConversationExcerpt:
    initiator_id: int
    accepted: bool
    shared_room: bool
    participants: tuple[Participant, Participant]
    messages: list[ScoredMessage]


@dataclass(frozen=True)
class FirstContacts:
    audience: str
    account_age_days: float
    messages: list[ScoredMessage]


def _participant(user: User, now: dt.datetime) -> Participant:
    return Participant(user_id=user.pk, age_band=user.age_band,
                       account_age_days=(now - user.date_joined).total_seconds() / 86400)


def conversation_for_scoring(*, conversation_id: int, limit: int) -> ConversationExcerpt | None:
    """The latest messages of a conversation (held ones included: they are evidence)."""
    conversation = Conversation.objects.select_related("initiator", "recipient").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    rows = list(
        conversation.messages.exclude(status=Message.Status.DELETED).order_by("-pk").values_list("pk", "author_id", "body")[:limit]
    )
    now = timezone.now()
    return ConversationExcerpt(
        initiator_id=conversation.initiator_id,
        accepted=conversation.state == Conversation.State.ACCEPTED,
        shared_room=share_a_room(conversation.initiator, conversation.recipient),
        participants=(_participant(conversation.initiator, now), _participant(conversation.recipient, now)),
        messages=[ScoredMessage(message_id=pk, author_id=a, body=b) for pk, a, b in reversed(rows)],
    )


@dataclass(frozen=True)
class RoomVoice:
    """One sender's latest messages in one room."""

    room_id: int
    sender: Participant
    messages: list[ScoredMessage]


def room_voices_for_scoring(*, since: dt.datetime, limit: int) -> list[RoomVoice]:
    """Each sender who wrote in a minors' room since `since`, with their latest `limit`
    messages in that room (held ones included: they are evidence), oldest first."""
    pairs = list(Message.objects.filter(room__audience="minors", created_at__gte=since)
                 .exclude(status=Message.Status.DELETED).order_by().values_list("room_id", "author_id").distinct())
    senders = {user.pk: user for user in User.objects.filter(pk__in={author for _, author in pairs})}
    now = timezone.now()
    voices = []
    for room_id, author_id in sorted(pairs):
        rows = list(Message.objects.filter(room_id=room_id, author_id=author_id).exclude(status=Message.Status.DELETED)
                    .order_by("-pk").values_list("pk", "body")[:limit])
        voices.append(RoomVoice(room_id=room_id, sender=_participant(senders[author_id], now),
                                messages=[ScoredMessage(message_id=pk, author_id=author_id, body=body)
                                          for pk, body in reversed(rows)]))
    return voices


def first_contacts_for_scoring(*, user_id: int, limit: int) -> FirstContacts:
    """The opening messages of the conversations a user started, newest last."""
    user = User.objects.get(pk=user_id)
    openings = []
    for conversation in Conversation.objects.filter(initiator_id=user_id).order_by("-pk")[:limit]:
        first = conversation.messages.filter(author_id=user_id).order_by("pk").values_list("pk", "body").first()
        if first is not None:
            openings.append(ScoredMessage(message_id=first[0], author_id=user_id, body=first[1]))
    return FirstContacts(
        audience=user.audience,
        account_age_days=(timezone.now() - user.date_joined).total_seconds() / 86400,
        messages=list(reversed(openings)),
    )


def stored_texts_for_dry_run(*, audience: str, context: str, since: dt.datetime, limit: int):
    """Message bodies for a policy dry run: room messages of one audience, or DMs between
    people of that audience (the initiators' messages for `dm_request`). Streams, oldest first."""
    query = Message.objects.filter(created_at__gte=since).exclude(status=Message.Status.DELETED)
    if context == "room":
        query = query.filter(room__audience=audience)
    else:
        band_filter = {"conversation__initiator__age_band__in": list(audience_bands(audience))}
        query = query.filter(conversation__isnull=False, **band_filter)
    if context == "dm_request":
        query = query.filter(author=models.F("conversation__initiator"))
    return query.order_by("pk").values_list("body", flat=True)[:limit].iterator()


def reapply_contact_matrix(*, user: User, previous_band: str) -> None:
    """After a band change: leave rooms of the other audience, end trusted connections whose
    pair the matrix no longer opens, and close conversations the two may no longer have
    (`may_talk`: a connection that still holds keeps its conversation), at once and on live
    sockets too."""
    allowed_audience = "minors" if user.is_minor else "adults"
    stale = Membership.objects.filter(user=user).exclude(room__audience=allowed_audience).select_related("room")
    for membership in stale:
        events.control_user(user.pk, {"action": "leave_room", "room": membership.room.slug})
    stale.delete()
    end_trusted_connections_of(user=user, reason="band_change", only_outside_matrix=True)
    live = Conversation.objects.filter(Q(initiator=user) | Q(recipient=user)).filter(
        state__in=[Conversation.State.REQUESTED, Conversation.State.ACCEPTED]
    ).select_related("initiator", "recipient")
    for conversation in live:
        other = conversation.recipient if conversation.initiator_id == user.pk else conversation.initiator
        if may_talk(user, other):
            continue
        set_state(conversation, Conversation.State.CLOSED)
        notify_participants(conversation, "dm.declined")
    refresh_user_sockets(user=user)


def close_conversations_outside_matrix() -> int:
    """Close every pending or accepted conversation across bands the two may no longer have
    (`may_talk`: one opened under an older default, before an operator closed a pair, or
    without a trusted connection), telling both people
    with `dm.declined` as `reapply_contact_matrix` does. Their messages were already refused
    (the matrix is checked at every message); this ends them visibly. Returns how many."""
    live = Conversation.objects.filter(
        state__in=[Conversation.State.REQUESTED, Conversation.State.ACCEPTED]
    ).exclude(initiator__age_band=models.F("recipient__age_band")).select_related("initiator", "recipient")
    closed = 0
    for conversation in live.iterator():
        if may_talk(conversation.initiator, conversation.recipient):
            continue
        with transaction.atomic():
            set_state(conversation, Conversation.State.CLOSED)
            notify_participants(conversation, "dm.declined")
        closed += 1
    return closed


def refresh_user_sockets(*, user: User) -> None:
    """Tell the user's live sockets to reload the account (band, sanctions, restrictions);
    through the database too (the sanction version), in case the event is lost."""
    bump_sanction_version(user_id=user.pk)
    events.control_user(user.pk, {"action": "refresh_user"})
    if user.reassurance_required:
        for slug in Membership.objects.filter(user=user).values_list("room__slug", flat=True):
            events.control_user(user.pk, {"action": "leave_room", "room": slug})


def _message_scope(message: Message) -> dict[str, Any]:
    if message.room_id is not None:
        return {"room": message.room.slug}
    return {"conversation": str(message.conversation_id)}


def _broadcast_message_event(message: Message, payload: dict[str, Any]) -> None:
    if message.room_id is not None:
        events.send_to_room(message.room_id, payload)
    else:
        conversation = message.conversation
        for user_id in (conversation.initiator_id, conversation.recipient_id):
            events.send_to_user(user_id, payload)


def set_message_status(*, message_id: int, status: str) -> tuple[Message | None, str | None]:
    """Take a message out of sight (`removed`, or `held` pending review) or put it back
    (`visible`). Returns the message and its previous status (None, None if it is gone).

    Side effects after commit: `message.removed` to every client that could see it, or the
    message delivered again (`room.message` / `dm.message` with `"restored": true`).
    """
    with transaction.atomic():
        message = (Message.objects.select_for_update(of=("self",)).select_related("room", "conversation", "author")
                   .filter(pk=message_id).first())
        if message is None or message.status == Message.Status.DELETED:
            return None, None
        previous = message.status
        if previous == status:
            return message, previous
        message.status = status
        message.save(update_fields=["status"])
        if status == Message.Status.VISIBLE:
            payload = message_repr(message)
            if message.room_id is not None:
                event = {"type": "room.message", "room": message.room.slug, "message": payload, "restored": True}
            else:
                event = {"type": "dm.message", "conversation": str(message.conversation_id), "message": payload,
                         "restored": True}
            _broadcast_message_event(message, event)
        elif previous == Message.Status.VISIBLE:
            _broadcast_message_event(message, {"type": "message.removed", **_message_scope(message),
                                               "message_id": str(message.pk)})
    return message, previous


def message_context(*, message: Message, before: int, after: int) -> list[Message]:
    """The message with up to `before` earlier and `after` later ones of its room or conversation."""
    scope = Q(room_id=message.room_id) if message.room_id else Q(conversation_id=message.conversation_id)
    older = list(Message.objects.filter(scope, pk__lt=message.pk).select_related("author").order_by("-pk")[:before])
    newer = list(Message.objects.filter(scope, pk__gt=message.pk).select_related("author").order_by("pk")[:after])
    return list(reversed(older)) + [message] + newer


def close_user_sockets(*, user: User) -> None:
    """Every session of the account ended (log-out, deletion): close its sockets (4001)
    after commit. `chat.realtime.watcher` closes them too if this event is lost."""
    events.control_user(user.pk, {"action": "close", "code": 4001})


def user_sanction_changed(*, user_id: int, close: bool) -> None:
    """Tell a user's live sockets their sanctions changed: close them (4003) or reload the user.
    The sanction version is raised as well: the watcher acts on it if the event is lost."""
    bump_sanction_version(user_id=user_id)
    if close:
        events.control_user(user_id, {"action": "close", "code": 4003})
    else:
        events.control_user(user_id, {"action": "refresh_user"})


def purge_messages(*, before: dt.datetime, keep_ids: set[int]) -> int:
    """Delete messages older than `before`, except `keep_ids` (legal hold, open cases)."""
    query = Message.objects.filter(created_at__lt=before)
    if keep_ids:
        query = query.exclude(pk__in=keep_ids)
    deleted, _ = query.delete()
    return deleted


def hold_message_images(*, upload_ids: list[int]) -> list[tuple[str, bytes]]:
    """Put these images under legal hold (retention and clean-up skip them) and return the
    bytes of every stored copy, as (file name, bytes), for a referral package."""
    files: list[tuple[str, bytes]] = []
    for upload in Upload.objects.filter(pk__in=upload_ids).order_by("pk"):
        if not upload.legal_hold:
            upload.legal_hold = True
            upload.save(update_fields=["legal_hold"])
        for kind, name in (("original", upload.quarantine_name), ("delivered", upload.storage_name)):
            if name and default_storage.exists(name):
                with default_storage.open(name, "rb") as handle:
                    files.append((f"image-{upload.pk}-{kind}.bin", handle.read()))
    return files
