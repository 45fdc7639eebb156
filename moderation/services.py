"""Moderation services: reports, cases, triage, claims, decisions, notices, appeals.

Edges (views, the consumer, tasks, commands) parse and call one of these. Every decision,
action and read of evidence writes an audit entry; every broadcast and task enqueue happens
after commit. Preconditions and side effects are stated per function.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation

from accounts import permissions, throttling
from core.errors import PhareError
from accounts.models import User
from accounts.services import language_of
from chat.realtime import events
from chat import services as chat_services
from chat.models import Conversation, Membership, Message, Room
from moderation import gate, hashbanks, rules, tasks
from moderation.audit import record_audit, verify_chain  # noqa: F401  (the public audit API)
from moderation.evidence import content_hash
from moderation.models import (
    Appeal,
    Case,
    Decision,
    Evidence,
    Flag,
    Notice,
    Report,
    Strike,
    TrustedFlagger,
)
from moderation.referrals import refer_case
from moderation.representations import case_summary, notice_repr

logger = logging.getLogger(__name__)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _sla_hours() -> dict[str, float]:
    return {"critical": 1, "high": 4, "normal": 24, "low": 72, "trusted_factor": 0.5,
            **_setting("PHARE_MODERATION_SLA_HOURS", {})}


def _enqueue(task_name: str, *args: Any) -> None:
    task = getattr(tasks, task_name)
    # robust: the row is committed; if the broker is down the sweeper re-enqueues it, and the
    # caller gets its answer instead of a 500 for something that was in fact saved.
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def _tell_moderators(case: Case, event: str = "moderation.case", **extra: Any) -> None:
    # `recused`: the moderators with a conflict of interest. Their sockets do not get the event
    # at all; their console, reloading the queue, shows the case as assigned to another moderator.
    recused = recused_moderator_ids(case)
    events.send_to_moderators({"type": event, "case": case_summary(case), "recused": recused, **extra},
                              except_user_ids=[int(pk) for pk in recused])


# --- Evidence ------------------------------------------------------------------------------

def _message_snapshot(message: Message) -> dict[str, Any]:
    data = {
        "id": str(message.pk), "author_id": str(message.author_id), "author": message.author.pseudonym,
        "body": message.body, "status": message.status, "created_at": message.created_at,
    }
    if getattr(message, "image_id", None) is not None:
        # The image's identity, not its bytes: the bytes stay in quarantine storage (chat.media).
        image = chat_services.message_repr(message).get("image") or {}
        # Moderators read images through their own endpoint: blurred greyscale by default,
        # `?rendition=original` on a deliberate reveal, every read audited (docs/images.md).
        data["image"] = {"id": str(message.image_id),
                         "url": reverse("api-moderation-upload-image", args=[message.image_id]),
                         "width": image.get("width"), "height": image.get("height")}
    return data


def snapshot_evidence(*, target_type: str, target: Any) -> Evidence:
    """Freeze what the report is about: a copy, so edits or deletion never change it."""
    context_n = int(_setting("PHARE_REPORT_CONTEXT_MESSAGES", 5))
    data: dict[str, Any] = {"captured_at": timezone.now(), "target": {"type": target_type, "id": str(target.pk)}}
    if target_type == "message":
        data.update(author_id=str(target.author_id), room_id=target.room_id and str(target.room_id),
                    room=target.room.slug if target.room_id else None,
                    conversation_id=target.conversation_id and str(target.conversation_id),
                    message=_message_snapshot(target),
                    context=[_message_snapshot(m) for m in chat_services.message_context(
                        message=target, before=context_n, after=context_n) if m.pk != target.pk])
    elif target_type == "user":
        recent = Message.objects.filter(author=target).select_related("author").order_by("-pk")[: context_n * 2]
        data.update(user={"id": str(target.pk), "pseudonym": target.pseudonym, "age_band": target.age_band,
                          "date_joined": target.date_joined},
                    context=[_message_snapshot(m) for m in reversed(list(recent))])
    else:
        recent = Message.objects.filter(room=target).select_related("author").order_by("-pk")[: context_n * 2]
        data.update(room={"id": str(target.pk), "slug": target.slug, "name": target.name,
                          "description": target.description, "audience": target.audience,
                          "status": target.status, "created_by": target.created_by_id and str(target.created_by_id)},
                    context=[_message_snapshot(m) for m in reversed(list(recent))])
    clean = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return Evidence.objects.create(data=clean, content_hash=content_hash(clean))


# --- Cases ---------------------------------------------------------------------------------

def _open_case_for(*, subject_type: str, subject_id: int, defaults: dict[str, Any]) -> Case:
    """The subject's open case, created if there is none. Safe against concurrent filings:
    the partial unique index lets only one open case exist; the loser reads the winner's."""
    for _attempt in range(3):
        case = (Case.objects.select_for_update()
                .filter(subject_type=subject_type, subject_id=subject_id, status__in=["open", "claimed"]).first())
        if case is not None:
            return case
        try:
            with transaction.atomic():
                return Case.objects.create(subject_type=subject_type, subject_id=subject_id, **defaults)
        except IntegrityError:
            continue
    raise PhareError("conflict")


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
    if unfounded < int(_setting("PHARE_UNFOUNDED_REPORTS_BEFORE_SLOWDOWN", 5)):
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
        case = _open_case_for(subject_type=target_type, subject_id=obj.pk, defaults={
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
            _tell_moderators(case)
            _tell_moderators(case, "moderation.alert", kind="child_safety_report")
        _enqueue("triage_report", report.pk)
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


# --- Triage --------------------------------------------------------------------------------

def _is_critical_flag(flag: Flag) -> bool:
    category = rules.case_category_for_flag(flag.categories, flag.reasons)
    return flag.decision == Flag.Decision.ESCALATE or flag.risk >= 0.9 or category in rules.CHILD_SAFETY_CATEGORIES


def _reliability_scores(reporter_ids: list[int]) -> dict[int, float]:
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
    return sum(_reliability_scores(reporter_ids).values()) / len(reporter_ids)


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
        trusted_source=trusted, critical_flag=any(_is_critical_flag(f) for f in flags),
    ))
    sla = rules.sla_for(priority=priority, trusted_source=trusted, hours=_sla_hours())
    case.category, case.priority, case.trusted_source = category, priority, trusted
    case.sla_due_at = case.created_at + sla
    case.triaged_at = case.triaged_at or timezone.now()
    case.save(update_fields=["category", "priority", "trusted_source", "sla_due_at", "triaged_at"])
    return case


def _established_reporter_weight(case: Case) -> tuple[int, float]:
    """How many distinct established reporters reported the case, and the sum of their track
    records (`_reliability_scores`). Established: signed in, account older than
    PHARE_REPORT_ESTABLISHED_DAYS, not muted, suspended or banned, no active strike, and not
    the subject. Visitors and new accounts count for nothing here."""
    now = timezone.now()
    ids = {r.reporter_id for r in case.reports.all() if r.reporter_id is not None} - {case.subject_user_id}
    if not ids:
        return 0, 0.0
    joined_before = now - dt.timedelta(days=int(_setting("PHARE_REPORT_ESTABLISHED_DAYS", 7)))
    established = set(User.objects.filter(pk__in=ids, is_active=True, deleted_at__isnull=True, banned=False,
                                          date_joined__lte=joined_before)
                      .exclude(suspended_until__gt=now).exclude(muted_until__gt=now).values_list("pk", flat=True))
    established -= set(Strike.objects.filter(user_id__in=established, revoked_at__isnull=True, expires_at__gt=now)
                       .values_list("user_id", flat=True))
    if not established:
        return 0, 0.0
    return len(established), sum(_reliability_scores(sorted(established)).values())


def _reports_warrant_hiding(case: Case) -> bool:
    """Reports never sanction: at most they hide the reported message pending review, and
    only when several established reporters with a good enough record agree, never for a
    moderator's or operator's message (who would otherwise be silenced by a mob)."""
    if case.subject_type != "message" or case.subject_user_id is None:
        return False
    if User.objects.filter(pk=case.subject_user_id).filter(Q(is_moderator=True) | Q(is_operator=True)).exists():
        return False
    count, weight = _established_reporter_weight(case)
    return (count >= int(_setting("PHARE_INTERIM_HIDE_REPORTERS", 3))
            and weight >= float(_setting("PHARE_INTERIM_HIDE_WEIGHT", 2.0)))


def _apply_interim_measures(case: Case) -> None:
    """Hide a message that established reporters agree on or that the gate flagged as
    critical; restrict the subject of a critical child-safety gate flag. Reports alone never
    restrict anyone. Idempotent through the case's flags."""
    if case.interim_data.get("lifted_by_appeal"):
        return
    flags = list(case.flags.all())
    critical = any(_is_critical_flag(f) for f in flags)
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
                    _notify(recipient_id=message.author_id, kind=Notice.Kind.INTERIM, case=case,
                            action="hide_message", reason_code=case.category, automated=True,
                            scope={"message": str(message.pk)}, facts=message.body[:500])
    # The flags' own category, not the case's: a report must not turn a flag into a restriction.
    flag_category = "other"
    for flag in flags:
        flag_category = rules.more_severe(rules.case_category_for_flag(flag.categories, flag.reasons), flag_category)
    if critical and flag_category in rules.CHILD_SAFETY_CATEGORIES:
        restrict_pending_review(case=case)


def restrict_pending_review(*, case: Case) -> None:
    """Stop the subject from posting until a moderator decides (mute for the review period).
    Idempotent. Precondition: `case` is locked by the caller."""
    if case.interim_restricted or case.subject_user_id is None:
        return
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        hold = dt.timedelta(days=int(_setting("PHARE_INTERIM_RESTRICTION_DAYS", 30)))
        case.interim_data = {**case.interim_data, "muted_until": user.muted_until and user.muted_until.isoformat()}
        case.interim_restricted = True
        case.save(update_fields=["interim_restricted", "interim_data"])
        user.muted_until = max(user.muted_until or timezone.now(), timezone.now() + hold)
        user.save(update_fields=["muted_until"])
        chat_services.user_sanction_changed(user_id=user.pk, close=False)
        record_audit(actor=None, action="interim.restrict_user", target_type="case", target_id=str(case.pk),
                     data={"user": user.pk, "until": user.muted_until})
        _notify(recipient_id=user.pk, kind=Notice.Kind.INTERIM, case=case, action="restrict",
                reason_code=case.category, automated=True, scope={"until": user.muted_until.isoformat()})


def _lift_interim(case: Case, *, restore_message: bool) -> None:
    if case.interim_restricted and case.subject_user_id:
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
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


def triage_report(*, report_id: int) -> bool:
    """Triage one report: recompute its case, take interim measures, tell the moderators.
    Idempotent: a triaged report is left alone and the function returns False."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id, triaged_at__isnull=True).first()
        if report is None:
            return False
        case = Case.objects.select_for_update().get(pk=report.case_id)
        report.triaged_at = timezone.now()
        report.status = Report.Status.IN_REVIEW if case.is_open else report.status
        report.save(update_fields=["triaged_at", "status"])
        if case.is_open:
            recompute_case(case=case)
            _apply_interim_measures(case)
            record_audit(actor=None, action="case.triaged", target_type="case", target_id=str(case.pk),
                         data={"report": report.pk, "priority": case.priority, "sla_due_at": case.sla_due_at})
            _tell_moderators(case)
    return True


def attach_flag(*, flag: Flag) -> Case:
    """Join a gate flag to its subject's open case (a message, or its author for a refusal)."""
    if flag.message_id_snapshot is not None and Message.objects.filter(pk=flag.message_id_snapshot).exists():
        subject_type, subject_id = "message", flag.message_id_snapshot
    else:
        subject_type, subject_id = "user", flag.subject_id_snapshot
    subject = User.objects.filter(pk=flag.subject_id_snapshot).first()
    minors = bool(subject and subject.is_minor)
    if flag.room_id_snapshot:
        minors = minors or Room.objects.filter(pk=flag.room_id_snapshot, audience="minors").exists()
    if flag.conversation_id_snapshot:
        conversation = Conversation.objects.filter(pk=flag.conversation_id_snapshot).first()
        if conversation is not None:
            minors = minors or User.objects.filter(pk__in=[conversation.initiator_id, conversation.recipient_id],
                                                   age_band__in=["13-15", "16-17"]).exists()
    case = _open_case_for(subject_type=subject_type, subject_id=subject_id, defaults={
        "subject_user_id": flag.subject_id_snapshot if subject else None, "room_id_snapshot": flag.room_id_snapshot,
        "conversation_id_snapshot": flag.conversation_id_snapshot,
        "category": rules.case_category_for_flag(flag.categories, flag.reasons), "minors_involved": minors,
    })
    flag.case = case
    flag.save(update_fields=["case"])
    return case


def on_flag_filed(*, flag: Flag) -> None:
    """The gate filed `flag` (moderation.signals.flag_filed), inside the filing transaction.
    An escalation restricts the sender at once (not after the queue): the case is opened now
    and the restriction applied. Every flag is triaged after commit."""
    if flag.decision == Flag.Decision.ESCALATE:
        case = attach_flag(flag=flag)
        restrict_pending_review(case=case)
    _enqueue("triage_flag", flag.pk)


def schedule_grooming_assessment(*, conversation_id: int, sender_id: int) -> None:
    """The gate found a conversation due a grooming assessment
    (moderation.signals.grooming_check_due): score it off the hot path, after commit."""
    _enqueue("assess_grooming_risk", conversation_id, sender_id)


# Bank categories as the gate's categories, so that the case gets the right report category.
_IMAGE_GATE_CATEGORY = {"child_safety": "sexual_minors", "non_consensual_imagery": "non_consensual_imagery",
                        "terrorism": "threat", "other": "image_hash_match"}
# Bank categories as report categories (moderation.rules.SEVERITY).
_IMAGE_CASE_CATEGORY = {"child_safety": "child_safety", "non_consensual_imagery": "non_consensual_imagery",
                        "terrorism": "threat"}


def escalate_image_match(*, upload_id: int, uploader_id: int, room_id: int | None, conversation_id: int | None,
                         match: hashbanks.ImageMatch, facts: dict[str, Any]) -> int:
    """Escalate an image the scan blocked (chat.media; `gate.match_image_hashes` found it in
    a bank): an automatic flag with decision `escalate` and reason `image_hash_match`, which
    opens a critical case and restricts the uploader pending review; the case is put under
    legal hold. Returns the flag's id.

    Precondition: inside the transaction that marks the upload blocked.
    """
    verdict = gate.Verdict(decision="escalate", reasons=("image_hash_match",),
                           categories=(_IMAGE_GATE_CATEGORY.get(match.category, "image_hash_match"),), risk=1.0)
    evidence_url = reverse("api-moderation-upload-image", args=[upload_id])
    text = (f"[image upload {upload_id}] blocked: {match.hash_type} match in bank {match.bank} "
            f"({match.category}, distance {match.distance}); sha256 {facts.get('sha256', '')}; "
            f"evidence (blurred, greyscale): {evidence_url}")
    flag = gate.file_flag(verdict=verdict, subject_id=uploader_id, text=text, message_id=None,
                          room_id=room_id, conversation_id=conversation_id)
    case = flag.case if flag.case_id else attach_flag(flag=flag)
    # The case takes the bank's category, so that triage ranks it critical (severity of the
    # category plus the escalation); a more severe category already on the case stays.
    category = _IMAGE_CASE_CATEGORY.get(match.category, case.category)
    case.category = rules.more_severe(category, case.category)
    case.legal_hold = True
    case.save(update_fields=["category", "legal_hold"])
    restrict_pending_review(case=case)
    record_audit(actor=None, action="image.blocked", target_type="case", target_id=str(case.pk),
                 data={"upload": upload_id, "match": match.as_facts(), **facts})
    return flag.pk


def triage_flag(*, flag_id: int) -> bool:
    """Triage one automatic flag: join or open its case, recompute, interim measures.
    Idempotent: a triaged flag is left alone and the function returns False."""
    with transaction.atomic():
        flag = Flag.objects.select_for_update().filter(pk=flag_id, triaged_at__isnull=True).first()
        if flag is None:
            return False
        case = flag.case if flag.case_id else attach_flag(flag=flag)
        case = Case.objects.select_for_update().get(pk=case.pk)
        flag.triaged_at = timezone.now()
        flag.save(update_fields=["triaged_at"])
        if case.is_open:
            recompute_case(case=case)
            _apply_interim_measures(case)
            record_audit(actor=None, action="case.triaged", target_type="case", target_id=str(case.pk),
                         data={"flag": flag.pk, "priority": case.priority, "sla_due_at": case.sla_due_at})
            _tell_moderators(case)
    return True


def sweep_untriaged(*, older_than_seconds: int = 30) -> int:
    """Re-enqueue triage for reports and flags still untriaged: a lost task never loses one."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    count = 0
    for report_id in Report.objects.filter(triaged_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)[:1000]:
        tasks.triage_report.delay(report_id)
        count += 1
    for flag_id in Flag.objects.filter(triaged_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)[:1000]:
        tasks.triage_flag.delay(flag_id)
        count += 1
    return count


def alert_sla_breaches() -> int:
    """Tell the moderators about open cases past their SLA, once per case."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for case in (Case.objects.select_for_update(skip_locked=True)
                     .filter(status__in=["open", "claimed"], sla_due_at__lt=now, sla_alerted_at__isnull=True)[:500]):
            case.sla_alerted_at = now
            case.save(update_fields=["sla_alerted_at"])
            _tell_moderators(case, "moderation.sla_breach")
            count += 1
    return count


# --- Notices -------------------------------------------------------------------------------

def _appeal_window() -> dt.timedelta:
    return dt.timedelta(days=int(_setting("PHARE_APPEAL_DAYS", 183)))


def _notify(*, recipient_id: int, kind: str, case: Case | None, action: str, reason_code: str,
            automated: bool, decision: Decision | None = None, report: Report | None = None,
            scope: dict[str, Any] | None = None, facts: str = "", appealable: bool = True) -> Notice:
    """Write a notice and push it to the recipient's sockets after commit, its statement of
    reasons written in the recipient's language (the push has no request of theirs: whoever
    or whatever decided, a moderator's request or a task, must not choose the language)."""
    notice = Notice.objects.create(
        recipient_id=recipient_id, kind=kind, case=case, decision=decision, report=report, action=action,
        reason_code=reason_code, automated=automated, scope=scope or {}, facts=facts,
        appealable_until=timezone.now() + _appeal_window() if appealable else None,
    )
    with translation.override(language_of(user_id=recipient_id)):
        payload = {"type": "notice", **notice_repr(notice)}
    events.send_to_user(recipient_id, payload)
    return notice


def list_notices(*, user: User) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user).order_by("-created_at", "-pk")[:200])


# --- Claims and decisions --------------------------------------------------------------------

def _require_moderator(user: User | None) -> None:
    # Not a moderator now (role, suspension, deletion): the moderation API does not exist for you.
    permissions.require_moderator(user)


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


def _refuse_conflict(*, moderator: User, case: Case, attempt: str, appeal: Appeal | None = None) -> None:
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


def _get_case_locked(case_id: Any) -> Case:
    if not str(case_id).isdecimal():
        raise PhareError("not_found")
    case = Case.objects.select_for_update().filter(pk=int(case_id)).first()
    if case is None:
        raise PhareError("not_found")
    return case


def claim_case(*, moderator: User, case_id: Any) -> Case:
    """Assign an open case to `moderator`. The row lock makes two claims serialise: the
    second sees the first's assignment and gets `conflict` (409). A moderator with a
    conflict of interest gets 403 `conflict_of_interest`."""
    _require_moderator(moderator)
    with transaction.atomic():
        case = _get_case_locked(case_id)
        _refuse_conflict(moderator=moderator, case=case, attempt="case.claim")
        if case.status == Case.Status.DECIDED:
            raise PhareError("conflict", extra={"status": case.status})
        if case.assigned_to_id not in (None, moderator.pk):
            raise PhareError("conflict", extra={"assigned_to": str(case.assigned_to_id)})
        if case.assigned_to_id != moderator.pk:
            case.assigned_to, case.status, case.claimed_at = moderator, Case.Status.CLAIMED, timezone.now()
            case.save(update_fields=["assigned_to", "status", "claimed_at"])
            record_audit(actor=moderator, action="case.claimed", target_type="case", target_id=str(case.pk), data={})
            _tell_moderators(case)
    return case


def release_case(*, moderator: User, case_id: Any) -> Case:
    _require_moderator(moderator)
    with transaction.atomic():
        case = _get_case_locked(case_id)
        if case.assigned_to_id != moderator.pk or case.status != Case.Status.CLAIMED:
            raise PhareError("conflict")
        case.assigned_to, case.status, case.claimed_at = None, Case.Status.OPEN, None
        case.save(update_fields=["assigned_to", "status", "claimed_at"])
        record_audit(actor=moderator, action="case.released", target_type="case", target_id=str(case.pk), data={})
        _tell_moderators(case)
    return case


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


def _undo_action(decision: Decision) -> None:
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
    if "strike_suspension" in undo and case.subject_user_id:
        user = User.objects.select_for_update().get(pk=case.subject_user_id)
        previous = undo["strike_suspension"]
        user.suspended_until = dt.datetime.fromisoformat(previous) if previous else None
        user.save(update_fields=["suspended_until"])
    Strike.objects.filter(decision=decision, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _record_strike(decision: Decision) -> dict[str, Any]:
    """A violation on the subject's record. Warnings come first; once violations repeat,
    the account is suspended (the notice says so). Returns undo data for the suspension."""
    case = decision.case
    if case.subject_user_id is None or decision.action not in rules.STRIKE_ACTIONS:
        return {}
    now = timezone.now()
    window = dt.timedelta(days=int(_setting("PHARE_STRIKE_DAYS", 90)))
    Strike.objects.create(user_id=case.subject_user_id, decision=decision, created_at=now, expires_at=now + window)
    active = Strike.objects.filter(user_id=case.subject_user_id, revoked_at__isnull=True, expires_at__gt=now).count()
    if active < int(_setting("PHARE_STRIKES_BEFORE_SUSPENSION", 3)) or decision.action == "suspend":
        return {"strikes": active}
    user = User.objects.select_for_update().get(pk=case.subject_user_id)
    previous = user.suspended_until and user.suspended_until.isoformat()
    user.suspended_until = max(user.suspended_until or now,
                               now + dt.timedelta(seconds=int(_setting("PHARE_STRIKE_SUSPENSION_SECONDS", 7 * 24 * 3600))))
    user.save(update_fields=["suspended_until"])
    chat_services.user_sanction_changed(user_id=user.pk, close=True)
    return {"strikes": active, "strike_suspension": previous, "suspended_until": user.suspended_until.isoformat()}


def _notices_for_decision(*, case: Case, decision: Decision) -> None:
    message = _target_message(case)
    facts = message.body[:500] if message is not None else ""
    scope: dict[str, Any] = {"subject": case.subject_type}
    if message is not None:
        scope["message"] = str(message.pk)
        if message.room_id:
            scope["room"] = message.room.slug
    if decision.duration_seconds:
        scope["duration_seconds"] = decision.duration_seconds
    if "suspended_until" in decision.undo:
        scope["strike_suspension_until"] = decision.undo["suspended_until"]
    if "strikes" in decision.undo:
        scope["strikes"] = decision.undo["strikes"]
    if case.subject_user_id and decision.action not in ("dismiss", "approve_room") and (
            case.subject_type != "room" or decision.action == "reject_room"):
        kind = Notice.Kind.ROOM_PROPOSAL if case.category == "room_proposal" else Notice.Kind.DECISION
        _notify(recipient_id=case.subject_user_id, kind=kind, case=case, decision=decision, action=decision.action,
                reason_code=decision.reason_code, automated=decision.automated, scope=scope, facts=facts)
    elif case.subject_user_id and decision.action == "approve_room":
        _notify(recipient_id=case.subject_user_id, kind=Notice.Kind.ROOM_PROPOSAL, case=case, decision=decision,
                action=decision.action, reason_code=decision.reason_code, automated=False, scope=scope,
                appealable=False)
    founded = decision.action != "dismiss"
    for report in case.reports.filter(reporter__isnull=False).exclude(status__in=["actioned", "no_action"]):
        report.status = Report.Status.ACTIONED if founded else Report.Status.NO_ACTION
        report.founded = founded
        report.save(update_fields=["status", "founded"])
        _notify(recipient_id=report.reporter_id, kind=Notice.Kind.REPORT_OUTCOME, case=case, decision=decision,
                report=report, action=decision.action, reason_code=decision.reason_code,
                automated=decision.automated, scope={"report": str(report.pk), "subject": case.subject_type})
    case.reports.filter(reporter__isnull=True).update(
        status=Report.Status.ACTIONED if founded else Report.Status.NO_ACTION, founded=founded)


def decide_case(*, moderator: User, case_id: Any, action: str, reason_code: str, note: str = "",
                duration_seconds: int | None = None) -> Case:
    """Decide a case: carry out the action at once (live sockets included), record the
    decision and strikes, send notices to the affected user and the reporters.

    Precondition: the case is open and unclaimed or claimed by `moderator`, who has no
    conflict of interest in it (403 `conflict_of_interest`).
    """
    _require_moderator(moderator)
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
        case = _get_case_locked(case_id)
        # Checked at decision time, not only at claim: a report filed after the claim counts.
        _refuse_conflict(moderator=moderator, case=case, attempt="case.decide")
        if not case.is_open:
            raise PhareError("conflict", extra={"status": case.status})
        if case.assigned_to_id not in (None, moderator.pk):
            raise PhareError("conflict", extra={"assigned_to": str(case.assigned_to_id)})
        if action == "refer" and case.category not in rules.REFERABLE_CATEGORIES:
            raise PhareError("bad_request", extra={"field": "action", "reason": "not_referable"})
        # Interim measures end with the decision: its own action replaces them.
        _lift_interim(case, restore_message=action == "dismiss")
        undo = _apply_action(case=case, action=action, duration=duration_seconds)
        decision = Decision.objects.create(
            case=case, moderator=moderator, action=action, reason_code=reason_code, note=note,
            duration_seconds=duration_seconds, undo=undo, own_initiative=not case.reports.exists(),
        )
        decision.undo = {**undo, **_record_strike(decision)}
        decision.save(update_fields=["undo"])
        case.status, case.decided_at, case.assigned_to = Case.Status.DECIDED, timezone.now(), moderator
        case.save(update_fields=["status", "decided_at", "assigned_to"])
        record_audit(actor=moderator, action="case.decided", target_type="case", target_id=str(case.pk),
                     data={"decision": decision.pk, "action": action, "reason_code": reason_code,
                           "duration_seconds": duration_seconds, "note": note, "undo": decision.undo})
        _notices_for_decision(case=case, decision=decision)
        _tell_moderators(case)
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


def read_case(*, moderator: User, case_id: Any) -> Case:
    """A case with its evidence, for a moderator without a conflict of interest (403
    `conflict_of_interest` otherwise). Every read is audited."""
    _require_moderator(moderator)
    if not str(case_id).isdecimal():
        raise PhareError("not_found")
    case = Case.objects.select_related("subject_user", "assigned_to").filter(pk=int(case_id)).first()
    if case is None:
        raise PhareError("not_found")
    _refuse_conflict(moderator=moderator, case=case, attempt="evidence.read")
    record_audit(actor=moderator, action="evidence.read", target_type="case", target_id=str(case.pk), data={})
    return case


# --- Appeals -------------------------------------------------------------------------------

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
    _require_moderator(moderator)
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
            _refuse_conflict(moderator=moderator, case=appeal_case, appeal=appeal, attempt="appeal.decide")
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
                _undo_action(decision)
                case.reports.update(founded=False)
                # The reporters were told the first outcome; they are told it changed.
                for report in case.reports.filter(reporter__isnull=False).exclude(reporter_id=appeal.appellant_id):
                    _notify(recipient_id=report.reporter_id, kind=Notice.Kind.REPORT_OUTCOME, case=case,
                            decision=decision, report=report, action="reversed", reason_code=decision.reason_code,
                            automated=False, scope={"report": str(report.pk)}, appealable=False)
            decision.reversed_at = timezone.now()
            decision.save(update_fields=["reversed_at"])
        record_audit(actor=moderator, action="appeal.decided", target_type="appeal", target_id=str(appeal.pk),
                     data={"outcome": outcome, "decision": decision.pk, "note": note})
        _notify(recipient_id=appeal.appellant_id, kind=Notice.Kind.APPEAL_OUTCOME, case=case, decision=decision,
                action=outcome, reason_code=decision.reason_code, automated=False,
                scope={"appeal": str(appeal.pk)}, appealable=False)
        _tell_moderators(case)
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
        _lift_interim(case, restore_message=True)
        # A person found the automated measure wrong: triage does not take it again.
        case.interim_data = {**case.interim_data, "lifted_by_appeal": True}
        case.save(update_fields=["interim_data"])
    record_audit(actor=moderator, action="appeal.decided", target_type="appeal", target_id=str(appeal.pk),
                 data={"outcome": outcome, "interim": notice.action, "lifted": lifted, "note": note})
    _notify(recipient_id=appeal.appellant_id, kind=Notice.Kind.APPEAL_OUTCOME, case=case, action=outcome,
            reason_code=notice.reason_code, automated=False, scope={"appeal": str(appeal.pk)}, appealable=False)
    _tell_moderators(case)
    return appeal


def _reopen(case: Case) -> None:
    if Case.objects.filter(subject_type=case.subject_type, subject_id=case.subject_id,
                           status__in=["open", "claimed"]).exclude(pk=case.pk).exists():
        return
    case.status, case.assigned_to, case.decided_at, case.sla_alerted_at = Case.Status.OPEN, None, None, None
    case.save(update_fields=["status", "assigned_to", "decided_at", "sla_alerted_at"])
    case.reports.update(status=Report.Status.IN_REVIEW, founded=None)


# --- Room proposals --------------------------------------------------------------------------

def propose_room(*, user: User, name: Any, description: Any, audience: Any) -> Room:
    """A user's room proposal: screened name, a pending (invisible) room, a case for the queue.
    The proposer is told the outcome by a notice when a moderator decides."""
    from django.utils.text import slugify

    if user.is_suspended():
        raise PhareError("suspended")
    if not isinstance(name, str) or not 3 <= len(name.strip()) <= 80:
        raise PhareError("bad_request", extra={"field": "name"})
    if not isinstance(description, str) or len(description) > 500:
        raise PhareError("bad_request", extra={"field": "description"})
    if audience not in ("minors", "adults"):
        raise PhareError("bad_request", extra={"field": "audience"})
    name = name.strip()
    for text in (name, description):
        refusal = gate.screen_name(text, "room_name") if text else None
        if refusal is not None:
            raise PhareError("blocked_by_policy", extra={"reasons": [refusal]})
    pace = int(_setting("PHARE_ROOM_PROPOSALS_PER_DAY", 3))
    since = timezone.now() - dt.timedelta(days=1)
    if Room.objects.filter(created_by=user, created_at__gte=since).count() >= pace:
        raise PhareError("rate_limited", retry_after=3600)
    base = slugify(name)[:50] or "room"
    slug = base
    for n in range(2, 50):
        if not Room.objects.filter(slug=slug).exists():
            break
        slug = f"{base}-{n}"
    with transaction.atomic():
        room = chat_services.create_room_proposal(user=user, slug=slug, name=name, description=description,
                                                  audience=audience)
        case = _open_case_for(subject_type="room", subject_id=room.pk, defaults={
            "subject_user": user, "room_id_snapshot": room.pk, "category": "room_proposal",
            "minors_involved": audience == "minors",
        })
        recompute_case(case=case)
        record_audit(actor=user, action="room.proposed", target_type="room", target_id=str(room.pk),
                     data={"case": case.pk, "name": name, "audience": audience})
        _tell_moderators(case)
    return room


# --- Retention -------------------------------------------------------------------------------

def purge_past_retention(*, now: dt.datetime | None = None) -> int:
    """Delete messages past their retention, except those under legal hold or attached to an
    open case (connection records are purged by accounts). Returns how many were deleted."""
    now = now or timezone.now()
    days = int(_setting("PHARE_MESSAGE_RETENTION_DAYS", 365))
    keep: set[int] = set(Case.objects.filter(subject_type="message").filter(
        Q(status__in=["open", "claimed"]) | Q(legal_hold=True)).values_list("subject_id", flat=True))
    for data in Evidence.objects.filter(legal_hold=True).values_list("data", flat=True):
        for item in [data.get("message") or {}] + list(data.get("context") or []):
            if str(item.get("id", "")).isdecimal():
                keep.add(int(item["id"]))
    deleted = chat_services.purge_messages(before=now - dt.timedelta(days=days), keep_ids=keep)
    if deleted:
        record_audit(actor=None, action="retention.purged", target_type="message", target_id="*",
                     data={"deleted": deleted, "retention_days": days, "kept": len(keep)})
    return deleted


# --- Trusted flaggers (the admin: audited like every write path) ----------------------------

def set_trusted_flagger(*, actor: User, user_id: int, organisation: str, active: bool) -> TrustedFlagger:
    """Mark an account as a trusted flagger's (its reports jump the queue) or change its
    organisation or active flag. Nobody marks their own account (`forbidden`): that would
    raise the weight of their own reports. Audited (`policy.trusted_flagger`)."""
    if actor is not None and actor.pk == user_id:
        raise PhareError("forbidden", extra={"field": "user"})
    if not isinstance(organisation, str) or not organisation.strip() or len(organisation) > 200:
        raise PhareError("bad_request", extra={"field": "organisation"})
    with transaction.atomic():
        if not User.objects.filter(pk=user_id, deleted_at__isnull=True).exists():
            raise PhareError("not_found")
        flagger, _created = TrustedFlagger.objects.update_or_create(
            user_id=user_id, defaults={"organisation": organisation.strip(), "active": bool(active)})
        record_audit(actor=actor, action="policy.trusted_flagger", target_type="user", target_id=str(user_id),
                     data={"organisation": flagger.organisation, "active": flagger.active})
    return flagger


def remove_trusted_flagger(*, actor: User, flagger_id: int) -> None:
    """The account's reports count as anyone's again. Audited
    (`policy.trusted_flagger_removed`). Idempotent."""
    with transaction.atomic():
        flagger = TrustedFlagger.objects.select_for_update().filter(pk=flagger_id).first()
        if flagger is None:
            return
        flagger.delete()
        record_audit(actor=actor, action="policy.trusted_flagger_removed", target_type="user",
                     target_id=str(flagger.user_id), data={"organisation": flagger.organisation})
