"""Attempts: the messages the gate refused or held (moderation.models.Attempt), remembered.

A refused message used to leave no trace, so its sender retried with another spelling until
one got through. Now each refused or held message is an attempt (recorded by the gate), and
repeated attempts open a case on the sender with every attempt as evidence, pause the
sender's first contacts until a moderator decides the case and slow them down for a few
minutes (moderation.services.interim). The thresholds are these constants
(docs/moderation.md, "Attempts").
"""

from __future__ import annotations

import datetime as dt

from moderation import rules
from moderation.audit import record_audit
from moderation.models import Attempt, Case
from moderation.services.interim import cool_down, restrict_pending_review
from moderation.services.notify import tell_moderators
from moderation.services.score import recompute_case
from moderation.services.shared import open_case_for

# Repeated attempts: this many by one sender within ATTEMPT_WINDOW.
ATTEMPTS_BEFORE_CASE = 3
ATTEMPT_WINDOW = dt.timedelta(minutes=10)
# Critical at once when the attempt was towards a minor: sexual content involving minors (an
# escalation), or the grooming risk of a conversation. A contact detail or a meeting place
# is not critical alone (teenagers share them with friends): it counts as an attempt.
CRITICAL_CATEGORIES = frozenset({"sexual_minors"})
CRITICAL_REASONS = frozenset({"sexual_content_minor", "grooming_risk", "minor_targeting"})
# Critical wherever it is said: looking for children by their age, in an adults' room too.
CRITICAL_ANYWHERE = frozenset({"minor_targeting"})
OPEN = (Case.Status.OPEN, Case.Status.CLAIMED)


def is_critical(attempt: Attempt) -> bool:
    return (attempt.decision == Attempt.Decision.ESCALATE
            or bool(CRITICAL_CATEGORIES.intersection(attempt.categories))
            or bool(CRITICAL_REASONS.intersection(attempt.reasons)))


def recent_refusals(*, sender_id: int, since: dt.datetime) -> int:
    """Refused attempts only: a held message is already before a moderator (its own case), and
    a teenager whose three messages about a birthday were held has not been retrying."""
    return (Attempt.objects.filter(sender_id_snapshot=sender_id, created_at__gte=since)
            .exclude(decision=Attempt.Decision.HOLD).count())


def on_attempt_recorded(*, attempt: Attempt) -> Case | None:
    """Count `attempt` (moderation.signals.attempt_recorded, sent by the gate). Repeated
    refusals (ATTEMPTS_BEFORE_CASE within ATTEMPT_WINDOW), or a critical one towards a
    minor, open or join the sender's case with every attempt of theirs not yet in a case,
    pause their first contacts until the case is decided, and (repeated) put them in a
    cool-down. Otherwise the attempt joins the sender's open case if there is one (its
    evidence grows). Returns the case it joined, if any.

    Precondition: inside the recording transaction. Cost: one count on a refused or held
    message; more only when a case is due.
    """
    sender_id = attempt.sender_id_snapshot
    repeated = (attempt.decision != Attempt.Decision.HOLD
                and recent_refusals(sender_id=sender_id, since=attempt.created_at - ATTEMPT_WINDOW) >= ATTEMPTS_BEFORE_CASE)
    critical = ((attempt.towards_minor and is_critical(attempt))
                or bool(CRITICAL_ANYWHERE.intersection(attempt.reasons)))
    if not (repeated or critical):
        case = Case.objects.filter(subject_type=Case.SubjectType.USER, subject_id=sender_id, status__in=OPEN).first()
        if case is not None and attempt.case_id is None:
            Attempt.objects.filter(pk=attempt.pk).update(case=case)
        return case
    case = _case_on_sender(attempt)
    if repeated and case.interim_restricted:
        cool_down(case=case)  # another burst while the case waits: the pause stays, a new cool-down
    restrict_pending_review(case=case)
    recompute_case(case=case)
    tell_moderators(case)
    return case


def _case_on_sender(attempt: Attempt) -> Case:
    """The sender's open case (subject: the user), with every attempt of theirs not yet in
    a case attached as evidence."""
    sender_id = attempt.sender_id_snapshot
    case = open_case_for(subject_type=Case.SubjectType.USER, subject_id=sender_id, defaults={
        "subject_user_id": attempt.sender_id, "room_id_snapshot": attempt.room_id_snapshot,
        "conversation_id_snapshot": attempt.conversation_id_snapshot,
    })
    attached = Attempt.objects.filter(sender_id_snapshot=sender_id, case__isnull=True).update(case=case)
    evidence = list(case.attempts.values_list("categories", "reasons", "towards_minor"))
    category = case.category
    for categories, reasons, _towards_minor in evidence:
        category = rules.more_severe(rules.case_category_for_flag(categories, reasons), category)
    case.category = category
    case.minors_involved = case.minors_involved or any(towards for _c, _r, towards in evidence)
    case.save(update_fields=["category", "minors_involved"])
    record_audit(actor=None, action="attempts.case", target_type="case", target_id=str(case.pk),
                 data={"user": sender_id, "attempt": attempt.pk, "attached": attached,
                       "attempts": len(evidence), "critical": is_critical(attempt)})
    return case
