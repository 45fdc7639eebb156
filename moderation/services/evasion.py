"""Ban evasion (accounts.evasion links a new account to banned ones): which accounts a
moderator banned, and the case a link opens on the new account.

A link never sanctions: it opens (or joins) a case on the new account with the link as
evidence, restricts it pending review as repeated attempts do (first contacts paused, a
cool-down of minutes: moderation.services.interim), and accounts holds it as a new account
until the case is decided; the decision, whatever it is, lifts the hold (`lift_interim`).
"""

from __future__ import annotations

import datetime as dt

from accounts.models import MINOR_BANDS, EvasionLink, User
from moderation import rules
from moderation.audit import record_audit
from moderation.models import Case, Decision, ReportCategory
from moderation.services.interim import restrict_pending_review
from moderation.services.notify import tell_moderators
from moderation.services.score import recompute_case, sla_hours
from moderation.services.shared import open_case_for

# rules.sla_for's "high" band: where a link involving minors starts, whatever its category.
HIGH_PRIORITY = 80


def moderator_bans(*, since: dt.datetime) -> dict[int, dt.datetime]:
    """Accounts banned by a moderator's decision at or after `since`, not reversed, and still
    banned, with the time of the (latest) ban."""
    rows = (Decision.objects.filter(action="ban", reversed_at__isnull=True, created_at__gte=since,
                                    case__subject_user__banned=True)
            .values_list("case__subject_user_id", "created_at"))
    bans: dict[int, dt.datetime] = {}
    for user_id, banned_at in rows:
        bans[user_id] = max(banned_at, bans.get(user_id, banned_at))
    return bans


def open_evasion_case(*, user: User, links: list[EvasionLink]) -> int:
    """Open or join the case on `user` for its links to banned accounts; returns its id.

    The case takes the most severe category the banned accounts were banned for (evading a
    ban for grooming is a child-safety matter), involves minors when either side is a minor
    or the ban's case involved them, and then ranks high at least. Side effects: restricted
    pending review (`restrict_pending_review`, told to the account), scored, moderators told,
    audited (`evasion.case`). Precondition: inside the link's transaction."""
    banned_ids = sorted({link.banned_user_id for link in links})
    ban_cases = Case.objects.filter(subject_user_id__in=banned_ids, decisions__action="ban",
                                    decisions__reversed_at__isnull=True).distinct()
    category: str = ReportCategory.OTHER
    minors = user.is_minor or User.objects.filter(pk__in=banned_ids, age_band__in=MINOR_BANDS).exists()
    for ban_case in ban_cases:
        category = rules.more_severe(ban_case.category, category)
        minors = minors or ban_case.minors_involved
    case = open_case_for(subject_type=Case.SubjectType.USER, subject_id=user.pk,
                         defaults={"subject_user_id": user.pk})
    case.category = rules.more_severe(category, case.category)
    case.minors_involved = case.minors_involved or minors
    case.save(update_fields=["category", "minors_involved"])
    record_audit(actor=None, action="evasion.case", target_type="case", target_id=str(case.pk),
                 data={"user": user.pk, "links": [{"banned_user": link.banned_user_id, "signals": link.signals,
                                                    "score": link.score} for link in links]})
    restrict_pending_review(case=case)
    recompute_case(case=case)
    if case.minors_involved and case.priority < HIGH_PRIORITY:
        case.priority = HIGH_PRIORITY
        case.sla_due_at = case.created_at + rules.sla_for(priority=HIGH_PRIORITY, trusted_source=case.trusted_source,
                                                          hours=sla_hours())
        case.save(update_fields=["priority", "sla_due_at"])
    tell_moderators(case)
    return case.pk
