"""Reporting: who may report what (only what they could see), the reporter's pace, filing a
report with its evidence snapshot, and reading one's own report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import throttling
from core.errors import PhareError
from accounts.models import User
from chat import services as chat_services
from chat.models import Conversation, Membership, Message, Room
from moderation import rules
from moderation.audit import record_audit
from moderation.models import Report, TrustedFlagger
from moderation.services.notify import tell_moderators
from moderation.services.score import recompute_case
from moderation.services.shared import enqueue, open_case_for, setting
from moderation.services.snapshot import snapshot_evidence


def _can_see_message(reporter: User | None, message: Message) -> bool:
    """Could `reporter` have seen `message`? Only a message on screen can be reported.

    Visitors see no message at all: the web client shows them the sign-in form, the socket
    closes with 4001 and the room list needs an account (docs/moderation.md). Signed-in
    people see visible messages of approved rooms of their own audience that they are a
    member of or could join (and so read its history), and of conversations they take part in.
    """
    if reporter is None or message.status != Message.Status.VISIBLE:
        return False
    if message.room_id is None:
        return message.conversation.involves(reporter.pk)
    room = message.room
    if room.status != Room.Status.APPROVED or room.audience != reporter.audience:
        return False
    if Membership.objects.filter(room=room, user=reporter).exists():
        return True
    try:
        chat_services.check_may_enter(user=reporter, room=room)
    except PhareError:
        return False
    return True


def _could_have_met(reporter: User | None, user: User) -> bool:
    """Someone of the reporter's own audience (rooms are per audience), or someone they have
    a conversation with. Visitors meet nobody."""
    if reporter is None or user.pk == reporter.pk:
        return False
    if user.audience == reporter.audience:
        return True
    return Conversation.objects.filter(Q(initiator=reporter, recipient=user)
                                       | Q(initiator=user, recipient=reporter)).exists()


def _resolve_target(*, reporter: User | None, target: Any) -> tuple[str, Any]:
    """The reported thing, if the reporter could see it. Anything else answers exactly like a
    non-existent id: `not_found`, or for a visitor `not_authenticated` (a visitor can see
    nothing, so the answer never depends on whether the id exists)."""
    if not isinstance(target, dict) or len(target) != 1:
        raise PhareError("bad_request", extra={"field": "target"})
    (kind, ref), = target.items()
    ref = str(ref) if isinstance(ref, (str, int)) and not isinstance(ref, bool) else ""
    unseen = PhareError("not_found" if reporter is not None else "not_authenticated")
    if kind == "message" and ref.isdecimal():
        message = Message.objects.select_related("room", "conversation", "author").filter(pk=int(ref)).first()
        if message is None or not _can_see_message(reporter, message):
            raise unseen
        return "message", message
    if kind == "user" and ref:
        query = User.objects.filter(is_active=True, deleted_at__isnull=True)
        user = query.filter(pk=int(ref)).first() if ref.isdecimal() else None
        user = user or User.objects.find_by_pseudonym(ref, among=query)
        if user is None or not _could_have_met(reporter, user):
            raise unseen
        return "user", user
    if kind == "room" and ref:
        # Visitors see no room list; signed-in people see the approved rooms of their audience.
        room = (Room.objects.filter(slug=ref, status=Room.Status.APPROVED, audience=reporter.audience).first()
                if reporter is not None else None)
        if room is None:
            raise unseen
        return "room", room
    raise PhareError("bad_request", extra={"field": "target"})


def _subject_user_and_scope(target_type: str, target: Any) -> tuple[User | None, int | None, int | None, bool]:
    """The account a decision would affect, room and conversation ids, and whether minors are involved."""
    if target_type == "message":
        minors = target.author.is_minor
        if target.room_id:
            minors = minors or target.room.audience == "minors"
        else:
            conversation = target.conversation
            minors = minors or User.objects.filter(
                pk__in=[conversation.initiator_id, conversation.recipient_id],
                age_band__in=["13-15", "16-17"]).exists()
        return target.author, target.room_id, target.conversation_id, minors
    if target_type == "user":
        return target, None, None, target.is_minor
    return target.created_by, target.pk, None, target.audience == "minors"


def _check_reporter_pace(reporter: User) -> None:
    """Reporters whose reports keep being found unfounded are slowed down, never silenced: the
    `unfounded_reports` limit (accounts.throttling's table) applies to them only."""
    window = timezone.now() - dt.timedelta(days=30)
    unfounded = Report.objects.filter(reporter=reporter, founded=False, created_at__gte=window).count()
    if unfounded < int(setting("PHARE_UNFOUNDED_REPORTS_BEFORE_SLOWDOWN", 5)):
        return
    founded = Report.objects.filter(reporter=reporter, founded=True, created_at__gte=window).count()
    if founded >= unfounded:
        return
    throttling.take("unfounded_reports", subject=reporter.pk)


def file_report(*, reporter: User | None, target: Any, category: str, details: str, good_faith: Any,
                visitor_session: str = "") -> Report:
    """File a report and its evidence snapshot; the report joins its subject's open case.

    Only what the reporter could see can be reported (`_resolve_target`). Visitors (reporter
    None) may file only the child-safety categories and carry no weight; as they can see
    nothing today, their reports are refused (`not_authenticated`). A reporter who already
    reported the same subject in its open case gets that report back. A child-safety report
    puts its case at the top of the queue at once, before triage, and alerts the moderators.
    Side effects: Evidence, Report, maybe a Case; triage enqueued after commit; audit entry.
    """
    if category not in rules.REPORT_CATEGORIES:
        raise PhareError("bad_request", extra={"field": "category"})
    if good_faith is not True:
        raise PhareError("bad_request", extra={"field": "good_faith"})
    if not isinstance(details, str) or len(details) > 2000:
        raise PhareError("bad_request", extra={"field": "details"})
    if reporter is None:
        # No pace of their own: nothing a visitor reports gets past `_resolve_target`, and the
        # API counts them per address (`report_ip`).
        if category not in rules.VISITOR_CATEGORIES:
            raise PhareError("not_authenticated")
    else:
        if reporter.is_suspended():
            raise PhareError("suspended")
        _check_reporter_pace(reporter)
    target_type, obj = _resolve_target(reporter=reporter, target=target)
    subject_user, room_id, conversation_id, minors = _subject_user_and_scope(target_type, obj)
    if reporter is not None and reporter.is_minor:
        minors = True
    trusted = reporter is not None and TrustedFlagger.objects.filter(user=reporter, active=True).exists()
    with transaction.atomic():
        case = open_case_for(subject_type=target_type, subject_id=obj.pk, defaults={
            "subject_user": subject_user, "room_id_snapshot": room_id, "conversation_id_snapshot": conversation_id,
            "category": category, "minors_involved": minors,
        })
        if reporter is not None:
            existing = Report.objects.filter(case=case, reporter=reporter).first()
            if existing is not None:
                return existing
        evidence = snapshot_evidence(target_type=target_type, target=obj)
        report = Report.objects.create(
            reporter=reporter, visitor_session=visitor_session if reporter is None else "",
            trusted_flagger=trusted, category=category, details=details, good_faith=True,
            target_type=target_type, target_id=obj.pk, case=case, evidence=evidence,
        )
        record_audit(actor=reporter, action="report.filed", target_type="report", target_id=str(report.pk),
                     data={"case": case.pk, "category": category, "subject": f"{target_type}:{obj.pk}",
                           "evidence_sha256": evidence.content_hash, "visitor": reporter is None})
        if category in rules.CHILD_SAFETY_CATEGORIES and case.is_open:
            # Urgency does not wait for the triage task (nor for a worker that may be busy).
            recompute_case(case=case)
            tell_moderators(case)
            tell_moderators(case, "moderation.alert", kind="child_safety_report")
        enqueue("triage_report", report.pk)
    return report


def get_own_report(*, user: User | None, visitor_session: str, report_id: str) -> Report:
    """The reporter's own report; anyone else's answers `not_found`."""
    if not str(report_id).isdecimal():
        raise PhareError("not_found")
    report = Report.objects.select_related("case").filter(pk=int(report_id)).first()
    if report is None:
        raise PhareError("not_found")
    if user is not None and report.reporter_id == user.pk:
        return report
    if user is None and report.reporter_id is None and visitor_session and report.visitor_session == visitor_session:
        return report
    raise PhareError("not_found")
