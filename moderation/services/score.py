"""Scoring a case: its category, priority and SLA from everything attached to it, and the
reporters' track records the score and the interim measures weigh."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from moderation import rules
from moderation.models import Case, Decision, Flag, Report
from moderation.policy.reasons import CRITICAL_REASONS
from moderation.services.shared import setting


def sla_hours() -> dict[str, float]:
    return {"critical": 1, "high": 4, "normal": 24, "low": 72, "trusted_factor": 0.5,
            **setting("PHARE_MODERATION_SLA_HOURS", {})}


def is_critical_flag(flag: Flag) -> bool:
    """An escalation, or a child-safety message kept from its reader (held) for one of the
    critical reasons. A meeting or a contact detail held in a minors' space is reported as
    grooming but is not critical alone (teenagers invite each other to birthdays), and a
    conversation score between the two thresholds only sends it to the queue: both wait there,
    their author unrestricted."""
    category = rules.case_category_for_flag(flag.categories, flag.reasons)
    return (flag.decision == Flag.Decision.ESCALATE or flag.risk >= 0.9
            or (flag.decision != Flag.Decision.FLAG and category in rules.CHILD_SAFETY_CATEGORIES
                and bool(CRITICAL_REASONS.intersection(flag.reasons))))


def reliability_scores(reporter_ids: list[int]) -> dict[int, float]:
    """Each reporter's track record, 0..1: a Laplace-smoothed share of their decided reports
    found founded. Reporters whose reports keep being found unfounded score low."""
    rows = (Report.objects.filter(reporter_id__in=reporter_ids, founded__isnull=False)
            .values("reporter_id").annotate(good=Count("pk", filter=Q(founded=True)), total=Count("pk")))
    scores = {row["reporter_id"]: (row["good"] + 1) / (row["total"] + 2) for row in rows}
    # No history yet: a neutral prior a little above one half.
    return {rid: scores.get(rid, 0.75) for rid in reporter_ids}


def _reporter_reliability(reporter_ids: list[int]) -> float:
    if not reporter_ids:
        return 1.0
    return sum(reliability_scores(reporter_ids).values()) / len(reporter_ids)


def _subject_violations(case: Case) -> int:
    if case.subject_user_id is None:
        return 0
    return Decision.objects.filter(
        case__subject_user_id=case.subject_user_id, reversed_at__isnull=True,
        action__in=["remove_message", "warn", "mute", "suspend", "ban"],
    ).exclude(case=case).count()


def recompute_case(*, case: Case) -> Case:
    """Priority, category and SLA from everything attached to the case. Deterministic, so
    running it again changes nothing. Precondition: `case` is locked by the caller."""
    reports = list(case.reports.all())
    flags = list(case.flags.all())
    category = case.category
    for report in reports:
        category = rules.more_severe(report.category, category)
    for flag in flags:
        category = rules.more_severe(rules.case_category_for_flag(flag.categories, flag.reasons), category)
    reporter_ids = sorted({r.reporter_id for r in reports if r.reporter_id is not None})
    # Visitors carry no weight: they add nothing to the bonus for several reporters.
    distinct = len(reporter_ids)
    trusted = any(r.trusted_flagger for r in reports)
    priority = rules.compute_priority(rules.PriorityInputs(
        category=category, minors_involved=case.minors_involved, distinct_reporters=distinct,
        reporter_reliability=_reporter_reliability(reporter_ids), subject_violations=_subject_violations(case),
        trusted_source=trusted, critical_flag=any(is_critical_flag(f) for f in flags),
    ))
    sla = rules.sla_for(priority=priority, trusted_source=trusted, hours=sla_hours())
    case.category, case.priority, case.trusted_source = category, priority, trusted
    case.sla_due_at = case.created_at + sla
    case.triaged_at = case.triaged_at or timezone.now()
    case.save(update_fields=["category", "priority", "trusted_source", "sla_due_at", "triaged_at"])
    return case
