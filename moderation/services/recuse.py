"""Conflicts of interest: who may not handle a case or an appeal, the refusal every path
asks for, and the moderators the live queue leaves out."""

from __future__ import annotations

import logging

from django.db.models import Q

from core.errors import PhareError
from accounts.models import User
from moderation.models import Appeal, Case, Decision, Report

logger = logging.getLogger(__name__)


def conflict_of_interest(*, moderator: User, case: Case, appeal: Appeal | None = None) -> str | None:
    """Why `moderator` may not handle `case` (claim it, read its evidence, decide it) or
    `appeal` on it; None when they may. The one rule every path asks: nobody handles a case
    they are the subject of or reported, nor their own appeal, nor an appeal of their own
    decision, nor a case reopened because their decision on it was reversed.

    Reads `case.reports` and `case.decisions` through `.all()`, so a list can prefetch them.
    """
    if case.subject_user_id == moderator.pk:
        return "subject"
    if any(report.reporter_id == moderator.pk for report in case.reports.all()):
        return "reporter"
    if appeal is not None:
        if appeal.appellant_id == moderator.pk:
            return "appellant"
        if appeal.notice.decision_id is not None and appeal.notice.decision.moderator_id == moderator.pk:
            return "same_moderator"
    if any(d.moderator_id == moderator.pk and d.reversed_at is not None for d in case.decisions.all()):
        return "same_moderator"
    return None


def refuse_conflict(*, moderator: User, case: Case, attempt: str, appeal: Appeal | None = None) -> None:
    """Raise 403 `conflict_of_interest` if `moderator` has one. The refusal changes nothing,
    so it is not an audit entry, but the attempt is logged for the operators. Only the
    historical `same_moderator` reason is told: the others would tell a moderator that a
    case is about them."""
    reason = conflict_of_interest(moderator=moderator, case=case, appeal=appeal)
    if reason is None:
        return
    logger.warning("conflict of interest: moderator %s refused %s on case %s (%s)", moderator.pk, attempt,
                   case.pk, reason)
    raise PhareError("conflict_of_interest", extra={"reason": "same_moderator"} if reason == "same_moderator" else None)


def recused_moderator_ids(case: Case) -> list[str]:
    """The moderators with a conflict of interest on `case`, for the live queue."""
    candidates = User.objects.filter(
        Q(pk=case.subject_user_id) | Q(pk__in=Report.objects.filter(case=case).values("reporter_id"))
        | Q(pk__in=Decision.objects.filter(case=case, reversed_at__isnull=False).values("moderator_id")),
        is_moderator=True)
    return sorted(str(m.pk) for m in candidates if conflict_of_interest(moderator=m, case=case))
