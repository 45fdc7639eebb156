"""Appeals: filing one within the window, and a moderator's decision on it, which undoes a
decision, lifts interim measures or reopens a dismissed case. Never decided automatically."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import PhareError
from accounts.models import User
from chat.realtime import events
from moderation.audit import record_audit
from moderation.models import Appeal, Case, Decision, Notice, Report
from moderation.services.decide import undo_action
from moderation.services.interim import lift_interim
from moderation.services.notify import notify, tell_moderators
from moderation.services.recuse import refuse_conflict
from moderation.services.shared import require_moderator


def file_appeal(*, user: User, notice_id: Any, reason: str) -> Appeal:
    """Appeal a decision within the window: the affected user or a reporter, once per notice."""
    if not str(notice_id).isdecimal():
        raise PhareError("not_found")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 5000:
        raise PhareError("bad_request", extra={"field": "reason"})
    with transaction.atomic():
        notice = Notice.objects.select_related("decision").filter(pk=int(notice_id), recipient=user).first()
        if notice is None:
            raise PhareError("not_found")
        # Decisions, and interim measures taken before any decision (hiding, restriction).
        interim = notice.kind == Notice.Kind.INTERIM and notice.case_id is not None
        if not interim and (notice.decision_id is None or notice.kind not in (
                Notice.Kind.DECISION, Notice.Kind.REPORT_OUTCOME, Notice.Kind.ROOM_PROPOSAL)):
            raise PhareError("bad_request", extra={"reason": "not_appealable"})
        if notice.appealable_until is None or notice.appealable_until < timezone.now():
            raise PhareError("forbidden", extra={"reason": "appeal_window_closed"})
        if notice.decision_id is not None and notice.decision.reversed_at is not None:
            raise PhareError("conflict", extra={"reason": "already_reversed"})
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(notice=notice, appellant=user, reason=reason)
        except IntegrityError as exc:
            raise PhareError("conflict", extra={"reason": "already_appealed"}) from exc
        record_audit(actor=user, action="appeal.filed", target_type="appeal", target_id=str(appeal.pk),
                     data={"notice": notice.pk, "decision": notice.decision_id})
        events.send_to_moderators({"type": "moderation.appeal", "appeal": {"id": str(appeal.pk),
                                   "case": str(notice.case_id), "status": appeal.status}})
    return appeal


def decide_appeal(*, moderator: User, appeal_id: Any, outcome: str, note: str = "") -> Appeal:
    """A human decision on an appeal, by a moderator without a conflict of interest: not the
    one who decided, the appellant, the subject or a reporter (`conflict_of_interest`).

    `reversed` undoes what the decision did (restores a removed message, lifts a sanction,
    revokes strikes). For a reporter's appeal of a dismissal, the case reopens for a new
    decision instead. Appeals are never decided automatically.
    """
    require_moderator(moderator)
    if outcome not in ("upheld", "reversed"):
        raise PhareError("bad_request", extra={"field": "outcome"})
    if not str(appeal_id).isdecimal():
        raise PhareError("not_found")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=int(appeal_id)).first()
        if appeal is None:
            raise PhareError("not_found")
        if appeal.status != Appeal.Status.PENDING:
            raise PhareError("conflict", extra={"status": appeal.status})
        # Before either path: the interim path had no check at all, so a moderator could lift
        # an automated measure against themselves, and the appellant could decide their own
        # appeal (a reporter's, which reopens the case they then decided).
        appeal_case = Case.objects.select_for_update().filter(pk=appeal.notice.case_id).first()
        if appeal_case is not None:
            refuse_conflict(moderator=moderator, case=appeal_case, appeal=appeal, attempt="appeal.decide")
        if appeal.notice.decision_id is None:
            return _decide_interim_appeal(moderator=moderator, appeal=appeal, outcome=outcome, note=note)
        decision = Decision.objects.select_for_update().select_related("case").filter(
            pk=appeal.notice.decision_id).first()
        if decision is None:  # only decision notices are appealable; never a 500 if one is not
            raise PhareError("conflict", extra={"reason": "not_appealable"})
        case = Case.objects.select_for_update().get(pk=decision.case_id)
        appeal.status = Appeal.Status.UPHELD if outcome == "upheld" else Appeal.Status.REVERSED
        appeal.decided_by, appeal.decided_at, appeal.decision_note = moderator, timezone.now(), note
        appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if outcome == "reversed" and decision.reversed_at is None:
            if decision.action == "dismiss":
                _reopen(case)
            else:
                undo_action(decision)
                case.reports.update(founded=False)
                # The reporters were told the first outcome; they are told it changed.
                for report in case.reports.filter(reporter__isnull=False).exclude(reporter_id=appeal.appellant_id):
                    notify(recipient_id=report.reporter_id, kind=Notice.Kind.REPORT_OUTCOME, case=case,
                            decision=decision, report=report, action="reversed", reason_code=decision.reason_code,
                            automated=False, scope={"report": str(report.pk)}, appealable=False)
            decision.reversed_at = timezone.now()
            decision.save(update_fields=["reversed_at"])
        record_audit(actor=moderator, action="appeal.decided", target_type="appeal", target_id=str(appeal.pk),
                     data={"outcome": outcome, "decision": decision.pk, "note": note})
        notify(recipient_id=appeal.appellant_id, kind=Notice.Kind.APPEAL_OUTCOME, case=case, decision=decision,
                action=outcome, reason_code=decision.reason_code, automated=False,
                scope={"appeal": str(appeal.pk)}, appealable=False)
        tell_moderators(case)
    return appeal


def _decide_interim_appeal(*, moderator: User, appeal: Appeal, outcome: str, note: str) -> Appeal:
    """An appeal against an automated interim measure. `reversed` lifts the measures still in
    force (the message comes back, the restriction ends); the case stays open for a decision.
    Precondition: inside decide_appeal's transaction, `appeal` locked."""
    notice = appeal.notice
    if notice.kind != Notice.Kind.INTERIM or notice.case_id is None:
        raise PhareError("conflict", extra={"reason": "not_appealable"})
    case = Case.objects.select_for_update().get(pk=notice.case_id)
    appeal.status = Appeal.Status.UPHELD if outcome == "upheld" else Appeal.Status.REVERSED
    appeal.decided_by, appeal.decided_at, appeal.decision_note = moderator, timezone.now(), note
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    lifted = outcome == "reversed" and case.is_open and (case.interim_hidden or case.interim_restricted)
    if lifted:
        lift_interim(case, restore_message=True)
        # A person found the automated measure wrong: triage does not take it again.
        case.interim_data = {**case.interim_data, "lifted_by_appeal": True}
        case.save(update_fields=["interim_data"])
    record_audit(actor=moderator, action="appeal.decided", target_type="appeal", target_id=str(appeal.pk),
                 data={"outcome": outcome, "interim": notice.action, "lifted": lifted, "note": note})
    notify(recipient_id=appeal.appellant_id, kind=Notice.Kind.APPEAL_OUTCOME, case=case, action=outcome,
            reason_code=notice.reason_code, automated=False, scope={"appeal": str(appeal.pk)}, appealable=False)
    tell_moderators(case)
    return appeal


def _reopen(case: Case) -> None:
    if Case.objects.filter(subject_type=case.subject_type, subject_id=case.subject_id,
                           status__in=["open", "claimed"]).exclude(pk=case.pk).exists():
        return
    case.status, case.assigned_to, case.decided_at, case.sla_alerted_at = Case.Status.OPEN, None, None, None
    case.save(update_fields=["status", "assigned_to", "decided_at", "sla_alerted_at"])
    case.reports.update(status=Report.Status.IN_REVIEW, founded=None)
