"""Direct conversations with consent: finding whom a request may go to, answering a request
(accept, decline, block), the lists and history. The messages themselves are posted by the
one pipeline (chat.services.post).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import DmPolicy, User, UserBlock
from accounts.policies import needs_trusted_connection
from chat.models import Conversation, Membership, Message
from chat.representations import conversation_repr, message_repr
from chat.services.rooms import HISTORY_MAX
from chat.services.trusted import active_connection_with, end_trusted_connections_of, may_talk
from chat.services.conversation_state import notify_participants, set_state
from core.errors import PhareError


# Ids are 64-bit: a longer digit string cannot name a row (and would overflow the column).
MAX_ID_DIGITS = 18


def parse_id(value: object) -> int | None:
    """A row id from client input, or None when it cannot be one (never an exception)."""
    text = str(value)
    if not text.isdecimal() or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)


def find_recipient(*, sender: User, to: str) -> User | None:
    """The account `to` names (an id, else a pseudonym compared by skeleton), annotated with
    `blocked` (a block either way with `sender`), `shares_room` and `trusted` (an active
    trusted connection with `sender`, chat.services.trusted). One query whoever `to`
    is, so that an account that does not exist and one that may not be contacted take the
    same time to refuse."""
    query = User.objects.filter(is_active=True, deleted_at__isnull=True).annotate(
        blocked=Exists(UserBlock.objects.filter(
            Q(blocker_id=sender.pk, blocked_id=OuterRef("pk")) | Q(blocker_id=OuterRef("pk"), blocked_id=sender.pk))),
        shares_room=Exists(Membership.objects.filter(
            user_id=OuterRef("pk"), room__in=Membership.objects.filter(user_id=sender.pk).values("room"))),
        trusted=active_connection_with(sender.pk, OuterRef("pk")),
    )
    return User.objects.find_by_pseudonym(to, among=query, pk=parse_id(to))


def share_a_room(a: User, b: User) -> bool:
    return Membership.objects.filter(
        user=b, room__in=Membership.objects.filter(user=a).values("room")
    ).exists()


def may_request(*, sender: User, recipient: User) -> bool:
    """The contact matrix and trusted connections (`may_talk`), blocks and the recipient's DM
    policy (`recipient` comes from `find_recipient`, which carries the block and the shared
    room). Across bands `may_talk` means a trusted connection, which stands for the shared
    room the `shared_rooms` policy asks for: the two never share one when one is an adult."""
    if recipient.pk == sender.pk or not may_talk(sender, recipient, trusted=recipient.trusted):
        return False
    if recipient.blocked or recipient.dm_policy == DmPolicy.NOBODY:
        return False
    return (recipient.dm_policy != DmPolicy.SHARED_ROOMS or recipient.shares_room
            or needs_trusted_connection(sender.age_band, recipient.age_band))


def no_such_contact() -> PhareError:
    # One answer, byte for byte, for an account that does not exist, was deleted, is in a
    # band the sender may not reach, blocks or is blocked, or whose DM policy says no:
    # anything else would tell an adult which pseudonyms belong to minors.
    return PhareError("not_found")


def _get_conversation(*, user: User, conversation_id: str, lock: bool = False) -> Conversation:
    pk = parse_id(conversation_id)
    if pk is None:
        raise PhareError("not_found")
    query = Conversation.objects.select_related("initiator", "recipient")
    if lock:
        query = query.select_for_update()
    # Not `.first()`: a primary key finds one row at most, and the ORDER BY it adds costs a
    # compile step for nothing.
    conversation = next(iter(query.filter(pk=pk)), None)
    if conversation is None or not conversation.involves(user.pk):
        raise PhareError("not_found")
    return conversation


def _answer_request(*, user: User, conversation_id: str, state: str, event: str) -> dict[str, Any]:
    """The recipient accepts or declines a pending request; both sides are told."""
    with transaction.atomic():
        conversation = _get_conversation(user=user, conversation_id=conversation_id, lock=True)
        if conversation.recipient_id != user.pk or conversation.state != Conversation.State.REQUESTED:
            raise PhareError("conflict", extra={"state": conversation.state})
        # Bands and connections may have changed since the request: the check holds at every step.
        if state == Conversation.State.ACCEPTED and not may_talk(conversation.initiator, user):
            raise PhareError("contact_not_allowed")
        set_state(conversation, state)
        notify_participants(conversation, event)
    return conversation_repr(conversation, viewer_id=user.pk)


def accept_conversation(*, user: User, conversation_id: str) -> dict[str, Any]:
    return _answer_request(user=user, conversation_id=conversation_id,
                           state=Conversation.State.ACCEPTED, event="dm.accepted")


def decline_conversation(*, user: User, conversation_id: str) -> dict[str, Any]:
    return _answer_request(user=user, conversation_id=conversation_id,
                           state=Conversation.State.DECLINED, event="dm.declined")


def block_conversation(*, user: User, conversation_id: str) -> dict[str, Any]:
    """End the conversation and stop the other person from ever requesting again."""
    with transaction.atomic():
        conversation = _get_conversation(user=user, conversation_id=conversation_id, lock=True)
        other_id = conversation.other(user.pk)
        UserBlock.objects.get_or_create(blocker=user, blocked_id=other_id)
        set_state(conversation, Conversation.State.BLOCKED)
        other = conversation.recipient if other_id == conversation.recipient_id else conversation.initiator
        end_trusted_connections_of(user=user, other=other, reason="blocked")
        # The blocked person learns only that the conversation ended, not that they were blocked.
        notify_participants(conversation, "dm.declined")
    return conversation_repr(conversation, viewer_id=user.pk)


@dataclass(frozen=True)
class ConversationForSending:
    pk: int
    state: str
    initiator_id: int
    recipient_id: int
    other_band: str
    # The recipient has written in it: until then, what the initiator sends is screened as in
    # a request (docs/screening.md): accepting "bonsoir" is not accepting what follows it.
    answered: bool


# Conversations whose recipient has written in them. Once true it stays true, so each process
# asks the database only until then; the bound keeps a long-lived process's memory flat.
_ANSWERED: set[int] = set()
_ANSWERED_MAX = 100_000


def forget_answered_conversations() -> None:
    """Empty this process's memory of answered conversations (tests reuse ids)."""
    _ANSWERED.clear()


def _answered(pk: int, recipient_id: int) -> bool:
    if pk in _ANSWERED:
        return True
    if not Message.objects.filter(conversation_id=pk, author_id=recipient_id).exists():
        return False
    if len(_ANSWERED) >= _ANSWERED_MAX:
        _ANSWERED.clear()
    _ANSWERED.add(pk)
    return True


def conversation_for_sending(*, sender: User, conversation_id: str) -> ConversationForSending:
    """What sending a direct message needs to know of its conversation, in one lean query:
    the two full accounts (`_get_conversation`) cost more to compile and load than all the
    rest of a direct message (docs/benchmarks.md)."""
    pk = parse_id(conversation_id)
    if pk is None:
        raise PhareError("not_found")
    row = next(iter(Conversation.objects.filter(pk=pk).values_list(
        "state", "initiator_id", "recipient_id", "initiator__age_band", "recipient__age_band")), None)
    if row is None or sender.pk not in (row[1], row[2]):
        raise PhareError("not_found")
    state, initiator_id, recipient_id, initiator_band, recipient_band = row
    other_band = recipient_band if sender.pk == initiator_id else initiator_band
    answered = sender.pk == recipient_id or (state == Conversation.State.ACCEPTED and _answered(pk, recipient_id))
    return ConversationForSending(pk, state, initiator_id, recipient_id, other_band, answered)


def list_conversations(*, user: User) -> list[dict[str, Any]]:
    """Accepted conversations and pending requests, newest first, with their first line."""
    conversations = (
        Conversation.objects.filter(Q(initiator=user) | Q(recipient=user))
        .filter(state__in=[Conversation.State.ACCEPTED, Conversation.State.REQUESTED])
        .select_related("initiator", "recipient")
        .order_by("-updated_at")[:200]
    )
    result = []
    for conversation in conversations:
        preview = None
        if conversation.state == Conversation.State.REQUESTED:
            first = conversation.messages.filter(status=Message.Status.VISIBLE).order_by("pk").first()
            preview = first.body if first else ""
        result.append(conversation_repr(conversation, viewer_id=user.pk, preview=preview))
    return result


def conversation_history(*, user: User, conversation_id: str, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Messages of a conversation the user is in. A pending request shows only its first message."""
    conversation = _get_conversation(user=user, conversation_id=conversation_id)
    if conversation.state not in (Conversation.State.ACCEPTED, Conversation.State.REQUESTED):
        raise PhareError("contact_not_allowed")
    query = conversation.messages.filter(status=Message.Status.VISIBLE)
    if conversation.state == Conversation.State.REQUESTED:
        query = query.order_by("pk")[:1]
        return [message_repr(m) for m in query.select_related("author")]
    if before is not None:
        query = query.filter(pk__lt=before)
    rows = list(query.select_related("author", "image").order_by("-pk")[: max(1, min(limit, HISTORY_MAX))])
    return [message_repr(m) for m in reversed(rows)]


def end_conversation_between(*, user: User, other: User) -> None:
    low, high = sorted([user.pk, other.pk])
    conversation = (
        Conversation.objects.select_for_update()
        .select_related("initiator", "recipient")
        .filter(user_low_id=low, user_high_id=high)
        .first()
    )
    if conversation is None or conversation.state in (
        Conversation.State.BLOCKED, Conversation.State.CLOSED
    ):
        return
    set_state(conversation, Conversation.State.BLOCKED)
    # The blocked person learns only that the conversation ended, not that they were blocked.
    notify_participants(conversation, "dm.declined")
