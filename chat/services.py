"""Chat services: rooms, room messages and direct conversations with consent.

Every write, fan-out and flag happens here; the consumer and views only parse and call.
Preconditions are stated per function; refusals are `PhareError` with a protocol code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext

from accounts.age_assurance.registry import providers_satisfying
from accounts import signals as account_signals
from accounts import throttling
from core.errors import PhareError
from accounts.models import ASSURANCE_ORDER, DmPolicy, User, UserBlock
from accounts.policies import audience_bands, may_contact
from accounts.services import require_reassurance
from accounts.representations import public_user
from chat import protection
from chat.realtime import events
from chat.models import Conversation, Membership, Message, Room, Upload
from chat.representations import conversation_repr, message_fields, message_repr, room_repr
from moderation import gate
from ops import metrics

HISTORY_MAX = 100


@dataclass(frozen=True)
class PostResult:
    message: dict[str, Any]
    status: str  # "delivered" or "held"
    # Set when the message shares contact details where that is allowed (adults).
    contact_warning: dict[str, Any] | None = None


# --- Rooms ---------------------------------------------------------------------------------

def visible_rooms(*, user: User):
    """Approved rooms of the user's own audience: the only rooms they may know exist.

    Ordered by the level they need, then by name: the rooms the user's own level already
    opens always come first.
    """
    audience = "minors" if user.is_minor else "adults"
    level_needed = models.Case(
        *[models.When(min_assurance=name, then=models.Value(rank)) for name, rank in ASSURANCE_ORDER.items()],
        default=models.Value(len(ASSURANCE_ORDER)),
    )
    return (Room.objects.filter(status=Room.Status.APPROVED, audience=audience)
            .annotate(level_needed=level_needed).order_by("level_needed", "name"))


def get_visible_room(*, user: User, slug: str) -> Room:
    """The room if the user may see it; otherwise `not_found`, never `forbidden`."""
    room = visible_rooms(user=user).filter(slug=slug).first()
    if room is None:
        raise PhareError("not_found")
    return room


def create_room(
    *,
    slug: str,
    name: str,
    audience: str,
    min_assurance: str = "declared",
    description: str = "",
    slow_mode_seconds: int = 0,
    max_message_length: int = 1000,
    media_allowed: bool = False,
    created_by: User | None = None,
) -> Room:
    if audience not in ("minors", "adults"):
        raise PhareError("bad_request", "audience must be minors or adults")
    if min_assurance not in ASSURANCE_ORDER:
        raise PhareError("bad_request", "min_assurance must be declared, estimated or verified")
    if media_allowed and audience == "minors":
        raise PhareError("media_not_allowed", "Images are never allowed in minors' rooms.")
    try:
        return Room.objects.create(
            slug=slug, name=name, audience=audience, min_assurance=min_assurance,
            description=description, slow_mode_seconds=slow_mode_seconds,
            max_message_length=max_message_length, media_allowed=media_allowed,
            created_by=created_by,
        )
    except IntegrityError as exc:
        raise PhareError("conflict", f"A room with slug {slug!r} exists.") from exc


def assurance_required(level: str, *, reason: str) -> PhareError:
    """The refusal that tells the client which checks would open the way."""
    return PhareError(
        "assurance_required",
        extra={"min_assurance": level, "providers": providers_satisfying(level), "reason": reason},
    )


def check_may_enter(*, user: User, room: Room) -> None:
    """Refuse a room the user's band or assurance level does not open."""
    if user.age_band not in audience_bands(room.audience):
        raise PhareError("not_found")
    if user.reassurance_required:
        raise assurance_required(user.reassurance_level or "estimated", reason="reassurance")
    if ASSURANCE_ORDER[user.assurance_level] < ASSURANCE_ORDER[room.min_assurance]:
        raise assurance_required(room.min_assurance, reason="room_level")


def join_room(*, user: User, slug: str) -> tuple[Room, list[dict[str, Any]]]:
    """Make the user a member; returns the room and its latest messages.

    Reads the account afresh: joins are rare, and a band change or restriction must hold
    even before the socket has processed the event announcing it.
    """
    user = User.objects.get(pk=user.pk)
    room = get_visible_room(user=user, slug=slug)
    check_may_enter(user=user, room=room)
    protection.check_join(user=user)
    _, joined = Membership.objects.get_or_create(room=room, user=user)
    if joined:
        protection.note_join(room=room, user=user)
    return room, latest_messages(room=room, limit=HISTORY_MAX // 2)


def leave_room(*, user: User, slug: str) -> Room:
    room = get_visible_room(user=user, slug=slug)
    Membership.objects.filter(room=room, user=user).delete()
    return room


def latest_messages(*, room: Room, before: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    query = Message.objects.filter(room=room, status=Message.Status.VISIBLE)
    if before is not None:
        query = query.filter(pk__lt=before)
    rows = list(query.select_related("author", "image").order_by("-pk")[: max(1, min(limit, HISTORY_MAX))])
    return [message_repr(m) for m in reversed(rows)]


def room_history(*, user: User, slug: str, before: int | None, limit: int) -> list[dict[str, Any]]:
    """Cursor-paginated history, oldest first, of a room the user has joined."""
    room = get_visible_room(user=user, slug=slug)
    if not Membership.objects.filter(room=room, user=user).exists():
        raise PhareError("not_member")
    return latest_messages(room=room, before=before, limit=limit)


def _check_can_speak(user: User, now: dt.datetime) -> None:
    if user.is_suspended(now):
        raise PhareError("suspended")
    if user.is_muted(now):
        retry = int((user.muted_until - now).total_seconds()) + 1
        raise PhareError("muted", retry_after=retry)
    if user.reassurance_required:
        raise assurance_required(user.reassurance_level or "estimated", reason="reassurance")


# Age statements from the other side of the line: the author may be in the wrong space.
WRONG_SPACE_REASONS = frozenset({"minor_age_statement", "adult_age_statement"})


# Decisions that let a message through with a flag for the moderation queue.
FLAGGED_DECISIONS = ("flag", "hold")


def _writes_beside_its_message(verdict: gate.Verdict) -> bool:
    """A flag or a reassurance requirement: stored in the same transaction as the message."""
    return verdict.decision in FLAGGED_DECISIONS or bool(WRONG_SPACE_REASONS.intersection(verdict.reasons))


def _stored_status(verdict: gate.Verdict) -> str:
    return Message.Status.HELD if verdict.decision == "hold" else Message.Status.VISIBLE


def _answered_status(verdict: gate.Verdict) -> str:
    """`PostResult.status`, also the outcome counted: held for review, or delivered."""
    return "held" if verdict.decision == "hold" else "delivered"


def _require_reassurance_if_wrong_space(author: User, verdict: gate.Verdict) -> None:
    reasons = WRONG_SPACE_REASONS.intersection(verdict.reasons)
    if reasons:
        require_reassurance(user=author, reason=sorted(reasons)[0])


def _check_slow_mode(*, room: Room, user: User) -> None:
    if room.slow_mode_seconds <= 0:
        return
    key = f"slow:{room.pk}:{user.pk}"
    now = time.time()
    # cache.add is atomic (SET NX on Redis), so slow mode holds across server processes. The
    # value is when the last message went through, so the wait announced is what is left.
    if not cache.add(key, now, timeout=room.slow_mode_seconds):
        posted_at = cache.get(key)
        elapsed = now - posted_at if isinstance(posted_at, float) else 0.0
        left = max(1, math.ceil(room.slow_mode_seconds - elapsed))
        raise PhareError("rate_limited", retry_after=left, extra={"reason": "slow_mode"})


def _check_length(body: str, max_length: int) -> str:
    if not body.strip():
        raise PhareError("bad_request", extra={"field": "body"})
    if len(body) > max_length:
        raise PhareError("too_large", extra={"max_length": max_length})
    return body


def _count_screening(context: str, verdict: gate.Verdict) -> None:
    metrics.count_verdict(context=context, decision=verdict.decision, reasons=verdict.reasons)
    refused = ("block", "escalate", "hold") if context == "dm_request" else ("block", "escalate")
    if verdict.decision in refused:
        metrics.count_message(context=context, outcome="blocked")


def _refuse(verdict: gate.Verdict) -> PhareError:
    return PhareError(
        "blocked_by_policy",
        gate.explain_verdict(verdict),
        extra={"reasons": list(verdict.reasons)},
    )


@dataclass(frozen=True)
class RoomPost:
    """A message someone asks to post in a room they joined."""

    author: User
    room: Room
    body: str
    # The sender's language, for the explanations they get back (posts are stored together,
    # in one thread, whatever language each sender reads).
    language: str | None = None


def _in_language_of(post: RoomPost, current: str | None):
    """Explanations in the sender's language; a no-op in the usual case where the batch
    already speaks it, `current` (asked once per batch step: activating a language, and even
    asking which is active, costs more than the comparison)."""
    if not post.language or post.language == current:
        return contextlib.nullcontext()
    return translation.override(post.language)


def post_room_message(*, author: User, room: Room, body: str) -> PostResult:
    """Screen and post one room message (`post_room_messages` with one post); raises the
    refusal as a `PhareError`."""
    outcome = post_room_messages([RoomPost(author=author, room=room, body=body)])[0]
    if isinstance(outcome, PhareError):
        raise outcome
    return outcome


def _refuse_each(posts: list[RoomPost], outcomes: list, check) -> dict[int, Any]:
    """Run `check(post)`, in its sender's language, on every post not yet refused: a
    PhareError refuses that post; what it returns for the others, by index."""
    passed: dict[int, Any] = {}
    current = translation.get_language()
    for index, post in enumerate(posts):
        if outcomes[index] is None:
            try:
                with _in_language_of(post, current):
                    passed[index] = check(post)
            except PhareError as error:
                outcomes[index] = error
    return passed


def post_room_messages(posts: list[RoomPost]) -> list[PostResult | PhareError]:
    """Screen and post room messages that arrived together: per post, its result or refusal.

    Each post goes through the same checks in the same order as if it were alone (can speak,
    room open, length, established-only, the author's then the room's rate-limit bucket,
    slow mode, the gate); what the posts share is the trips: one Redis round trip for every
    bucket, one INSERT for every message (`store_room_messages`), one hand-over of their
    events to the channel layer after commit (group commit: docs/benchmarks.md).
    `chat.posting` runs the same phases on the event loop, with asynchronous Redis and
    PostgreSQL calls.

    Precondition: the caller checked that each author joined the room (the consumer holds
    membership in its connection state, so no query is needed per message).
    Side effects: the INSERT; after commit, fan-out to each room; a flag or case for the
    moderation queue when a verdict asks for one.
    """
    batch = RoomBatch(posts)
    batch.check_open()
    batch.take_bucket_answers(throttling.check_chains(batch.bucket_chains()))
    if batch.needs_slow_mode():
        batch.check_slow_mode()
    batch.screen()
    batch.record_refusals()
    if batch.verdicts:
        store_room_messages(batch)
    return batch.outcomes


class RoomBatch:
    """The phases of `post_room_messages`, in their order, for the thread and the event loop.

    Only `check_slow_mode` (the shared cache), `record_refusals` and `store_room_messages`
    touch a database or the cache; the others are computation on what the posts carry and
    on the policies in hand (on the event loop, `chat.posting` refreshes them first when due).
    """

    def __init__(self, posts: list[RoomPost]) -> None:
        self.posts = posts
        self.now = timezone.now()
        self.outcomes: list[Any] = [None] * len(posts)
        self.policy = throttling.current_policy()
        self.chains: dict[int, list[throttling.Bucket]] = {}
        self.verdicts: dict[int, gate.Verdict] = {}
        self.refused: list[tuple[RoomPost, gate.Verdict]] = []

    def check_open(self) -> None:
        def check(post: RoomPost) -> None:
            _check_can_speak(post.author, self.now)
            if post.room.is_locked:
                raise PhareError("room_locked")
            _check_length(post.body, post.room.max_message_length)

        _refuse_each(self.posts, self.outcomes, check)
        self.chains = _refuse_each(self.posts, self.outcomes, lambda post: protection.posting_buckets(
            author=post.author, room=post.room, policy=self.policy))

    def bucket_chains(self) -> list[list[throttling.Bucket]]:
        return list(self.chains.values())

    def take_bucket_answers(self, answers: list[PhareError | None]) -> None:
        for index, refusal in zip(self.chains, answers):
            self.outcomes[index] = refusal

    def needs_slow_mode(self) -> bool:
        return any(outcome is None and post.room.slow_mode_seconds > 0
                   for post, outcome in zip(self.posts, self.outcomes))

    def check_slow_mode(self) -> None:
        _refuse_each(self.posts, self.outcomes, lambda post: _check_slow_mode(room=post.room, user=post.author))

    def screen(self) -> None:
        def screen(post: RoomPost) -> gate.Verdict:
            verdict = gate.screen_message(
                text=post.body, audience=post.room.audience, context="room", conversation_accepted=True
            )
            _count_screening("room", verdict)
            if verdict.decision in ("block", "escalate"):
                self.refused.append((post, verdict))
                raise _refuse(verdict)
            protection.check_links(author=post.author, reasons=verdict.reasons)
            return verdict

        self.verdicts = _refuse_each(self.posts, self.outcomes, screen)

    def needs_refusals_recorded(self) -> bool:
        return any(gate.refusal_is_recorded(verdict) for _, verdict in self.refused)

    def record_refusals(self) -> None:
        if not self.needs_refusals_recorded():
            return
        with transaction.atomic():
            for post, verdict in self.refused:
                gate.record_refusal(author=post.author, text=post.body, verdict=verdict, room_id=post.room.pk)

    def writes_beside_messages(self) -> bool:
        """A flag or a reassurance requirement to store with the messages (one transaction)."""
        return any(_writes_beside_its_message(verdict) for verdict in self.verdicts.values())

    def new_messages(self) -> list[Message]:
        return [
            Message(
                room=self.posts[i].room, author=self.posts[i].author, body=self.posts[i].body,
                created_at=self.now, status=_stored_status(verdict),
            )
            for i, verdict in self.verdicts.items()
        ]

    def new_rows(self) -> list[dict[str, Any]]:
        """`new_messages` as rows (`Message.objects.room_row`), for a batch that writes
        nothing beside its messages: `finish_inserted` needs no model instance."""
        created_at = self.now.isoformat()
        return [
            Message.objects.room_row(
                room_id=self.posts[i].room.pk, author_id=self.posts[i].author.pk, body=self.posts[i].body,
                status=_stored_status(verdict), created_at=created_at,
            )
            for i, verdict in self.verdicts.items()
        ]

    def finish_stored(self, messages: list[Message]) -> list[tuple[int, dict[str, Any], int]]:
        """After the INSERT: flags and reassurance (inside the caller's transaction), each
        post's answer, and the events to hand to the layer (room id, payload, author id)."""
        current = translation.get_language()
        deliveries: list[tuple[int, dict[str, Any], int]] = []
        for i, message in zip(self.verdicts, messages):
            post, verdict = self.posts[i], self.verdicts[i]
            if verdict.decision in FLAGGED_DECISIONS:
                gate.record_flag(message=message, verdict=verdict)
            _require_reassurance_if_wrong_space(post.author, verdict)
            self._answer(i, message_repr(message), current, deliveries)
        return deliveries

    def finish_inserted(self, ids: list[int]) -> list[tuple[int, dict[str, Any], int]]:
        """`finish_stored` for rows from `new_rows` and the ids the INSERT returned."""
        current = translation.get_language()
        deliveries: list[tuple[int, dict[str, Any], int]] = []
        for i, pk in zip(self.verdicts, ids, strict=True):
            post = self.posts[i]
            self._answer(i, message_fields(pk, post.author, post.body, self.now), current, deliveries)
        return deliveries

    def _answer(self, i: int, payload: dict[str, Any], current: str | None,
                deliveries: list[tuple[int, dict[str, Any], int]]) -> None:
        post, verdict = self.posts[i], self.verdicts[i]
        status = _answered_status(verdict)
        if status == "delivered":
            deliveries.append((post.room.pk, {"type": "room.message", "room": post.room.slug,
                                              "message": payload}, post.author.pk))
        with _in_language_of(post, current):
            warning = contact_warning(verdict)
        self.outcomes[i] = PostResult(message=payload, status=status,
                                      contact_warning=warning)

    def count_stored(self) -> None:
        for i in self.verdicts:
            metrics.count_message(context="room", outcome=self.outcomes[i].status)


def store_room_messages(batch: RoomBatch) -> None:
    """The accepted posts: one INSERT, their flags, their events after commit.

    One transaction when something is written besides the messages (a flag, a reassurance
    requirement). In the usual batch the INSERT is the only write: it runs as its own
    statement in autocommit, one round trip to PostgreSQL where BEGIN and COMMIT made three,
    equally atomic (one statement) and equally durable.
    """
    with transaction.atomic() if batch.writes_beside_messages() else contextlib.nullcontext():
        messages = batch.new_messages()
        Message.objects.insert_all(messages)
        events.send_many_to_rooms(batch.finish_stored(messages))
    batch.count_stored()


# --- Direct conversations ------------------------------------------------------------------

# Ids are 64-bit: a longer digit string cannot name a row (and would overflow the column).
MAX_ID_DIGITS = 18


def parse_id(value: object) -> int | None:
    """A row id from client input, or None when it cannot be one (never an exception)."""
    text = str(value)
    if not text.isdecimal() or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)


def _find_recipient(*, sender: User, to: str) -> User | None:
    """The account `to` names (an id, else a pseudonym compared by skeleton), annotated with
    `blocked` (a block either way with `sender`) and `shares_room`. One query whoever `to`
    is, so that an account that does not exist and one that may not be contacted take the
    same time to refuse."""
    query = User.objects.filter(is_active=True, deleted_at__isnull=True).annotate(
        blocked=Exists(UserBlock.objects.filter(
            Q(blocker_id=sender.pk, blocked_id=OuterRef("pk")) | Q(blocker_id=OuterRef("pk"), blocked_id=sender.pk))),
        shares_room=Exists(Membership.objects.filter(
            user_id=OuterRef("pk"), room__in=Membership.objects.filter(user_id=sender.pk).values("room"))),
    )
    return User.objects.find_by_pseudonym(to, among=query, pk=parse_id(to))


def _share_a_room(a: User, b: User) -> bool:
    return Membership.objects.filter(
        user=b, room__in=Membership.objects.filter(user=a).values("room")
    ).exists()


def _may_request(*, sender: User, recipient: User) -> bool:
    """The contact matrix, blocks and the recipient's DM policy (`recipient` comes from
    `_find_recipient`, which carries the block and the shared room)."""
    if recipient.pk == sender.pk or not may_contact(sender.age_band, recipient.age_band):
        return False
    if recipient.blocked or recipient.dm_policy == DmPolicy.NOBODY:
        return False
    return recipient.dm_policy != DmPolicy.SHARED_ROOMS or recipient.shares_room


def _no_such_contact() -> PhareError:
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


def open_conversation(*, sender: User, to: str, body: str) -> dict[str, Any]:
    """Send a DM request carrying one text message.

    Nothing more reaches the recipient until they accept. Side effects: a conversation
    in state `requested`, its first message, a `dm.request` event to the recipient.
    """
    now = timezone.now()
    _check_can_speak(sender, now)
    protection.check_first_contact(sender=sender)
    # Before the lookup, so that a long body is refused alike whoever it was for.
    _check_length(body, 500)
    recipient = _find_recipient(sender=sender, to=to)
    if recipient is None or not _may_request(sender=sender, recipient=recipient):
        raise _no_such_contact()
    low, high = sorted([sender, recipient], key=lambda u: u.pk)
    existing = Conversation.objects.filter(user_low=low, user_high=high).first()
    if existing is not None:
        if existing.state == Conversation.State.REQUESTED:
            raise PhareError("dm_request_pending", extra={"conversation": str(existing.pk)})
        if existing.state == Conversation.State.ACCEPTED:
            raise PhareError("conflict", extra={"conversation": str(existing.pk)})
        # Declined, blocked or closed: the recipient said no; a new request is not allowed.
        raise _no_such_contact()
    protection.take_dm_request(sender=sender)
    verdict = gate.screen_message(
        text=body, audience=sender.audience, context="dm_request", conversation_accepted=False
    )
    _count_screening("dm_request", verdict)
    if verdict.decision in ("block", "escalate", "hold"):
        with transaction.atomic():
            gate.record_refusal(author=sender, text=body, verdict=verdict, room_id=None)
        raise _refuse(verdict)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                initiator=sender, recipient=recipient, user_low=low, user_high=high,
                created_at=now, updated_at=now,
            )
            message = Message.objects.create(conversation=conversation, author=sender, body=body, created_at=now)
            if verdict.decision == "flag":
                gate.record_flag(message=message, verdict=verdict)
            gate.schedule_grooming_check(conversation_id=conversation.pk, sender_id=sender.pk)
            events.send_to_user(
                recipient.pk,
                {
                    "type": "dm.request",
                    "conversation": conversation_repr(conversation, viewer_id=recipient.pk, preview=body),
                    "from": public_user(sender),
                    "preview": body,
                    **first_contact_prompt(recipient=recipient),
                },
                author_id=sender.pk,
            )
    except IntegrityError as exc:  # a concurrent request between the same two people
        raise PhareError("dm_request_pending") from exc
    metrics.count_message(context="dm_request", outcome="delivered")
    return conversation_repr(conversation, viewer_id=sender.pk, preview=body)


def _notify_participants(conversation: Conversation, kind: str) -> None:
    for user_id in (conversation.initiator_id, conversation.recipient_id):
        events.send_to_user(
            user_id, {"type": kind, "conversation": conversation_repr(conversation, viewer_id=user_id)}
        )


def _set_state(conversation: Conversation, state: str) -> None:
    conversation.state = state
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=["state", "updated_at"])


def _answer_request(*, user: User, conversation_id: str, state: str, event: str) -> dict[str, Any]:
    """The recipient accepts or declines a pending request; both sides are told."""
    with transaction.atomic():
        conversation = _get_conversation(user=user, conversation_id=conversation_id, lock=True)
        if conversation.recipient_id != user.pk or conversation.state != Conversation.State.REQUESTED:
            raise PhareError("conflict", extra={"state": conversation.state})
        # Bands may have changed since the request: the matrix holds at every step.
        if state == Conversation.State.ACCEPTED and not may_contact(conversation.initiator.age_band, user.age_band):
            raise PhareError("contact_not_allowed")
        _set_state(conversation, state)
        _notify_participants(conversation, event)
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
        _set_state(conversation, Conversation.State.BLOCKED)
        # The blocked person learns only that the conversation ended, not that they were blocked.
        _notify_participants(conversation, "dm.declined")
    return conversation_repr(conversation, viewer_id=user.pk)


@dataclass(frozen=True)
class _ConversationForSending:
    pk: int
    state: str
    initiator_id: int
    recipient_id: int
    other_band: str


def _conversation_for_sending(*, sender: User, conversation_id: str) -> _ConversationForSending:
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
    return _ConversationForSending(pk, state, initiator_id, recipient_id, other_band)


def send_direct_message(*, sender: User, conversation_id: str, body: str) -> PostResult:
    now = timezone.now()
    _check_can_speak(sender, now)
    conversation = _conversation_for_sending(sender=sender, conversation_id=conversation_id)
    if conversation.state == Conversation.State.REQUESTED:
        raise PhareError("dm_request_pending")
    if conversation.state != Conversation.State.ACCEPTED:
        raise PhareError("contact_not_allowed")
    if not may_contact(sender.age_band, conversation.other_band):
        raise PhareError("contact_not_allowed")
    _check_length(body, 2000)
    protection.check_dm_message(sender=sender)
    verdict = gate.screen_message(text=body, audience=sender.audience, context="dm", conversation_accepted=True)
    _count_screening("dm", verdict)
    if verdict.decision in ("block", "escalate"):
        with transaction.atomic():
            gate.record_refusal(author=sender, text=body, verdict=verdict, room_id=None)
        raise _refuse(verdict)
    protection.check_links(author=sender, reasons=verdict.reasons)
    status = _answered_status(verdict)
    with transaction.atomic():
        message = Message(
            conversation_id=conversation.pk, author=sender, body=body, created_at=now,
            status=_stored_status(verdict),
        )
        Message.objects.insert_all([message])
        if verdict.decision in FLAGGED_DECISIONS:
            gate.record_flag(message=message, verdict=verdict)
        _require_reassurance_if_wrong_space(sender, verdict)
        gate.schedule_grooming_check(conversation_id=conversation.pk, sender_id=sender.pk)
        payload = message_repr(message)
        if status == "delivered":
            for user_id in (conversation.initiator_id, conversation.recipient_id):
                events.send_to_user(
                    user_id,
                    {"type": "dm.message", "conversation": str(conversation.pk), "message": payload},
                    author_id=sender.pk,
                )
    metrics.count_message(context="dm", outcome=status)
    return PostResult(message=payload, status=status, contact_warning=contact_warning(verdict))


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


# --- Selectors for moderation's grooming assessment --------------------------------------------

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
        shared_room=_share_a_room(conversation.initiator, conversation.recipient),
        participants=(_participant(conversation.initiator, now), _participant(conversation.recipient, now)),
        messages=[ScoredMessage(message_id=pk, author_id=a, body=b) for pk, a, b in reversed(rows)],
    )


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


# --- Hooks called by accounts (wired in settings) --------------------------------------------

def reapply_contact_matrix(*, user: User, previous_band: str) -> None:
    """After a band change: leave rooms of the other audience and close conversations the
    matrix no longer allows, at once and on live sockets too."""
    allowed_audience = "minors" if user.is_minor else "adults"
    stale = Membership.objects.filter(user=user).exclude(room__audience=allowed_audience).select_related("room")
    for membership in stale:
        events.control_user(user.pk, {"action": "leave_room", "room": membership.room.slug})
    stale.delete()
    live = Conversation.objects.filter(Q(initiator=user) | Q(recipient=user)).filter(
        state__in=[Conversation.State.REQUESTED, Conversation.State.ACCEPTED]
    ).select_related("initiator", "recipient")
    for conversation in live:
        other = conversation.recipient if conversation.initiator_id == user.pk else conversation.initiator
        if may_contact(user.age_band, other.age_band):
            continue
        _set_state(conversation, Conversation.State.CLOSED)
        _notify_participants(conversation, "dm.declined")
    refresh_user_sockets(user=user)


def refresh_user_sockets(*, user: User) -> None:
    """Tell the user's live sockets to reload the account (band, sanctions, restrictions)."""
    events.control_user(user.pk, {"action": "refresh_user"})
    if user.reassurance_required:
        for slug in Membership.objects.filter(user=user).values_list("room__slug", flat=True):
            events.control_user(user.pk, {"action": "leave_room", "room": slug})


# --- Account deletion (accounts' `account_deleted`, chat/receivers.py) ----------------------

def forget_user_content(*, user: User) -> None:
    """Blank a deleted account's messages and end its conversations and memberships.

    Evidence already snapshotted by a report is kept by moderation, not here.
    """
    Message.objects.filter(author=user).update(body="", status=Message.Status.DELETED)
    Conversation.objects.filter(Q(initiator=user) | Q(recipient=user)).update(
        state=Conversation.State.CLOSED, updated_at=timezone.now()
    )
    Membership.objects.filter(user=user).delete()


# --- Moderation hooks (called by moderation.services; chat never calls back) --------------

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


def update_room_settings(*, room_id: int, **fields: Any) -> tuple[Room, dict[str, Any]]:
    """Change a room's lock, status or minimum assurance; returns the room and the previous
    values. Members' sockets reload the room after commit (`room_updated`)."""
    allowed = {"is_locked", "status", "min_assurance"}
    if not set(fields) <= allowed:
        raise PhareError("bad_request")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id)
        previous = {name: getattr(room, name) for name in fields}
        for name, value in fields.items():
            setattr(room, name, value)
        room.save(update_fields=list(fields))
        events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
    return room, previous


def create_room_proposal(*, user: User, slug: str, name: str, description: str, audience: str) -> Room:
    """A user's proposed room: stored pending review, invisible until a moderator approves it.

    Precondition: the name was screened by the caller (moderation). A proposer may only
    propose a room for their own audience.
    """
    if audience != user.audience:
        raise PhareError("bad_request", extra={"field": "audience"})
    room = create_room(slug=slug, name=name, audience=audience, description=description, created_by=user)
    room.status = Room.Status.PENDING
    room.save(update_fields=["status"])
    return room


def close_user_sockets(*, user: User) -> None:
    """Every session of the account ended (log-out, deletion): close its sockets (4001)
    after commit. `chat.realtime.watcher` closes them too if this event is lost."""
    events.control_user(user.pk, {"action": "close", "code": 4001})


def user_sanction_changed(*, user_id: int, close: bool) -> None:
    """Tell a user's live sockets their sanctions changed: close them (4003) or reload the user."""
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


# --- User controls and first-contact prompts (accounts.controls, ops) ----------------------

# Reason codes meaning "this message shares a way to reach its author outside Phare".
CONTACT_REASONS = frozenset(
    {"contact_phone", "contact_email", "contact_url", "contact_handle", "offplatform_request",
     "meeting_arrangement"}
)


def contact_warning(verdict: gate.Verdict) -> dict[str, Any] | None:
    """A prompt for the sender when a message that was let through shares contact details
    (adults, where the policy allows it): the client shows it before the next such message."""
    reasons = [r for r in verdict.reasons if r in CONTACT_REASONS]
    if not reasons or verdict.decision not in ("allow", "flag"):
        return None
    return {
        "code": "contact_details",
        "reasons": reasons,
        "message": gettext(
            "You are sharing contact details. Only share them with people you trust: outside "
            "Phare, nobody moderates the conversation."
        ),
        "safety_url": "/safety/",
    }


def first_contact_prompt(*, recipient: User) -> dict[str, Any]:
    """The `safety_prompt` a minor's client shows with a DM request, before they answer it."""
    if not recipient.is_minor:
        return {}
    return {
        "safety_prompt": {
            "code": "first_contact_minor",
            "message": gettext(
                "Someone you may not know wants to talk to you. You can decline or block them, "
                "and report them if anything feels wrong. Never share your address, your "
                "school, your number or photos, and never agree to meet."
            ),
            "safety_url": "/safety/",
        }
    }


def _end_conversation_between(*, user: User, other: User) -> None:
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
    _set_state(conversation, Conversation.State.BLOCKED)
    # The blocked person learns only that the conversation ended, not that they were blocked.
    _notify_participants(conversation, "dm.declined")


def apply_user_control(*, user: User, other: User, action: str) -> None:
    """Run inside the transaction of a block/mute change (accounts' `user_control_changed`).

    A block ends any conversation between the two; every change makes `user`'s open sockets
    reload the set of authors they hide.
    """
    if action == "block":
        _end_conversation_between(user=user, other=other)
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


def hold_message_images(*, upload_ids: list[int]) -> list[tuple[str, bytes]]:
    """Put these images under legal hold (retention and clean-up skip them) and return the
    bytes of every stored copy, as (file name, bytes), for a referral package."""
    from django.core.files.storage import default_storage

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


# --- Rooms as operators change them (the admin: audited like every write path) --------------

# What an operator may change on a room. Not the slug (clients address rooms by it), nor the
# audience (members of the other audience would stay in), nor the status (a proposal is
# decided in the moderator console, which tells its proposer), nor the lockdown (the
# shield and lift actions, protection.py).
ROOM_SETTINGS = frozenset({"name", "description", "min_assurance", "slow_mode_seconds", "max_message_length",
                           "media_allowed", "is_locked"})


def add_room(*, actor: User | None, slug: str, name: str, audience: str, min_assurance: str = "declared",
             description: str = "", slow_mode_seconds: int = 0, max_message_length: int = 1000,
             media_allowed: bool = False) -> Room:
    """An operator's room (admin, or `actor` None: `manage.py createroom`): `create_room`'s
    checks, and an audit entry (`room.created`)."""
    with transaction.atomic():
        room = create_room(slug=slug, name=name, audience=audience, min_assurance=min_assurance,
                           description=description, slow_mode_seconds=slow_mode_seconds,
                           max_message_length=max_message_length, media_allowed=media_allowed,
                           created_by=actor)
        account_signals.request_audit(actor=actor, action="room.created", target_type="room", target_id=str(room.pk),
                                      data={"slug": slug, "name": name, "audience": audience,
                                            "min_assurance": min_assurance, "media_allowed": media_allowed})
    return room


def edit_room(*, actor: User, room_id: int, changes: dict[str, Any]) -> Room:
    """Change a room's settings (ROOM_SETTINGS only, else `bad_request`; images never in a
    minors' room, `media_not_allowed`). Side effects: an audit entry (`room.changed`, with
    the values before), and members' sockets reload the room after commit."""
    if not set(changes) <= ROOM_SETTINGS:
        raise PhareError("bad_request", extra={"fields": sorted(set(changes) - ROOM_SETTINGS)})
    if "min_assurance" in changes and changes["min_assurance"] not in ASSURANCE_ORDER:
        raise PhareError("bad_request", extra={"field": "min_assurance"})
    with transaction.atomic():
        room = Room.objects.select_for_update().filter(pk=room_id).first()
        if room is None:
            raise PhareError("not_found")
        if changes.get("media_allowed") and room.audience == "minors":
            raise PhareError("media_not_allowed")
        previous = {name: getattr(room, name) for name in changes}
        if not changes or previous == changes:
            return room
        for name, value in changes.items():
            setattr(room, name, value)
        room.save(update_fields=list(changes))
        events.control_room(room.pk, {"action": "room_updated", "room": room.slug})
        account_signals.request_audit(actor=actor, action="room.changed", target_type="room", target_id=str(room.pk),
                                      data={"from": previous, "to": changes})
    return room
