"""Deciding a case: the action carried out at once (live sockets included), what undoes it,
strikes on the subject's record and the ladder's step they reach (moderation.services.strikes),
notices to the subject and the reporters; bulk decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts import permissions
from core.errors import PhareError
from accounts.models import User
from chat import services as chat_services
from chat.models import Message, Room
from moderation import rules
from moderation.audit import record_audit
from moderation.models import Case, Decision, Escalation, Notice, Report, Strike
from moderation.referrals import refer_case
from moderation.services.interim import lift_interim
from moderation.services import strikes
from moderation.services.notify import notify, tell_moderators
from moderation.services.recuse import refuse_conflict
from moderation.services.shared import get_case_locked, require_moderator


def _target_message(case: Case) -> Message | None:
    if case.subject_type != "message":
        return None
    return Message.objects.select_related("room", "author").filter(pk=case.subject_id).first()


def _target_room_id(case: Case) -> int | None:
    if case.subject_type == "room":
        return case.subject_id
    return case.room_id_snapshot


def _apply_action(*, case: Case, action: str, duration: int | None) -> dict[str, Any]:
    """Carry out one action; returns what is needed to undo it."""
    now = timezone.now()
    undo: dict[str, Any] = {}
    if action == "remove_message":
        if case.subject_type != "message":
            raise PhareError("bad_request", extra={"field": "action"})
        message, previous = chat_services.set_message_status(message_id=case.subject_id, status=Message.Status.REMOVED)
        if message is None:
            raise PhareError("conflict", extra={"reason": "message_gone"})
        # A reversal restores the message to sight, whether it was visible, hidden in the
        # interim or held by the gate (a hold the reversal shows was wrong).
        undo["message_status"] = Message.Status.VISIBLE
    elif action in ("mute", "suspend", "ban", "require_age_assurance"):
        if case.subject_user_id is None:
            raise PhareError("bad_request", extra={"field": "action"})
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        if action == "mute":
            undo["muted_until"] = user.muted_until and user.muted_until.isoformat()
            user.muted_until = now + dt.timedelta(seconds=duration or rules.DEFAULT_DURATIONS["mute"])
            user.save(update_fields=["muted_until"])
        elif action == "suspend":
            undo["suspended_until"] = user.suspended_until and user.suspended_until.isoformat()
            user.suspended_until = now + dt.timedelta(seconds=duration or rules.DEFAULT_DURATIONS["suspend"])
            user.save(update_fields=["suspended_until"])
        elif action == "ban":
            undo["banned"] = user.banned
            user.banned = True
            user.save(update_fields=["banned"])
        else:
            undo["assurance_level"] = user.assurance_level
            user.assurance_level = "declared"
            user.save(update_fields=["assurance_level"])
        chat_services.user_sanction_changed(user_id=user.pk, close=action in ("suspend", "ban"))
    elif action in ("lock_room", "restrict_to_verified"):
        room_id = _target_room_id(case)
        if room_id is None:
            raise PhareError("bad_request", extra={"field": "action"})
        fields = {"is_locked": True} if action == "lock_room" else {"min_assurance": "verified"}
        _room, previous = chat_services.update_room_settings(room_id=room_id, **fields)
        undo["room"] = {"id": room_id, **previous}
    elif action in ("approve_room", "reject_room"):
        if case.subject_type != "room":
            raise PhareError("bad_request", extra={"field": "action"})
        status = Room.Status.APPROVED if action == "approve_room" else Room.Status.REJECTED
        _room, previous = chat_services.update_room_settings(room_id=case.subject_id, status=status)
        undo["room"] = {"id": case.subject_id, **previous}
    elif action == "refer":
        undo["referral"] = refer_case(case=case).pk
    elif action == "dismiss" and case.subject_type == "message":
        # A message the gate held is released (delivered) once a moderator finds nothing wrong.
        message = Message.objects.filter(pk=case.subject_id).only("status").first()
        if message is not None and message.status == Message.Status.HELD:
            chat_services.set_message_status(message_id=case.subject_id, status=Message.Status.VISIBLE)
            undo["message_status"] = Message.Status.HELD
    # "warn" changes nothing but the record and the notices.
    return undo


def undo_action(decision: Decision) -> None:
    undo = decision.undo
    case = decision.case
    if "message_status" in undo:
        chat_services.set_message_status(message_id=case.subject_id, status=undo["message_status"])
    user_fields = [k for k in ("muted_until", "suspended_until", "banned", "assurance_level") if k in undo]
    if user_fields and case.subject_user_id:
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        for key in user_fields:
            value = undo[key]
            if key in ("muted_until", "suspended_until"):
                value = dt.datetime.fromisoformat(value) if value else None
            setattr(user, key, value)
        user.save(update_fields=user_fields)
        chat_services.user_sanction_changed(user_id=user.pk, close=False)
    if "room" in undo:
        fields = {k: v for k, v in undo["room"].items() if k != "id"}
        chat_services.update_room_settings(room_id=undo["room"]["id"], **fields)
    # Decisions made before the ladder could suspend automatically at the third strike.
    if "strike_suspension" in undo and case.subject_user_id:
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        previous = undo["strike_suspension"]
        user.suspended_until = dt.datetime.fromisoformat(previous) if previous else None
        user.save(update_fields=["suspended_until"])
    Strike.objects.filter(decision=decision, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _notices_for_decision(*, case: Case, decision: Decision, settled: Escalation | None) -> None:
    message = _target_message(case)
    facts = message.body[:500] if message is not None else ""
    scope: dict[str, Any] = {"subject": case.subject_type}
    if message is not None:
        scope["message"] = str(message.pk)
        if message.room_id:
            scope["room"] = message.room.slug
    if decision.duration_seconds:
        scope["duration_seconds"] = decision.duration_seconds
    if "strike" in decision.undo:
        scope["strike"] = {k: decision.undo["strike"][k] for k in ("weight", "expires_at")}
        scope["active_weight"] = decision.undo["active_weight"]
    if settled is not None and case.subject_user_id:
        # The measure follows the strikes on record: the statement says how far they reached.
        scope["escalation"] = {"threshold": settled.threshold,
                               "active_weight": strikes.active_weight(case.subject_user_id)}
    if case.subject_user_id and decision.action not in ("dismiss", "approve_room") and (
            case.subject_type != "room" or decision.action == "reject_room"):
        kind = Notice.Kind.ROOM_PROPOSAL if case.category == "room_proposal" else Notice.Kind.DECISION
        notify(recipient_id=case.subject_user_id, kind=kind, case=case, decision=decision, action=decision.action,
                reason_code=decision.reason_code, automated=decision.automated, scope=scope, facts=facts)
    elif case.subject_user_id and decision.action == "approve_room":
        notify(recipient_id=case.subject_user_id, kind=Notice.Kind.ROOM_PROPOSAL, case=case, decision=decision,
                action=decision.action, reason_code=decision.reason_code, automated=False, scope=scope,
                appealable=False)
    founded = decision.action != "dismiss"
    for report in case.reports.filter(reporter__isnull=False).exclude(status__in=["actioned", "no_action"]):
        report.status = Report.Status.ACTIONED if founded else Report.Status.NO_ACTION
        report.founded = founded
        report.save(update_fields=["status", "founded"])
        notify(recipient_id=report.reporter_id, kind=Notice.Kind.REPORT_OUTCOME, case=case, decision=decision,
                report=report, action=decision.action, reason_code=decision.reason_code,
                automated=decision.automated, scope={"report": str(report.pk), "subject": case.subject_type})
    case.reports.filter(reporter__isnull=True).update(
        status=Report.Status.ACTIONED if founded else Report.Status.NO_ACTION, founded=founded)


def decide_case(*, moderator: User, case_id: Any, action: str, reason_code: str, note: str = "",
                duration_seconds: int | None = None) -> Case:
    """Decide a case: carry out the action at once (live sockets included), record the
    decision and its strike, settle the ladder step proposed on the case and propose the one
    the strike reaches (never applied: another case for a moderator), send notices to the
    affected user and the reporters.

    Precondition: the case is open and unclaimed or claimed by `moderator`, who has no
    conflict of interest in it (403 `conflict_of_interest`).
    """
    require_moderator(moderator)
    if action not in rules.ACTIONS:
        raise PhareError("bad_request", extra={"field": "action"})
    if reason_code not in rules.REASON_CODES:
        raise PhareError("bad_request", extra={"field": "reason_code"})
    if duration_seconds is not None and (not isinstance(duration_seconds, int) or isinstance(duration_seconds, bool)
                                         or not 60 <= duration_seconds <= 10 * 365 * 86400):
        raise PhareError("bad_request", extra={"field": "duration_seconds"})
    if not isinstance(note, str) or len(note) > 5000:
        raise PhareError("bad_request", extra={"field": "note"})
    with transaction.atomic():
        case = get_case_locked(case_id)
        # Checked at decision time, not only at claim: a report filed after the claim counts.
        refuse_conflict(moderator=moderator, case=case, attempt="case.decide")
        if not case.is_open:
            raise PhareError("conflict", extra={"status": case.status})
        if case.assigned_to_id not in (None, moderator.pk):
            raise PhareError("conflict", extra={"assigned_to": str(case.assigned_to_id)})
        if action == "refer" and case.category not in rules.REFERABLE_CATEGORIES:
            raise PhareError("bad_request", extra={"field": "action", "reason": "not_referable"})
        # Interim measures end with the decision: its own action replaces them.
        lift_interim(case, restore_message=action == "dismiss")
        undo = _apply_action(case=case, action=action, duration=duration_seconds)
        decision = Decision.objects.create(
            case=case, moderator=moderator, action=action, reason_code=reason_code, note=note,
            duration_seconds=duration_seconds, undo=undo, own_initiative=not case.reports.exists(),
        )
        settled = strikes.settle_proposal(case=case, decision=decision)
        recorded = strikes.record_strike(decision=decision, settled=settled)
        decision.undo = {**undo, **strikes.strike_facts(recorded)}
        decision.save(update_fields=["undo"])
        case.status, case.decided_at, case.assigned_to = Case.Status.DECIDED, timezone.now(), moderator
        case.save(update_fields=["status", "decided_at", "assigned_to"])
        record_audit(actor=moderator, action="case.decided", target_type="case", target_id=str(case.pk),
                     data={"decision": decision.pk, "action": action, "reason_code": reason_code,
                           "duration_seconds": duration_seconds, "note": note, "undo": decision.undo})
        # After the case is decided, so that a step opens a case of its own, never joins this one.
        strikes.propose_step(decision=decision, recorded=recorded)
        _notices_for_decision(case=case, decision=decision, settled=settled)
        tell_moderators(case)
    return case


def bulk_decide(*, moderator: User, case_ids: list[Any], action: str, reason_code: str, note: str = "") -> dict[str, Any]:
    """The same decision on many cases; each is its own transaction, failures are reported."""
    if not isinstance(case_ids, list) or not case_ids or len(case_ids) > 100:
        raise PhareError("bad_request", extra={"field": "cases"})
    done, failed = [], {}
    for case_id in case_ids:
        try:
            decide_case(moderator=moderator, case_id=case_id, action=action, reason_code=reason_code, note=note)
            done.append(str(case_id))
        except PhareError as error:
            if error.code == "not_found" and not permissions.is_acting_moderator(moderator):
                raise
            failed[str(case_id)] = error.code
    return {"decided": done, "failed": failed}
