"""Conversation-level grooming risk, off the hot path.

One message is rarely enough to tell grooming from friendliness; a sequence is. After DM
traffic the gate schedules a Celery task (debounced per conversation) that scores the recent
messages of each participant, and of the sender across their recent first contacts, with the
pure `score_conversation`. Above the operator's threshold it files an automatic flag with the
excerpt, which the moderation queue turns into a case.

What the gate refused is part of the picture: a sender's refused attempts towards that person
(moderation.models.Attempt, recorded by the gate) are scored with their stored messages, so
retrying with another spelling adds to the score instead of leaving no trace. Held messages
are stored, so the excerpt already has them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.db import transaction
from django.utils import timezone
from django.db.models import Q

from chat import services as chat_services
from moderation import gate
from moderation.models import Attempt, Flag
from moderation.policy import ConversationFeatures, ScreeningContext, score_conversation

# The lower bound of each band, for the age gap feature.
BAND_FLOOR = {"13-15": 13, "16-17": 16, "18+": 18}
EXCERPT_MESSAGES = 20
# The latest refused attempts scored with a sender's messages.
ATTEMPTS_SCORED = 10
# Minors' rooms are read by a periodic task (moderation.tasks.assess_room_voices, every
# minute): who wrote in the last two minutes is scored over their latest messages there.
ROOM_LOOKBACK = dt.timedelta(minutes=2)


def _already_flagged(*, subject_id: int, last_message_id: int) -> bool:
    # Idempotent per (subject, last message scored): a task run twice files one flag.
    return Flag.objects.filter(
        subject_id_snapshot=subject_id, message_id_snapshot=last_message_id, decision__in=["flag", "hold"],
        reasons__icontains="grooming_risk",
    ).exists()


def _is_younger_recipient(participant, other, initiator_id: int) -> bool:
    """The person who was contacted and is younger than who contacted them: what they write
    back is scored as the other's doing, never flagged against them (a child answering a
    groomer's questions is not the offender)."""
    return participant.user_id != initiator_id and BAND_FLOOR[participant.age_band] < BAND_FLOOR[other.age_band]


def assess_conversation(*, conversation_id: int) -> list[Flag]:
    """Score each participant's recent messages in one conversation; flag those above threshold."""
    window = gate.current_snapshot().config.conversation_window
    excerpt = chat_services.conversation_for_scoring(conversation_id=conversation_id, limit=window)
    if excerpt is None:
        return []
    flags = []
    for participant in excerpt.participants:
        other = next(p for p in excerpt.participants if p.user_id != participant.user_id)
        own = [m for m in excerpt.messages if m.author_id == participant.user_id]
        if not own or _is_younger_recipient(participant, other, excerpt.initiator_id):
            continue
        if gate.pair_under_review(sender_id=participant.user_id, conversation_id=conversation_id):
            continue  # already held for a moderator: their replies wait (review_pending), no new case
        features = ConversationFeatures(
            age_gap_years=abs(BAND_FLOOR[participant.age_band] - BAND_FLOOR[other.age_band]),
            sender_account_age_days=participant.account_age_days,
            first_contact=excerpt.initiator_id == participant.user_id and not excerpt.shared_room,
        )
        context = ScreeningContext(
            audience="minors" if other.age_band != "18+" else "adults", context="dm",
            conversation_accepted=excerpt.accepted,
        )
        refused = refused_attempts(sender_id=participant.user_id, conversation_id=conversation_id,
                                   recipient_id=other.user_id)
        verdict = score_conversation([m.body for m in own] + refused, snapshot=gate.current_snapshot(),
                                     context=context, features=features)
        flag = _flag_if_risky(verdict=verdict, subject_id=participant.user_id,
                              messages=excerpt.messages, conversation_id=conversation_id, refused=refused)
        if flag is not None:
            flags.append(flag)
    return flags


def assess_sender(*, user_id: int) -> Flag | None:
    """Score what one person wrote in their recent first contacts (DM requests), together:
    the same approach made to many people is a pattern no single conversation shows."""
    recent = chat_services.first_contacts_for_scoring(user_id=user_id, limit=EXCERPT_MESSAGES)
    refused = refused_attempts(sender_id=user_id, first_contacts=True)
    if len(recent.messages) + len(refused) < 2:
        return None
    context = ScreeningContext(audience=recent.audience, context="dm_request", conversation_accepted=False)
    features = ConversationFeatures(sender_account_age_days=recent.account_age_days, first_contact=True)
    verdict = score_conversation([m.body for m in recent.messages] + refused, snapshot=gate.current_snapshot(),
                                 context=context, features=features)
    return _flag_if_risky(verdict=verdict, subject_id=user_id, messages=recent.messages, conversation_id=None,
                          refused=refused)


def assess_room_voices(*, since: dt.datetime | None = None) -> list[Flag]:
    """Score each sender active in a minors' room lately over their latest messages in that
    room and their refused attempts there: a groomer working a room in public (compliments,
    "t'es en quelle classe ?", "t'es d'où ?") before moving to private messages. Room messages
    have no single addressee, so the score never holds anything here: above the lower
    threshold the sender goes to the queue with the excerpt (a flag), and the moderator
    decides; the score of the private conversation, if one follows, can hold."""
    since = since or timezone.now() - ROOM_LOOKBACK
    snapshot = gate.current_snapshot()
    context = ScreeningContext(audience="minors", context="room")
    flags = []
    for voice in chat_services.room_voices_for_scoring(since=since, limit=snapshot.config.conversation_window):
        sender_id = voice.sender.user_id
        if gate.room_voice_under_review(sender_id=sender_id, room_id=voice.room_id):
            continue  # one case at a time: a chatty sender does not file one a minute
        refused = refused_attempts(sender_id=sender_id, room_id=voice.room_id)
        features = ConversationFeatures(sender_account_age_days=voice.sender.account_age_days)
        verdict = score_conversation([m.body for m in voice.messages] + refused, snapshot=snapshot,
                                     context=context, features=features)
        if verdict.decision == "hold":
            verdict = replace(verdict, decision="flag")
        flag = _flag_if_risky(verdict=verdict, subject_id=sender_id, messages=voice.messages, conversation_id=None,
                              room_id=voice.room_id, refused=refused)
        if flag is not None:
            flags.append(flag)
    return flags


def refused_attempts(*, sender_id: int, conversation_id: int | None = None, recipient_id: int | None = None,
                     room_id: int | None = None, first_contacts: bool = False) -> list[str]:
    """The texts of the sender's latest refused attempts (oldest first): in a conversation
    and as DM requests to its other participant, or (`first_contacts`) as DM requests to
    anyone. They go after the stored messages, so that the score's window never drops them
    (it counts signals; the order does not weigh otherwise)."""
    if first_contacts:
        where = Q(context=Attempt.Context.DM_REQUEST)
    elif room_id is not None:
        where = Q(room_id_snapshot=room_id)
    else:
        where = Q(conversation_id_snapshot=conversation_id) | Q(context=Attempt.Context.DM_REQUEST,
                                                                recipient_id_snapshot=recipient_id)
    rows = (Attempt.objects.select_related("flag").filter(where, sender_id_snapshot=sender_id,
                                                          message_id_snapshot__isnull=True)
            .order_by("-created_at", "-pk")[:ATTEMPTS_SCORED])
    return [attempt.evidence_text for attempt in reversed(rows)]


def _flag_if_risky(*, verdict, subject_id: int, messages, conversation_id: int | None,
                   refused: list[str], room_id: int | None = None) -> Flag | None:
    # score_conversation holds at the operator's threshold and flags at the lower one.
    own = [m.message_id for m in messages if m.author_id == subject_id]
    if verdict.decision not in ("flag", "hold", "escalate") or not own:
        return None
    # The flag points at the subject's own last message: a measure on it (hiding it pending
    # review) must never land on what the other person wrote.
    last_id = max(own)
    with transaction.atomic():
        if _already_flagged(subject_id=subject_id, last_message_id=last_id):
            return None
        excerpt = "\n".join([f"[{m.author_id}] {m.body}" for m in messages[-EXCERPT_MESSAGES:]]
                            + [f"[{subject_id}] (refused) {text}" for text in refused])
        return gate.file_flag(
            verdict=verdict,
            subject_id=subject_id, text=excerpt, message_id=last_id, room_id=room_id,
            conversation_id=conversation_id,
        )
