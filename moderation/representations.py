"""How reports, cases, notices and appeals appear in the protocol (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.representations import iso, public_user
from chat.models import Room
from moderation import gate, rules
from moderation.evidence import evidence_intact
from moderation.models import Appeal, Case, Escalation, EscalationStep, Notice, Report, Strike


def case_subject(case: Case) -> dict[str, Any]:
    subject: dict[str, Any] = {"type": case.subject_type, "id": str(case.subject_id)}
    if case.subject_user_id is not None:
        user = case.subject_user
        subject["user"] = public_user(user) if user is not None else {"id": str(case.subject_user_id)}
    if case.room_id_snapshot is not None:
        subject["room_id"] = str(case.room_id_snapshot)
    if case.conversation_id_snapshot is not None:
        subject["conversation_id"] = str(case.conversation_id_snapshot)
    return subject


def case_summary(case: Case) -> dict[str, Any]:
    """The queue's view of a case (also what the moderators' sockets receive)."""
    return {
        "id": str(case.pk),
        "status": case.status,
        "priority": case.priority,
        "category": case.category,
        "subject": case_subject(case),
        "sla_due_at": iso(case.sla_due_at),
        "sla_breached": bool(case.sla_alerted_at) and case.is_open,
        "assigned_to": str(case.assigned_to_id) if case.assigned_to_id else None,
        "minors_involved": case.minors_involved,
        "trusted_source": case.trusted_source,
        "interim": {"hidden": case.interim_hidden, "restricted": case.interim_restricted},
        "triaged": case.triaged_at is not None,
        "created_at": iso(case.created_at),
        "reports_count": getattr(case, "reports_count", None),
        "conflict_of_interest": False,
    }


def recused_case_summary(case: Case) -> dict[str, Any]:
    """A case as a moderator with a conflict of interest sees it in the queue: where it
    stands, never what or whom it is about (the subject may be that moderator)."""
    return {
        "id": str(case.pk),
        "status": case.status,
        "priority": case.priority,
        "sla_due_at": iso(case.sla_due_at),
        "sla_breached": bool(case.sla_alerted_at) and case.is_open,
        "created_at": iso(case.created_at),
        "conflict_of_interest": True,
    }


def room_proposal(case: Case) -> dict[str, Any] | None:
    """A room case's room as the moderator decides it: its name and description as they are
    now, each screened by the gate with the current policy (`allowed`, or `refused` and the
    reason code). User-written: the console escapes it like any other text."""
    if case.subject_type != "room":
        return None
    room = Room.objects.filter(pk=case.subject_id).first()
    if room is None:
        return None

    def screened(text: str) -> dict[str, Any]:
        reason = gate.screen_name(text, "room_name") if text else None
        return {"verdict": "allowed" if reason is None else "refused", "reason": reason}

    return {"id": str(room.pk), "slug": room.slug, "name": room.name, "description": room.description,
            "audience": room.audience, "status": room.status,
            "screening": {"name": screened(room.name), "description": screened(room.description)}}


def case_repr(case: Case) -> dict[str, Any]:
    """A case in full for a moderator: reports, flags, evidence, decisions."""
    reports = list(case.reports.select_related("evidence", "reporter").order_by("pk"))
    data = case_summary(case)
    data["reports_count"] = len(reports)
    data["reports"] = [
        {"id": str(r.pk), "category": r.category, "details": r.details, "created_at": iso(r.created_at),
         "reporter": public_user(r.reporter) if r.reporter else None, "trusted_flagger": r.trusted_flagger,
         "status": r.status, "evidence_id": str(r.evidence_id)}
        for r in reports
    ]
    evidence = {}
    for report in reports:
        ev = report.evidence
        evidence[str(ev.pk)] = {"id": str(ev.pk), "sha256": ev.content_hash, "intact": evidence_intact(ev),
                                "legal_hold": ev.legal_hold, "data": ev.data}
    data["evidence"] = list(evidence.values())
    data["flags"] = [
        {"id": str(f.pk), "decision": f.decision, "reasons": f.reasons, "categories": f.categories,
         "risk": f.risk, "text": f.text, "created_at": iso(f.created_at),
         "message_id": str(f.message_id_snapshot) if f.message_id_snapshot else None}
        for f in case.flags.order_by("pk")
    ]
    # What the gate refused or held from the subject (moderation.services.attempts).
    data["attempts"] = [
        {"id": str(a.pk), "context": a.context, "decision": a.decision, "reasons": a.reasons,
         "categories": a.categories, "text": a.evidence_text, "towards_minor": a.towards_minor,
         "room_id": str(a.room_id_snapshot) if a.room_id_snapshot else None,
         "conversation_id": str(a.conversation_id_snapshot) if a.conversation_id_snapshot else None,
         "recipient_id": str(a.recipient_id_snapshot) if a.recipient_id_snapshot else None,
         "message_id": str(a.message_id_snapshot) if a.message_id_snapshot else None,
         "created_at": iso(a.created_at)}
        for a in case.attempts.select_related("flag").order_by("created_at", "pk")
    ]
    data["decisions"] = [
        {"id": str(d.pk), "action": d.action, "reason_code": d.reason_code, "note": d.note,
         "moderator": str(d.moderator_id) if d.moderator_id else None, "created_at": iso(d.created_at),
         "reversed_at": iso(d.reversed_at), "duration_seconds": d.duration_seconds}
        for d in case.decisions.order_by("pk")
    ]
    data["legal_hold"] = case.legal_hold
    data["room"] = room_proposal(case)
    data["escalation"] = escalation_repr(case.escalations.order_by("-pk").first())
    data["subject_strikes"] = subject_strikes(case)
    return data


def escalation_repr(escalation: Escalation | None) -> dict[str, Any] | None:
    """The ladder's step proposed on a case (moderation.services.strikes), as a moderator
    decides it, with the person's active weight now (a reversed decision may have lowered it
    below the step since)."""
    if escalation is None:
        return None
    return {"id": str(escalation.pk), "status": escalation.status, "action": escalation.action,
            "duration_seconds": escalation.duration_seconds, "threshold": escalation.threshold,
            "active_weight_proposed": escalation.active_weight,
            "active_weight": Strike.objects.filter(user_id=escalation.user_id).active().total_weight(),
            "triggered_by": str(escalation.triggered_by_id), "created_at": iso(escalation.created_at),
            "text": step_text(escalation.action, escalation.duration_seconds)}


def subject_strikes(case: Case) -> dict[str, Any] | None:
    """The case's person's active strikes, for the moderator deciding it."""
    if case.subject_user_id is None:
        return None
    strikes = list(Strike.objects.filter(user_id=case.subject_user_id).active().select_related("decision")
                   .order_by("-created_at", "-pk"))
    return {"active_weight": sum(s.weight for s in strikes), "strikes": [strike_repr(s) for s in strikes]}


STEP_LABELS: dict[str, Any] = dict(EscalationStep.Action.choices)


def step_text(action: str, duration_seconds: int | None) -> str:
    """A ladder step in the reader's language: "mute for 1 day", "ban review"."""
    label = str(STEP_LABELS.get(action, action))
    if not duration_seconds:
        return label
    return _("%(step)s for %(duration)s") % {"step": label, "duration": _duration_text(duration_seconds)}


def step_repr(step: EscalationStep | None) -> dict[str, Any] | None:
    if step is None:
        return None
    return {"action": step.action, "duration_seconds": step.duration_seconds, "threshold": step.threshold,
            "text": step_text(step.action, step.duration_seconds)}


def strike_repr(strike: Strike) -> dict[str, Any]:
    """A strike as its person sees it: the rule broken (code and ground, in the reader's
    language), its weight, when it was given and until when it counts."""
    code = strike.decision.reason_code
    return {"id": str(strike.pk), "reason": code,
            "reason_text": str(rules.REASON_GROUNDS.get(code, rules.REASON_GROUNDS["other"])),
            "weight": strike.weight, "created_at": iso(strike.created_at), "expires_at": iso(strike.expires_at)}


def strike_record_repr(*, strikes: list[Strike], active_weight: int, next_step: EscalationStep | None) -> dict[str, Any]:
    """`GET /api/v1/me/strikes`: one's active strikes, their total weight, the next step."""
    return {"strikes": [strike_repr(s) for s in strikes], "active_weight": active_weight,
            "next_step": step_repr(next_step)}


def report_repr(report: Report) -> dict[str, Any]:
    """The reporter's view: no evidence, no moderator, only the status and outcome."""
    data: dict[str, Any] = {"id": str(report.pk), "status": report.status, "category": report.category,
                            "created_at": iso(report.created_at)}
    decision = report.case.decisions.order_by("-pk").first() if report.status in ("actioned", "no_action") else None
    if decision is not None:
        data["outcome"] = {"action": decision.action, "reason_code": decision.reason_code,
                           "decided_at": iso(decision.created_at)}
    return data


def _duration_text(seconds: int) -> str:
    if seconds % 86400 == 0:
        return _("%(n)d day(s)") % {"n": seconds // 86400}
    if seconds % 3600 == 0:
        return _("%(n)d hour(s)") % {"n": seconds // 3600}
    return _("%(n)d minute(s)") % {"n": max(1, seconds // 60)}


def _when(value: Any, with_time: bool = True) -> str:
    """A time of the notice (a datetime or the ISO string kept in its scope) as the reader's
    language writes it, once: the client shows the statement as it is."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return str(value)
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT" if with_time else "DATE_FORMAT")


def notice_text(notice: Notice) -> str:
    """The statement of reasons in the reader's language: what and its scope, the facts,
    the ground, whether automated means were used, how to appeal."""
    action = str(rules.ACTION_LABELS.get(notice.action, notice.action))
    ground = str(rules.REASON_GROUNDS.get(notice.reason_code, rules.REASON_GROUNDS["other"]))
    parts: list[str] = []
    if notice.kind == Notice.Kind.REPORT_OUTCOME:
        parts.append(_("Thank you for your report. Outcome: %(action)s.") % {"action": action})
    elif notice.kind == Notice.Kind.APPEAL_OUTCOME:
        parts.append(_("Your appeal was decided: the decision was upheld.") if notice.action == "upheld"
                     else _("Your appeal was decided: the decision was reversed and its effects undone."))
    elif notice.kind == Notice.Kind.ROOM_PROPOSAL:
        parts.append(_("Your room proposal: %(action)s.") % {"action": action})
    else:
        parts.append(_("Decision: %(action)s.") % {"action": action})
        if notice.scope.get("room"):
            parts.append(_("Where: the room %(room)s.") % {"room": notice.scope["room"]})
        if notice.scope.get("duration_seconds"):
            parts.append(_("For: %(duration)s.") % {"duration": _duration_text(int(notice.scope["duration_seconds"]))})
        if notice.scope.get("until"):
            parts.append(_("Until a moderator has reviewed it (at the latest %(until)s).")
                         % {"until": _when(notice.scope["until"])})
        if notice.scope.get("cool_down_until"):
            parts.append(_("Posting is paused for a few minutes: you can post again at %(until)s.")
                         % {"until": _when(notice.scope["cool_down_until"])})
        if notice.scope.get("first_contacts_paused"):
            parts.append(_("You cannot start new conversations until a moderator has reviewed your recent messages."))
        if notice.scope.get("strike"):
            parts.append(_("A strike of weight %(weight)d was added to your record; it counts until %(until)s. "
                           "Your active strikes now weigh %(total)d.")
                         % {"weight": notice.scope["strike"]["weight"], "total": notice.scope.get("active_weight", 0),
                            "until": _when(notice.scope["strike"]["expires_at"], with_time=False)})
        if notice.scope.get("escalation"):
            parts.append(_("This measure follows the strikes on your record: it is the step for a weight of "
                           "%(threshold)d (your active strikes weigh %(weight)d).")
                         % {"threshold": notice.scope["escalation"]["threshold"],
                            "weight": notice.scope["escalation"]["active_weight"]})
        # Notices of decisions made before the ladder (the third strike suspended by itself).
        if notice.scope.get("strike_suspension_until"):
            parts.append(_("This is a repeated violation: your account is suspended until %(until)s.")
                         % {"until": _when(notice.scope["strike_suspension_until"])})
        elif notice.scope.get("strikes") == 1:
            parts.append(_("This is a warning: repeated violations lead to a suspension."))
        if notice.facts:
            parts.append(_("Facts: the content concerned was: “%(facts)s”.") % {"facts": notice.facts})
    if notice.kind != Notice.Kind.APPEAL_OUTCOME:
        parts.append(_("Ground: %(ground)s") % {"ground": ground})
        parts.append(_("Automated means were used to detect this and take this measure.") if notice.automated
                     else _("This was decided by a person."))
    if notice.appealable_until is not None:
        parts.append(_("You can appeal until %(date)s: a different moderator will review it.")
                     % {"date": _when(notice.appealable_until, with_time=False)})
    return " ".join(parts)


def notice_repr(notice: Notice) -> dict[str, Any]:
    return {
        "id": str(notice.pk),
        "kind": notice.kind,
        "action": notice.action,
        "reason_code": notice.reason_code,
        "text": notice_text(notice),
        "automated": notice.automated,
        "appealable_until": iso(notice.appealable_until),
        "scope": notice.scope,
        "case": str(notice.case_id) if notice.case_id else None,
        "report": str(notice.report_id) if notice.report_id else None,
        "created_at": iso(notice.created_at),
    }


def appeal_repr(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": str(appeal.pk),
        "notice": str(appeal.notice_id),
        "status": appeal.status,
        "reason": appeal.reason,
        "created_at": iso(appeal.created_at),
        "decided_at": iso(appeal.decided_at),
        "case": str(appeal.notice.case_id) if appeal.notice.case_id else None,
        "decision": str(appeal.notice.decision_id) if appeal.notice.decision_id else None,
        # Set by selectors.pending_appeals for the moderator reading the list.
        "conflict_of_interest": getattr(appeal, "conflict_of_interest", False),
    }
