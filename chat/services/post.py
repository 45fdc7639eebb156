"""The one posting pipeline: every message a person sends is posted here.

A room message, a DM request (the first message of a conversation), a DM reply and an image
(posted once its scan cleared it, chat.media) are each a `Post` with a target. `PostBatch`
runs the same phases on every post, in this order, and a post refused at one phase goes no
further:

1. `check_open`: the author may speak (not suspended or muted, no reassurance pending), the
   target's own checks (the room is open, the conversation accepted, the recipient may be
   contacted…), the length, and the rate-limit buckets the post will spend;
2. `take_bucket_answers`: the buckets of every post in one Redis round trip;
3. `check_slow_mode`: rooms that have it (the shared cache);
4. `screen`: the safety gate (moderation.gate); what it refuses is answered
   `blocked_by_policy` and recorded as an attempt (`record_refusals`);
5. `store`: one INSERT for every message, a conversation for a request, the flags and
   reassurance requirements beside them, in one transaction when there is more than the
   INSERT to write;
6. `finish`: each post's answer and its events, handed to the channel layer after commit
   (chat.realtime.events).

Two runners drive these phases: `post_messages` in the calling thread (direct messages from
a posting thread, images from the scan task, management commands, tests), and
`chat.posting.post_on_loop` on the event loop, for the room messages the socket server
gathers into batches (group commit, docs/benchmarks.md). They share every phase; a runner
only decides how each trip to Redis and PostgreSQL is made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts import throttling
from accounts.models import MINOR_BANDS, User
from accounts.representations import public_user
from accounts.services import require_reassurance
from chat import protection
from chat.models import Conversation, Message, Room, Upload
from chat.realtime import events
from chat.representations import conversation_repr, message_fields, message_repr
from chat.services.recent import recent_texts
from chat.services import first_contact
from chat.services.conversations import (
    conversation_for_sending,
    find_recipient,
    may_request,
    no_such_contact,
)
from chat.services.rooms import assurance_required
from chat.services.trusted import Party, may_talk
from core.errors import PhareError
from moderation import gate
from ops import metrics


@dataclass(frozen=True)
class PostResult:
    message: dict[str, Any]
    status: str  # "delivered" or "held"
    # Set when the message shares contact details where that is allowed (adults).
    contact_warning: dict[str, Any] | None = None
    # Set when the message is held: why, in the author's language (`held_for_review`).
    hold: dict[str, Any] | None = None
    # A DM request's new conversation, as its sender sees it.
    conversation: dict[str, Any] | None = None


# --- Targets: what differs between a room, a reply and a request --------------------------------

Delivery = tuple[int, dict[str, Any], int]  # (room or user id, event, author id)


@dataclass
class Deliveries:
    """The events of a batch: to rooms (handed over together) and to people."""

    rooms: list[Delivery]
    users: list[Delivery]


class RoomTarget:
    """A room the author joined (the socket holds its membership and settings)."""

    context = "room"
    conversation_accepted = True
    refusing = ("block", "escalate")

    def __init__(self, room: Room) -> None:
        self.room = room

    @property
    def slow_mode_seconds(self) -> int:
        return self.room.slow_mode_seconds

    def check(self, post: Post, policy: throttling.Policy) -> list[throttling.Bucket]:
        if self.room.is_locked:
            raise PhareError("room_locked")
        if post.image is not None:
            return []  # spent when the image was uploaded (chat.media.accept_upload)
        _check_length(post.body, self.room.max_message_length)
        return protection.posting_buckets(author=post.author, room=self.room, policy=policy)

    def held_for_review(self, verdict: gate.Verdict) -> gate.Verdict:
        return verdict

    def audience(self, post: Post) -> str:
        return self.room.audience

    def prepare(self, post: Post, now: dt.datetime) -> None:
        pass

    def message(self, post: Post, now: dt.datetime, status: str) -> Message:
        return Message(room=self.room, author=post.author, body=post.body, image=post.image,
                       created_at=now, status=status, reply_to=post.reply_to)

    def row(self, post: Post, created_at: str, status: str) -> dict[str, Any]:
        return Message.objects.room_row(room_id=self.room.pk, author_id=post.author.pk, body=post.body,
                                        status=status, created_at=created_at)

    def after_store(self, post: Post) -> None:
        pass

    def deliver(self, post: Post, payload: dict[str, Any], deliveries: Deliveries) -> None:
        deliveries.rooms.append((self.room.pk, {"type": "room.message", "room": self.room.slug,
                                                "message": payload}, post.author.pk))
        if post.reply_to is not None:  # a minor answered for the first time by this author
            notice = first_contact.for_room_reply(sender=post.author, answered=post.reply_to, room=self.room,
                                                  message_id=int(payload["id"]))
            if notice is not None:
                deliveries.users.append((post.reply_to.author_id, notice, post.author.pk))

    def answer(self, post: Post, result: PostResult) -> PostResult:
        return result


class ReplyTarget:
    """A conversation both people accepted (`conversation_id` as the client sent it)."""

    context = "dm"
    conversation_accepted = True
    refusing = ("block", "escalate")
    slow_mode_seconds = 0

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self.conversation: Any = None
        self.under_review = False

    def check(self, post: Post, policy: throttling.Policy) -> list[throttling.Bucket]:
        conversation = conversation_for_sending(sender=post.author, conversation_id=self.conversation_id)
        if conversation.state == Conversation.State.REQUESTED:
            raise PhareError("dm_request_pending")
        if conversation.state != Conversation.State.ACCEPTED:
            raise PhareError("contact_not_allowed")
        other = Party(conversation.recipient_id if post.author.pk == conversation.initiator_id
                      else conversation.initiator_id, conversation.other_band)
        if not may_talk(post.author, other):
            metrics.count_contact_refused(from_band=post.author.age_band, to_band=conversation.other_band)
            raise PhareError("contact_not_allowed")
        self.conversation = conversation
        self.conversation_accepted = conversation.answered
        self.under_review = gate.pair_under_review(sender_id=post.author.pk, conversation_id=conversation.pk)
        if post.image is not None:
            return []  # spent when the image was uploaded (chat.media.accept_upload)
        _check_length(post.body, 2000)
        return protection.dm_message_buckets(sender=post.author, policy=policy)

    def held_for_review(self, verdict: gate.Verdict) -> gate.Verdict:
        """A reply the gate let through waits all the same while a risk hold on its sender
        in this conversation awaits a moderator (moderation.gate.pair_under_review)."""
        if not self.under_review or verdict.decision in self.refusing or verdict.decision == "hold":
            return verdict
        return replace(verdict, decision="hold", reasons=(*verdict.reasons, "review_pending"),
                       categories=tuple(dict.fromkeys((*verdict.categories, "grooming"))))

    def audience(self, post: Post) -> str:
        return post.author.audience

    def prepare(self, post: Post, now: dt.datetime) -> None:
        pass

    def message(self, post: Post, now: dt.datetime, status: str) -> Message:
        return Message(conversation_id=self.conversation.pk, author=post.author, body=post.body,
                       image=post.image, created_at=now, status=status)

    def after_store(self, post: Post) -> None:
        gate.schedule_grooming_check(conversation_id=self.conversation.pk, sender_id=post.author.pk)

    def deliver(self, post: Post, payload: dict[str, Any], deliveries: Deliveries) -> None:
        event = {"type": "dm.message", "conversation": str(self.conversation.pk), "message": payload}
        for user_id in (self.conversation.initiator_id, self.conversation.recipient_id):
            deliveries.users.append((user_id, event, post.author.pk))

    def answer(self, post: Post, result: PostResult) -> PostResult:
        return result


class RequestTarget:
    """A new conversation with the account `to` names: nothing more reaches the recipient
    until they accept. A request the gate would hold is refused: nothing waits in a
    stranger's inbox."""

    context = "dm_request"
    conversation_accepted = False
    refusing = ("block", "escalate", "hold")
    slow_mode_seconds = 0

    def __init__(self, to: str) -> None:
        self.to = to
        self.recipient: User | None = None
        self.conversation: Conversation | None = None

    def check(self, post: Post, policy: throttling.Policy) -> list[throttling.Bucket]:
        sender = post.author
        protection.check_first_contact(sender=sender)
        # Before the lookup, so that a long body is refused alike whoever it was for.
        _check_length(post.body, 500)
        recipient = find_recipient(sender=sender, to=self.to)
        if recipient is None or not may_request(sender=sender, recipient=recipient):
            if recipient is not None and not may_talk(sender, recipient, trusted=recipient.trusted):
                # Counted, and answered like any other refusal: the answer reveals nothing.
                metrics.count_contact_refused(from_band=sender.age_band, to_band=recipient.age_band)
            raise no_such_contact()
        low, high = sorted([sender.pk, recipient.pk])
        existing = Conversation.objects.filter(user_low_id=low, user_high_id=high).first()
        if existing is not None:
            if existing.state == Conversation.State.REQUESTED:
                raise PhareError("dm_request_pending", extra={"conversation": str(existing.pk)})
            if existing.state == Conversation.State.ACCEPTED:
                raise PhareError("conflict", extra={"conversation": str(existing.pk)})
            # Declined, blocked or closed: the recipient said no; a new request is not allowed.
            raise no_such_contact()
        protection.check_request_recipient(recipient=recipient)
        self.recipient = recipient
        return protection.dm_request_buckets(sender=sender)

    def held_for_review(self, verdict: gate.Verdict) -> gate.Verdict:
        return verdict

    def audience(self, post: Post) -> str:
        return post.author.audience

    def prepare(self, post: Post, now: dt.datetime) -> None:
        low, high = sorted([post.author, self.recipient], key=lambda u: u.pk)
        try:
            with transaction.atomic():  # a savepoint: a concurrent request refuses this post only
                self.conversation = Conversation.objects.create(
                    initiator=post.author, recipient=self.recipient, user_low=low, user_high=high,
                    created_at=now, updated_at=now,
                )
        except IntegrityError as exc:  # a concurrent request between the same two people
            raise PhareError("dm_request_pending") from exc

    def message(self, post: Post, now: dt.datetime, status: str) -> Message:
        return Message(conversation=self.conversation, author=post.author, body=post.body,
                       created_at=now, status=status)

    def after_store(self, post: Post) -> None:
        gate.schedule_grooming_check(conversation_id=self.conversation.pk, sender_id=post.author.pk)

    def deliver(self, post: Post, payload: dict[str, Any], deliveries: Deliveries) -> None:
        recipient = self.recipient
        deliveries.users.append((recipient.pk, {
            "type": "dm.request",
            "conversation": conversation_repr(self.conversation, viewer_id=recipient.pk, preview=post.body),
            "from": public_user(post.author),
            "preview": post.body,
            **first_contact.for_dm_request(sender=post.author, recipient=recipient,
                                           conversation=self.conversation),
        }, post.author.pk))

    def answer(self, post: Post, result: PostResult) -> PostResult:
        return replace(result, conversation=conversation_repr(self.conversation, viewer_id=post.author.pk,
                                                         preview=post.body))


Target = RoomTarget | ReplyTarget | RequestTarget


@dataclass(frozen=True)
class Post:
    """A message someone asks to send. `image`: a cleared upload, posted by the scan task
    (its bytes were screened against the hash banks, its sender's limits spent on upload)."""

    author: User
    body: str
    target: Target
    # The sender's language, for the explanations they get back (posts are stored together,
    # in one thread, whatever language each sender reads).
    language: str | None = None
    image: Upload | None = None
    # The room message this one answers (chat.services.first_contact.answered_message).
    reply_to: Message | None = None


# --- The checks every post goes through -----------------------------------------------------------

def check_can_speak(user: User, now: dt.datetime) -> None:
    if user.is_suspended(now):
        raise PhareError("suspended")
    if user.is_muted(now):
        retry = int((user.muted_until - now).total_seconds()) + 1
        raise PhareError("muted", retry_after=retry)
    if user.reassurance_required:
        raise assurance_required(user.reassurance_level or "estimated", reason="reassurance")


def _check_length(body: str, max_length: int) -> None:
    if not body.strip():
        raise PhareError("bad_request", extra={"field": "body"})
    if len(body) > max_length:
        raise PhareError("too_large", extra={"max_length": max_length})


def _check_slow_mode(post: Post) -> None:
    seconds = post.target.slow_mode_seconds
    if seconds <= 0:
        return
    key = f"slow:{post.target.room.pk}:{post.author.pk}"
    now = time.time()
    # cache.add is atomic (SET NX on Redis), so slow mode holds across server processes. The
    # value is when the last message went through, so the wait announced is what is left.
    if not cache.add(key, now, timeout=seconds):
        posted_at = cache.get(key)
        elapsed = now - posted_at if isinstance(posted_at, float) else 0.0
        left = max(1, math.ceil(seconds - elapsed))
        raise PhareError("rate_limited", retry_after=left, extra={"reason": "slow_mode"})


# Age statements from the other side of the line: the author may be in the wrong space.
WRONG_SPACE_REASONS = frozenset({"minor_age_statement", "adult_age_statement"})
# Decisions that let a message through with a flag for the moderation queue.
FLAGGED_DECISIONS = ("flag", "hold")
# An image carries no text: its screening was the hash-bank scan.
IMAGE_VERDICT = gate.Verdict(decision="allow")


def _writes_beside_its_message(verdict: gate.Verdict) -> bool:
    """A flag or a reassurance requirement: stored in the same transaction as the message."""
    return verdict.decision in FLAGGED_DECISIONS or bool(WRONG_SPACE_REASONS.intersection(verdict.reasons))


def _stored_status(verdict: gate.Verdict) -> str:
    return Message.Status.HELD if verdict.decision == "hold" else Message.Status.VISIBLE


def _answered_status(verdict: gate.Verdict) -> str:
    """`PostResult.status`, also the outcome counted: held for review, or delivered."""
    return "held" if verdict.decision == "hold" else "delivered"


def _refuse(verdict: gate.Verdict) -> PhareError:
    return PhareError("blocked_by_policy", gate.explain_verdict(verdict), extra={"reasons": list(verdict.reasons)})


# Reason codes meaning "this message shares a way to reach its author outside Phare".
CONTACT_REASONS = frozenset(
    {"contact_phone", "contact_email", "contact_url", "contact_handle", "offplatform_request",
     "meeting_arrangement"}
)


def hold_note(verdict: gate.Verdict) -> dict[str, Any]:
    """What the author of a held message is told: it waits for a moderator, and why. Nothing
    is decided yet; the moderator's decision comes as a notice, with how to appeal it."""
    return {"code": "held_for_review", "reasons": list(verdict.reasons), "message": gate.explain_verdict(verdict)}


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


def _in_language_of(post: Post, current: str | None):
    """Explanations in the sender's language; a no-op in the usual case where the batch
    already speaks it, `current` (asked once per batch step: activating a language, and even
    asking which is active, costs more than the comparison)."""
    if not post.language or post.language == current:
        return contextlib.nullcontext()
    return translation.override(post.language)


def _refuse_each(posts: list[Post], outcomes: list, check) -> dict[int, Any]:
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


def _attempt_target(post: Post) -> gate.AttemptTarget:
    """Where a refused post was going, as its attempt records it (the target's checks
    already loaded the room, the conversation or the recipient)."""
    target = post.target
    if isinstance(target, RoomTarget):
        return gate.AttemptTarget(context=target.context, room_id=target.room.pk,
                                  towards_minor=target.room.audience == "minors")
    if isinstance(target, ReplyTarget):
        conversation = target.conversation
        other = (conversation.recipient_id if conversation.initiator_id == post.author.pk
                 else conversation.initiator_id)
        return gate.AttemptTarget(context=target.context, conversation_id=conversation.pk, recipient_id=other,
                                  towards_minor=conversation.other_band in MINOR_BANDS)
    return gate.AttemptTarget(context=target.context, recipient_id=target.recipient.pk,
                              towards_minor=target.recipient.is_minor)


def _window_of(post: Post) -> tuple[str, int]:
    """Whom a post speaks to, for its sender's window of recent texts: a room, or the other
    person (a DM request and the replies after it share one window)."""
    target = post.target
    if isinstance(target, RoomTarget):
        return ("room", target.room.pk)
    if isinstance(target, ReplyTarget):
        conversation = target.conversation
        return ("person", conversation.recipient_id if conversation.initiator_id == post.author.pk
                else conversation.initiator_id)
    return ("person", target.recipient.pk)


# --- The phases ---------------------------------------------------------------------------------

class PostBatch:
    """The phases of the pipeline, in their order, over posts that arrived together.

    Only `check_open` for a conversation (its lookups), `check_slow_mode` (the shared cache),
    `record_refusals` and `store` touch a database or the cache; the others are computation
    on what the posts carry and on the policies in hand (on the event loop, chat.posting
    refreshes them first when due).
    """

    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts
        self.now = timezone.now()
        self.outcomes: list[Any] = [None] * len(posts)
        self.policy = throttling.current_policy()
        self.chains: dict[int, list[throttling.Bucket]] = {}
        self.verdicts: dict[int, gate.Verdict] = {}
        self.refused: list[tuple[Post, gate.Verdict]] = []
        self.stored: dict[int, Message] = {}

    def check_open(self) -> None:
        def check(post: Post) -> list[throttling.Bucket]:
            check_can_speak(post.author, self.now)
            return post.target.check(post, self.policy)

        self.chains = _refuse_each(self.posts, self.outcomes, check)

    def bucket_chains(self) -> list[list[throttling.Bucket]]:
        return list(self.chains.values())

    def take_bucket_answers(self, answers: list[PhareError | None]) -> None:
        for index, refusal in zip(self.chains, answers):
            self.outcomes[index] = refusal

    def needs_slow_mode(self) -> bool:
        return any(outcome is None and post.target.slow_mode_seconds > 0
                   for post, outcome in zip(self.posts, self.outcomes))

    def check_slow_mode(self) -> None:
        _refuse_each(self.posts, self.outcomes, _check_slow_mode)

    def screen(self) -> None:
        """The gate, each text read with its sender's recent texts to the same room or person
        (`recent_texts`, in process: no I/O here, this runs on the event loop too); every
        text screened joins that window, refused or not."""
        def screen(post: Post) -> gate.Verdict:
            if post.image is not None:
                return IMAGE_VERDICT
            target = post.target
            window = _window_of(post)
            verdict = gate.screen_message(text=post.body, audience=target.audience(post), context=target.context,
                                          conversation_accepted=target.conversation_accepted,
                                          recent=recent_texts.texts(post.author.pk, window))
            verdict = target.held_for_review(verdict)
            refused = verdict.decision in target.refusing
            recent_texts.add(post.author.pk, window,
                             gate.remember(post.body, refused=refused, reasons=verdict.reasons))
            metrics.count_verdict(context=target.context, decision=verdict.decision, reasons=verdict.reasons)
            if refused:
                metrics.count_message(context=target.context, outcome="blocked")
                self.refused.append((post, verdict))
                raise _refuse(verdict)
            protection.check_links(author=post.author, reasons=verdict.reasons)
            return verdict

        self.verdicts = _refuse_each(self.posts, self.outcomes, screen)

    def needs_refusals_recorded(self) -> bool:
        return any(gate.refusal_is_recorded(verdict) for _, verdict in self.refused)

    def record_refusals(self) -> None:
        """Each refused post is an attempt (moderation.gate.record_refusal): its text kept as
        evidence, counted towards repeated attempts and in the grooming score. Only refused
        posts come here, and on the event loop chat.posting runs this on a posting thread."""
        if not self.needs_refusals_recorded():
            return
        with transaction.atomic():
            for post, verdict in self.refused:
                gate.record_refusal(author=post.author, text=post.body, verdict=verdict,
                                    target=_attempt_target(post))

    def only_room_rows(self) -> bool:
        """Nothing to write but room messages' rows: the event loop's one-statement INSERT
        (`new_rows`, `finish_inserted`) can store this batch."""
        return all(isinstance(self.posts[i].target, RoomTarget) and self.posts[i].image is None
                   and self.posts[i].reply_to is None  # a reply may bring a first-contact notice
                   and not _writes_beside_its_message(verdict) for i, verdict in self.verdicts.items())

    def store(self) -> None:
        """The accepted posts: one INSERT, what goes beside it, their events after commit.

        One transaction when something is written besides the messages (a conversation, a
        flag, a reassurance requirement). In the usual room batch the INSERT is the only
        write: it runs as its own statement in autocommit, one round trip to PostgreSQL
        where BEGIN and COMMIT made three, equally atomic (one statement) and durable.
        """
        with contextlib.nullcontext() if self.only_room_rows() else transaction.atomic():
            self._prepare_targets()
            messages = [self.posts[i].target.message(self.posts[i], self.now, _stored_status(verdict))
                        for i, verdict in self.verdicts.items()]
            Message.objects.insert_all(messages)
            self.stored = dict(zip(self.verdicts, messages))
            deliveries = self._finish_stored()
            # People first: a first-contact notice reaches a minor before the reply it announces.
            for user_id, event, author_id in deliveries.users:
                events.send_to_user(user_id, event, author_id=author_id)
            events.send_many_to_rooms(deliveries.rooms)
        self.count_stored()

    def _prepare_targets(self) -> None:
        for index in list(self.verdicts):
            post = self.posts[index]
            try:
                post.target.prepare(post, self.now)
            except PhareError as error:  # a concurrent DM request between the same two people
                self.outcomes[index] = error
                del self.verdicts[index]

    def _finish_stored(self) -> Deliveries:
        """After the INSERT: flags and reassurance (inside the caller's transaction), each
        post's answer, and its events."""
        current = translation.get_language()
        deliveries = Deliveries(rooms=[], users=[])
        for i, message in self.stored.items():
            post, verdict = self.posts[i], self.verdicts[i]
            if verdict.decision in FLAGGED_DECISIONS:
                gate.record_flag(message=message, verdict=verdict)
            reasons = WRONG_SPACE_REASONS.intersection(verdict.reasons)
            if reasons:
                require_reassurance(user=post.author, reason=sorted(reasons)[0])
            post.target.after_store(post)
            self._answer(i, message_repr(message), current, deliveries)
        return deliveries

    def new_rows(self) -> list[dict[str, Any]]:
        """The messages as rows (`Message.objects.room_row`), for a batch of room messages
        that writes nothing beside them (`only_room_rows`): no model instance needed."""
        created_at = self.now.isoformat()
        return [self.posts[i].target.row(self.posts[i], created_at, _stored_status(verdict))
                for i, verdict in self.verdicts.items()]

    def finish_inserted(self, ids: list[int]) -> list[Delivery]:
        """`store`'s answers and room events for rows from `new_rows` and the ids the
        INSERT returned (the caller hands the events over: the INSERT has committed)."""
        current = translation.get_language()
        deliveries = Deliveries(rooms=[], users=[])
        for i, pk in zip(self.verdicts, ids, strict=True):
            post = self.posts[i]
            self._answer(i, message_fields(pk, post.author, post.body, self.now), current, deliveries)
        return deliveries.rooms

    def _answer(self, i: int, payload: dict[str, Any], current: str | None, deliveries: Deliveries) -> None:
        post, verdict = self.posts[i], self.verdicts[i]
        status = _answered_status(verdict)
        if status == "delivered":
            post.target.deliver(post, payload, deliveries)
        with _in_language_of(post, current):
            warning = contact_warning(verdict)
            hold = hold_note(verdict) if status == "held" else None
        self.outcomes[i] = post.target.answer(post, PostResult(message=payload, status=status,
                                                                contact_warning=warning, hold=hold))

    def count_stored(self) -> None:
        for i in self.verdicts:
            metrics.count_message(context=self.posts[i].target.context, outcome=self.outcomes[i].status)


# --- The runner in the calling thread --------------------------------------------------------------

def post_messages(posts: list[Post]) -> list[PostResult | PhareError]:
    """Run the pipeline on `posts` in this thread: per post, its result or its refusal.

    Each post goes through the same checks in the same order as if it were alone; what the
    posts share is the trips: one Redis round trip for every bucket, one INSERT for every
    message, one hand-over of their events to the channel layer after commit.

    Precondition: a room post's author joined the room (the socket holds its memberships, so
    no query is needed per message).
    """
    batch = PostBatch(posts)
    batch.check_open()
    batch.take_bucket_answers(throttling.check_chains(batch.bucket_chains()))
    if batch.needs_slow_mode():
        batch.check_slow_mode()
    batch.screen()
    batch.record_refusals()
    if batch.verdicts:
        batch.store()
    return batch.outcomes


def post_message(post: Post) -> PostResult:
    """`post_messages` for one post; raises its refusal."""
    outcome = post_messages([post])[0]
    if isinstance(outcome, PhareError):
        raise outcome
    return outcome


def post_room_message(*, author: User, room: Room, body: str) -> PostResult:
    return post_message(Post(author=author, body=body, target=RoomTarget(room)))


def open_conversation(*, sender: User, to: str, body: str) -> dict[str, Any]:
    """A DM request carrying one text message; the new conversation as its sender sees it."""
    return post_message(Post(author=sender, body=body, target=RequestTarget(to))).conversation


def send_direct_message(*, sender: User, conversation_id: str, body: str) -> PostResult:
    return post_message(Post(author=sender, body=body, target=ReplyTarget(conversation_id)))
