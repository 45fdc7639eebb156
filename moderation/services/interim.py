"""Interim measures, before any decision: hiding a message that established reporters agree
on or the gate flagged as critical, restricting the subject of a critical child-safety flag,
an escalation or repeated attempts, and lifting both (by the decision, or an appeal).

Automation is proportionate: alone, it never mutes anyone for days. Restricting pending
review is a cool-down on posting of COOL_DOWN (minutes) and a pause on first contacts (DM
requests) until a moderator decides the case; anything longer is that moderator's decision.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import evasion
from accounts.models import User
from chat import services as chat_services
from chat.models import Message
from moderation import rules
from moderation.audit import record_audit
from moderation.models import Case, Notice, Strike
from moderation.services.notify import notify
from moderation.services.score import is_critical_flag, reliability_scores
from moderation.services.shared import setting

# The automated cool-down on posting: minutes, never more (a longer mute is a moderator's).
COOL_DOWN = dt.timedelta(minutes=10)


def _established_reporter_weight(case: Case) -> tuple[int, float]:
    """How many distinct established reporters reported the case, and the sum of their track
    records (`reliability_scores`). Established: signed in, account older than
    PHARE_REPORT_ESTABLISHED_DAYS, not muted, suspended or banned, no active strike, and not
    the subject. Visitors and new accounts count for nothing here."""
    now = timezone.now()
    ids = {r.reporter_id for r in case.reports.all() if r.reporter_id is not None} - {case.subject_user_id}
    if not ids:
        return 0, 0.0
    joined_before = now - dt.timedelta(days=int(setting("PHARE_REPORT_ESTABLISHED_DAYS", 7)))
    established = set(User.objects.filter(pk__in=ids, is_active=True, deleted_at__isnull=True, banned=False,
                                          date_joined__lte=joined_before)
                      .exclude(suspended_until__gt=now).exclude(muted_until__gt=now).values_list("pk", flat=True))
    established -= set(Strike.objects.filter(user_id__in=established, revoked_at__isnull=True, expires_at__gt=now)
                       .values_list("user_id", flat=True))
    if not established:
        return 0, 0.0
    return len(established), sum(reliability_scores(sorted(established)).values())


def _reports_warrant_hiding(case: Case) -> bool:
    """Reports never sanction: at most they hide the reported message pending review, and
    only when several established reporters with a good enough record agree, never for a
    moderator's or operator's message (who would otherwise be silenced by a mob)."""
    if case.subject_type != "message" or case.subject_user_id is None:
        return False
    if User.objects.filter(pk=case.subject_user_id).filter(Q(is_moderator=True) | Q(is_operator=True)).exists():
        return False
    count, weight = _established_reporter_weight(case)
    return (count >= int(setting("PHARE_INTERIM_HIDE_REPORTERS", 3))
            and weight >= float(setting("PHARE_INTERIM_HIDE_WEIGHT", 2.0)))


def apply_interim_measures(case: Case) -> None:
    """Hide a message that established reporters agree on or that the gate flagged as
    critical; restrict the subject of a critical child-safety gate flag. Reports alone never
    restrict anyone. Idempotent through the case's flags."""
    if case.interim_data.get("lifted_by_appeal"):
        return
    flags = list(case.flags.all())
    critical = any(is_critical_flag(f) for f in flags)
    if case.subject_type == "message" and not case.interim_hidden:
        reason = "critical_flag" if critical else "established_reporters" if _reports_warrant_hiding(case) else None
        if reason is not None:
            message, previous = chat_services.set_message_status(message_id=case.subject_id, status=Message.Status.HELD)
            if message is not None:
                case.interim_hidden = True
                case.interim_data = {**case.interim_data, "message_status": previous}
                case.save(update_fields=["interim_hidden", "interim_data"])
                record_audit(actor=None, action="interim.hide_message", target_type="case", target_id=str(case.pk),
                             data={"message": case.subject_id, "previous_status": previous, "reason": reason})
                if previous == Message.Status.VISIBLE:
                    notify(recipient_id=message.author_id, kind=Notice.Kind.INTERIM, case=case,
                            action="hide_message", reason_code=case.category, automated=True,
                            scope={"message": str(message.pk)}, facts=message.body[:500])
    # The flags' own category, not the case's: a report must not turn a flag into a restriction.
    flag_category = "other"
    for flag in flags:
        flag_category = rules.more_severe(rules.case_category_for_flag(flag.categories, flag.reasons), flag_category)
    if critical and flag_category in rules.CHILD_SAFETY_CATEGORIES:
        restrict_pending_review(case=case)


def restrict_pending_review(*, case: Case) -> None:
    """The automated measure while a case waits for a moderator: the subject's first
    contacts (DM requests) paused until the case is decided (`gate.first_contacts_paused`
    reads `interim_restricted` on open cases), and a cool-down on posting (`cool_down`).
    Told to the subject (an interim notice, appealable). Idempotent. Precondition: `case`
    is locked by the caller."""
    if case.interim_restricted or case.subject_user_id is None:
        return
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        case.interim_data = {**case.interim_data, "muted_until": user.muted_until and user.muted_until.isoformat()}
        case.interim_restricted = True
        case.save(update_fields=["interim_restricted", "interim_data"])
        until = _cool_down(user)
        record_audit(actor=None, action="interim.restrict_user", target_type="case", target_id=str(case.pk),
                     data={"user": user.pk, "cool_down_until": until, "first_contacts_paused": True})
        notify(recipient_id=user.pk, kind=Notice.Kind.INTERIM, case=case, action="restrict",
                reason_code=case.category, automated=True,
                scope={"cool_down_until": until.isoformat(), "first_contacts_paused": True})


def cool_down(*, case: Case) -> None:
    """A cool-down of COOL_DOWN on posting for the subject of `case` (repeated attempts
    again while it waits for a moderator), told to them; not renewed while one runs.
    Precondition: in a transaction."""
    if case.subject_user_id is None:
        return
    user = User.objects.select_for_update().get(pk=case.subject_user_id)
    if user.is_muted():
        return
    until = _cool_down(user)
    record_audit(actor=None, action="interim.cool_down", target_type="case", target_id=str(case.pk),
                 data={"user": user.pk, "until": until})
    notify(recipient_id=user.pk, kind=Notice.Kind.INTERIM, case=case, action="restrict",
            reason_code=case.category, automated=True, scope={"cool_down_until": until.isoformat()})


def _cool_down(user: User) -> dt.datetime:
    """Mute `user` for COOL_DOWN from now; a longer mute already set (a moderator's) stays.
    Returns when posting resumes."""
    until = timezone.now() + COOL_DOWN
    if user.muted_until is None or user.muted_until < until:
        user.muted_until = until
        user.save(update_fields=["muted_until"])
        chat_services.user_sanction_changed(user_id=user.pk, close=False)
    return user.muted_until


def lift_interim(case: Case, *, restore_message: bool) -> None:
    # A ban-evasion hold (accounts.evasion) waits for this case too: any decision settles it.
    evasion.release_hold(case_id=case.pk)
    # Ending the restriction lifts the first-contact pause (it reads `interim_restricted`)
    # and a cool-down still running; a longer mute set since (a moderator's) stays.
    if case.interim_restricted and case.subject_user_id:
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        if user.muted_until is not None and user.muted_until <= timezone.now() + COOL_DOWN:
            previous = case.interim_data.get("muted_until")
            user.muted_until = dt.datetime.fromisoformat(previous) if previous else None
            user.save(update_fields=["muted_until"])
            chat_services.user_sanction_changed(user_id=user.pk, close=False)
        case.interim_restricted = False
    if case.interim_hidden and restore_message:
        chat_services.set_message_status(message_id=case.subject_id,
                                         status=case.interim_data.get("message_status", Message.Status.VISIBLE))
    case.interim_hidden = case.interim_hidden and not restore_message
    case.save(update_fields=["interim_restricted", "interim_hidden"])
