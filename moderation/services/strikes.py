"""Weighted strikes and the escalation ladder (docs/moderation.md, "Strikes and the ladder").

A decision that records a strike (`rules.STRIKE_ACTIONS`, against a person) gives it the
weight and the expiry of its reason code: the operators' `StrikeWeight` row, else the default
in `rules.STRIKE_WEIGHTS`. Both are kept on the strike. A person's active weight is the sum of
their strikes neither revoked (a reversed decision) nor expired.

When a decision brings the active weight to a step of the ladder (`EscalationStep`), the step
is proposed, never applied: it opens, or joins, the open case about the person, and a
moderator decides that case with the ordinary decide service (statement of reasons, appeal,
audit, conflicts of interest). Deciding it settles the proposal; carrying out a step is the
consequence of strikes already counted, so it records no new strike.

The weights and the ladder themselves, and the operators' changes to them, are
`strike_rules`. Called by `decide` (inside its transaction) and the API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.representations import iso
from moderation import rules
from moderation.audit import record_audit
from moderation.models import Case, Decision, Escalation, EscalationStep, ReportCategory, Strike
from moderation.services import strike_rules
from moderation.services.notify import tell_moderators
from moderation.services.score import recompute_case
from moderation.services.shared import open_case_for


@dataclass(frozen=True)
class RecordedStrike:
    """A strike a decision just recorded, with the person's active weight before and after."""

    strike: Strike
    weight_before: int
    weight_after: int


@dataclass(frozen=True)
class StrikeRecord:
    """What a person sees of their record: active strikes (newest first), their total weight
    and the next step of the ladder above it (None past the last one)."""

    strikes: list[Strike]
    active_weight: int
    next_step: EscalationStep | None


def active_strikes(user_id: int, now: dt.datetime | None = None) -> QuerySet[Strike]:
    return Strike.objects.filter(user_id=user_id).active(now)


def active_weight(user_id: int, now: dt.datetime | None = None) -> int:
    return active_strikes(user_id, now).total_weight()


def strike_record(*, user: User) -> StrikeRecord:
    now = timezone.now()
    strikes = list(active_strikes(user.pk, now).select_related("decision").order_by("-created_at", "-pk"))
    weight = sum(strike.weight for strike in strikes)
    return StrikeRecord(strikes=strikes, active_weight=weight, next_step=strike_rules.next_step(weight))


# --- Inside a decision (moderation.services.decide) -------------------------------------------

def settle_proposal(*, case: Case, decision: Decision) -> Escalation | None:
    """The step proposed on `case`, settled by `decision`: `confirmed` when the decision
    carries out the proposed action, `declined` otherwise (a dismissal, another measure).
    Audited (`strikes.step_confirmed` / `strikes.step_declined`). None when nothing was
    proposed. Precondition: `case` is locked by the caller."""
    escalation = Escalation.objects.select_for_update().filter(case=case, status=Escalation.Status.PROPOSED).first()
    if escalation is None:
        return None
    confirmed = decision.action == escalation.action
    escalation.status = Escalation.Status.CONFIRMED if confirmed else Escalation.Status.DECLINED
    escalation.decision, escalation.resolved_at = decision, timezone.now()
    escalation.save(update_fields=["status", "decision", "resolved_at"])
    record_audit(actor=decision.moderator, action="strikes.step_confirmed" if confirmed else "strikes.step_declined",
                 target_type="case", target_id=str(case.pk),
                 data={"escalation": escalation.pk, "user": escalation.user_id, "proposed": escalation.action,
                       "threshold": escalation.threshold, "decision": decision.pk, "action": decision.action})
    return escalation


def _about_conduct(case: Case) -> bool:
    """Whether the case holds anything the person did (reports, gate flags, attempts) beside
    a proposed step."""
    return case.reports.exists() or case.flags.exists() or case.attempts.exists()


def record_strike(*, decision: Decision, settled: Escalation | None) -> RecordedStrike | None:
    """A strike on the subject's record for a violation, weighed by the decision's reason.
    None when the decision records none: not a strike action, no person, or a case that only
    carried a proposed step (`settled`, nothing the person did besides). Precondition: inside
    the decision's transaction."""
    case = decision.case
    if case.subject_user_id is None or decision.action not in rules.STRIKE_ACTIONS:
        return None
    if settled is not None and not _about_conduct(case):
        return None
    # One decision at a time counts a person's strikes: two decided together must not both
    # see the weight before the other's strike.
    User.objects.select_for_update().filter(pk=case.subject_user_id).first()
    now = timezone.now()
    rule = strike_rules.rule_for(decision.reason_code)
    before = active_weight(case.subject_user_id, now)
    strike = Strike.objects.create(user_id=case.subject_user_id, decision=decision, weight=rule.weight,
                                   created_at=now, expires_at=now + dt.timedelta(days=rule.days))
    return RecordedStrike(strike=strike, weight_before=before, weight_after=before + rule.weight)


def strike_facts(recorded: RecordedStrike | None) -> dict[str, Any]:
    """What a decision keeps of its strike (in `Decision.undo`, the audit entry and the
    notice's scope)."""
    if recorded is None:
        return {}
    return {"strike": {"id": recorded.strike.pk, "weight": recorded.strike.weight,
                       "expires_at": iso(recorded.strike.expires_at)},
            "active_weight": recorded.weight_after}


def _case_category(decision: Decision) -> str:
    """The category of a case that proposes a step: the violation's, as a report would file it."""
    if decision.reason_code in ReportCategory.values and decision.reason_code != ReportCategory.ROOM_PROPOSAL:
        return decision.reason_code
    category = decision.case.category
    return category if category != ReportCategory.ROOM_PROPOSAL else ReportCategory.OTHER


def propose_step(*, decision: Decision, recorded: RecordedStrike | None) -> Escalation | None:
    """Propose the highest step of the ladder that `recorded` reached (its weight went from
    below the step's threshold to at least it) on the person's open case, opened if there is
    none. Nothing is applied: a moderator decides the case. Not proposed when the decision
    itself was as strong (a mute reaching the warning step), when the account is banned, or
    when a step as high is already proposed on that case; a higher one replaces a lower one.
    Audited (`strikes.step_proposed`, actor: the system). Precondition: the deciding case is
    no longer open (else the step would join it), inside the decision's transaction."""
    if recorded is None:
        return None
    reached = [step for step in strike_rules.ladder() if recorded.weight_before < step.threshold <= recorded.weight_after]
    if not reached:
        return None
    step = reached[-1]
    if rules.ESCALATION_RANK[step.action] <= rules.ESCALATION_RANK.get(decision.action, 0):
        return None
    user_id = recorded.strike.user_id
    if User.objects.filter(pk=user_id, banned=True).exists():
        return None
    category = _case_category(decision)
    case = open_case_for(subject_type=Case.SubjectType.USER, subject_id=user_id, defaults={
        "subject_user_id": user_id, "category": category, "minors_involved": decision.case.minors_involved})
    pending = Escalation.objects.select_for_update().filter(case=case, status=Escalation.Status.PROPOSED).first()
    if pending is not None and pending.threshold >= step.threshold:
        return pending
    proposal = {"action": step.action, "duration_seconds": step.duration_seconds, "threshold": step.threshold,
                "active_weight": recorded.weight_after, "triggered_by": decision}
    if pending is None:
        escalation = Escalation.objects.create(user_id=user_id, case=case, **proposal)
    else:
        for field, value in proposal.items():
            setattr(pending, field, value)
        pending.save(update_fields=list(proposal))
        escalation = pending
    case.category = rules.more_severe(category, case.category)
    case.minors_involved = case.minors_involved or decision.case.minors_involved
    case.save(update_fields=["category", "minors_involved"])
    recompute_case(case=case)
    record_audit(actor=None, action="strikes.step_proposed", target_type="case", target_id=str(case.pk),
                 data={"escalation": escalation.pk, "user": user_id, "action": step.action,
                       "duration_seconds": step.duration_seconds, "threshold": step.threshold,
                       "active_weight": recorded.weight_after, "decision": decision.pk,
                       "replaces": pending is not None})
    tell_moderators(case)
    return escalation
