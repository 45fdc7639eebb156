"""The safety gate the chat calls: screen a message, a DM request or a name → a Verdict.

The verdict itself comes from the pure policy engine (`moderation.policy`). This module
owns what needs Django: the policy snapshot (seed lists in code plus the operators' lists
from the database, compiled once and cached in process, reloaded when the version key in
the shared cache changes), the user's language, and the rows a verdict leaves behind.

What a filed flag leads to (a case, interim measures, triage) belongs to moderation's
services, which call chat's; the gate tells them through moderation/signals.py rather than
importing them, so that chat → gate never leads back to chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone, translation

from accounts.models import MINOR_BANDS
from chat.models import Conversation, Room
from core.versioned import VersionedPolicy
from moderation import hashbanks, signals
from moderation.models import AllowedTerm, Attempt, Case, FailsafeState, Flag, ScreeningPolicy, ScreeningTerm
from moderation.policy import (
    REASON_CODES,
    PolicyConfig,
    WINDOW_MESSAGES,
    WINDOW_SECONDS,
    PolicySnapshot,
    RecentText,
    ScreeningContext,
    TermEntry,
    Verdict,
    build_snapshot,
    explain,
    remember,
    screen_text,
)
from moderation.policy.names import screen_name_text
from moderation.seeds import load_seed_allow, load_seed_terms

__all__ = ["Verdict", "screen_message", "screen_name", "explain_verdict", "current_snapshot",
           # windows (chat.services.recent keeps them, screen_message reads them)
           "RecentText", "remember", "WINDOW_MESSAGES", "WINDOW_SECONDS"]

SNAPSHOT_VERSION_KEY = "policy:screening:version"


def _load_snapshot(version: object) -> PolicySnapshot:
    terms: list[TermEntry] = list(load_seed_terms())
    disabled = set()
    for row in ScreeningTerm.objects.all():
        if not row.enabled:
            disabled.add((row.term.casefold(), row.category))
            continue
        terms.append(
            TermEntry(term=row.term, category=row.category, kind=row.kind, lang=row.lang,
                      observe_only=row.observe_only)
        )
    if disabled:
        terms = [t for t in terms if (t.term.casefold(), t.category) not in disabled]
    allow = list(load_seed_allow()) + list(AllowedTerm.objects.values_list("term", flat=True))
    return build_snapshot(terms=terms, allow=allow, config=_load_config(), version=str(version))


def _load_config() -> PolicyConfig:
    """The operator's screening rules, or the safe defaults when none were saved."""
    row = ScreeningPolicy.objects.filter(pk=1).first()
    if row is None:
        return PolicyConfig()
    return PolicyConfig(**{name: getattr(row, name) for name in ScreeningPolicy.CONFIG_FIELDS})


_snapshot: VersionedPolicy[PolicySnapshot] = VersionedPolicy(SNAPSHOT_VERSION_KEY, _load_snapshot)


def current_snapshot() -> PolicySnapshot:
    """The compiled lists and rules; reloaded within seconds after an operator's change."""
    return _snapshot.get()


def snapshot_fresh_for(seconds: float) -> bool:
    return _snapshot.fresh_for(seconds)


def bump_policy_version() -> None:
    """Call after an operator changes a term list so that every process recompiles."""
    _snapshot.bump()


OBSERVED_KEY = "observed:{version}:{audience}:{context}:{code}"
OBSERVED_CONTEXTS = ("room", "dm_request", "dm")


def _count_observed(verdict: Verdict, snapshot: PolicySnapshot, audience: str, context: str) -> None:
    # Observe-only rules on live traffic: counted per policy version in the shared cache, so
    # operators see what a rule would have done before switching it on (`screen_observed`).
    for code in verdict.observed:
        key = OBSERVED_KEY.format(version=snapshot.version, audience=audience, context=context, code=code)
        if not cache.add(key, 1, timeout=30 * 86400):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=30 * 86400)


def observed_counts() -> dict[str, int]:
    """`audience:context:code → count` of observe-only hits under the current policy version."""
    version = current_snapshot().version
    keys = {
        OBSERVED_KEY.format(version=version, audience=a, context=c, code=code): f"{a}:{c}:{code}"
        for a in ("minors", "adults") for c in OBSERVED_CONTEXTS for code in REASON_CODES
    }
    found = cache.get_many(list(keys))
    return {keys[key]: int(value) for key, value in found.items()}


def screen_message(*, text: str, audience: str, context: str, conversation_accepted: bool,
                   recent: Sequence[RecentText] = ()) -> Verdict:
    """Pure CPU once the snapshot is warm: no database read per message.

    `recent`: the sender's earlier texts to the same room or person, oldest first, each from
    `remember` (chat.services.recent keeps them): what is split over them and this text is
    judged whole (moderation/policy/window.py, docs/screening.md "Windows")."""
    snapshot = current_snapshot()
    verdict = screen_text(
        text,
        snapshot=snapshot,
        context=ScreeningContext(audience=audience, context=context, conversation_accepted=conversation_accepted),
        recent=recent,
    )
    if verdict.observed:
        _count_observed(verdict, snapshot, audience, context)
    return verdict


def screen_name(name: str, kind: str) -> str | None:
    """A pseudonym or room name: None if acceptable, else the refusal's reason code.

    Names are seen by everyone, minors included, so they are screened as in minors' spaces,
    and read for what names do that sentences do not (moderation.policy.names: "daddy4teens",
    an age beside a person word, an app glued to a name).
    """
    verdict = screen_name_text(
        name,
        snapshot=current_snapshot(),
        context=ScreeningContext(audience="minors", context=kind, conversation_accepted=False),
        this_year=timezone.localdate().year,
    )
    if verdict.decision == "allow":
        return None
    return verdict.reasons[0] if verdict.reasons else "name_not_allowed"


def explain_verdict(verdict: Verdict) -> str:
    lang = "fr" if (translation.get_language() or "fr").startswith("fr") else "en"
    if not verdict.reasons:
        return explain("blocked_by_policy", lang)
    return explain(verdict.reasons[0], lang)


def file_flag(*, verdict: Verdict, subject_id: int, text: str, message_id: int | None,
               room_id: int | None, conversation_id: int | None) -> Flag:
    flag = Flag.objects.create(
        subject_id=subject_id, subject_id_snapshot=subject_id, text=text,
        message_id_snapshot=message_id, room_id_snapshot=room_id,
        conversation_id_snapshot=conversation_id, decision=verdict.decision,
        reasons=list(verdict.reasons), categories=list(verdict.categories), risk=verdict.risk,
    )
    # moderation's services (receivers.py) triage it after commit and, for an escalation,
    # restrict the sender at once, inside this transaction, rather than after the queue.
    signals.flag_filed.send(sender=Flag, flag=flag)
    return flag


GROOMING_DEBOUNCE_SECONDS = 30


def schedule_grooming_check(*, conversation_id: int, sender_id: int) -> None:
    """After DM traffic: score the conversation off the hot path, at most once per
    conversation every GROOMING_DEBOUNCE_SECONDS (the task reads the latest messages anyway)."""
    if cache.add(f"grooming:pending:{conversation_id}", 1, timeout=GROOMING_DEBOUNCE_SECONDS):
        signals.grooming_check_due.send(sender=Flag, conversation_id=conversation_id, sender_id=sender_id)


def record_flag(*, message, verdict: Verdict) -> Flag:
    """A stored message the gate flagged or held: a row for the moderation queue. A held
    message is also an attempt (it did not reach its audience), kept without a second copy
    of its text: the message and the flag hold it."""
    flag = file_flag(
        verdict=verdict, subject_id=message.author_id, text=message.body, message_id=message.pk,
        room_id=message.room_id, conversation_id=message.conversation_id,
    )
    if verdict.decision == "hold":
        _record_attempt(author_id=message.author_id, text="", verdict=verdict, target=_target_of(message),
                        flag=flag, message_id=message.pk)
    return flag


@dataclass(frozen=True)
class AttemptTarget:
    """Who a refused or held message was meant for: a room, or a person (a DM request's
    recipient; a reply's conversation and the other participant)."""

    context: str  # "room", "dm_request" or "dm"
    room_id: int | None = None
    conversation_id: int | None = None
    recipient_id: int | None = None
    # A minors' room, or a recipient in a minors' band.
    towards_minor: bool = False


# Decisions that keep a message from its audience: each is an attempt (moderation.models.Attempt).
ATTEMPT_DECISIONS = ("block", "escalate", "hold")


def refusal_is_recorded(verdict: Verdict) -> bool:
    """Every refusal is recorded as an attempt: the sender's retries with another spelling
    stay as evidence, count towards repeated attempts and in the grooming score. An
    escalation also files a flag, which opens a case at once."""
    return verdict.decision in ATTEMPT_DECISIONS


def record_refusal(*, author, text: str, verdict: Verdict, room_id: int | None = None,
                   target: AttemptTarget | None = None) -> Attempt | None:
    """A refused message: an attempt, and a flag for an escalation. `target` says where it
    was going (without one, the room `room_id`). Precondition: in a transaction."""
    if not refusal_is_recorded(verdict):
        return None
    target = target or _room_target(room_id)
    flag = None
    if verdict.decision == "escalate":
        flag = file_flag(verdict=verdict, subject_id=author.pk, text=text, message_id=None,
                         room_id=target.room_id, conversation_id=target.conversation_id)
    attempt = _record_attempt(author_id=author.pk, text="" if flag else text, verdict=verdict, target=target,
                              flag=flag, message_id=None)
    if target.conversation_id is not None:
        # The grooming score reads the refused attempts too (moderation.grooming).
        schedule_grooming_check(conversation_id=target.conversation_id, sender_id=author.pk)
    return attempt


def _record_attempt(*, author_id: int, text: str, verdict: Verdict, target: AttemptTarget, flag: Flag | None,
                    message_id: int | None) -> Attempt:
    attempt = Attempt.objects.create(
        sender_id=author_id, sender_id_snapshot=author_id, context=target.context, room_id_snapshot=target.room_id,
        conversation_id_snapshot=target.conversation_id, recipient_id_snapshot=target.recipient_id,
        towards_minor=target.towards_minor, decision=verdict.decision, reasons=list(verdict.reasons),
        categories=list(verdict.categories), text=text, message_id_snapshot=message_id, flag=flag,
        case_id=flag.case_id if flag is not None else None,
    )
    # moderation's services (receivers.py) count it: repeated attempts open a case on the
    # sender and pause their first contacts, inside this transaction.
    signals.attempt_recorded.send(sender=Attempt, attempt=attempt)
    return attempt


def _room_target(room_id: int | None) -> AttemptTarget:
    from_minors = room_id is not None and Room.objects.filter(pk=room_id, audience="minors").exists()
    return AttemptTarget(context="room", room_id=room_id, towards_minor=from_minors)


def _target_of(message) -> AttemptTarget:
    """A held message's target, read from the stored message."""
    if message.room_id is not None:
        return AttemptTarget(context="room", room_id=message.room_id, towards_minor=message.room.audience == "minors")
    row = (Conversation.objects.filter(pk=message.conversation_id)
           .values_list("initiator_id", "recipient_id", "initiator__age_band", "recipient__age_band").first())
    if row is None:
        return AttemptTarget(context="dm", conversation_id=message.conversation_id)
    initiator_id, recipient_id, initiator_band, recipient_band = row
    if message.author_id == initiator_id:
        return AttemptTarget(context="dm", conversation_id=message.conversation_id, recipient_id=recipient_id,
                             towards_minor=recipient_band in MINOR_BANDS)
    return AttemptTarget(context="dm", conversation_id=message.conversation_id, recipient_id=initiator_id,
                         towards_minor=initiator_band in MINOR_BANDS)


def first_contacts_paused(*, user_id: int) -> bool:
    """Whether the account's first contacts (DM requests) are paused: a case on them that an
    automated measure restricted is still waiting for a moderator's decision (which lifts
    it, whatever the outcome: moderation.services.interim)."""
    return Case.objects.filter(subject_user_id=user_id, status__in=[Case.Status.OPEN, Case.Status.CLAIMED],
                               interim_restricted=True).exists()


def minor_dm_requests_paused() -> bool:
    """Whether new DM requests to minors are paused: the unattended-moderation failsafe is on
    (moderation.services.failsafe switches it; chat.protection asks here)."""
    return FailsafeState.objects.filter(pk=FailsafeState.SINGLETON, active=True).exists()


def pair_under_review(*, sender_id: int, conversation_id: int) -> bool:
    """Whether the conversation's risk score held this sender and moderators have not decided
    yet: until they do, the sender's further replies in it wait too (reason
    ``review_pending``), so that a flagged groomer cannot go on writing to the child while
    the case sits in the queue. The decision on the case (any outcome) lifts it."""
    return _grooming_flags_awaiting_decision(sender_id).filter(
        conversation_id_snapshot=conversation_id, decision__in=[Flag.Decision.HOLD, Flag.Decision.ESCALATE],
    ).exists()


def room_voice_under_review(*, sender_id: int, room_id: int) -> bool:
    """Whether the room reading already sent this sender in this room to the queue and no
    moderator has decided yet (moderation.grooming.assess_room_voices files one at a time)."""
    return _grooming_flags_awaiting_decision(sender_id).filter(
        room_id_snapshot=room_id, conversation_id_snapshot__isnull=True,
    ).exists()


def _grooming_flags_awaiting_decision(sender_id: int):
    """The sender's grooming-risk flags not yet triaged or whose case is still open."""
    return Flag.objects.filter(
        Q(case__isnull=True) | Q(case__status__in=[Case.Status.OPEN, Case.Status.CLAIMED]),
        subject_id_snapshot=sender_id, reasons__icontains="grooming_risk",
    )


# --- Images (chat.media): the hash-bank lookup; moderation.services.triage escalates a match

def match_image_hashes(*, sha256: str, pdq: str | None, pdq_quality: int | None):
    """The hash-bank entry an image matches (`hashbanks.ImageMatch`), or None."""
    return hashbanks.match_image(sha256=sha256, pdq=pdq, pdq_quality=pdq_quality)
