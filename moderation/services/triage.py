"""Triage: reports and gate flags join their subject's case, which is scored, takes its
interim measures and reaches the moderators' queue; image matches escalate; the sweepers
re-enqueue what a lost task left and alert on SLA breaches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from chat.models import Conversation, Message, Room
from moderation import gate, hashbanks, rules, tasks
from moderation.audit import record_audit
from moderation.models import Case, Flag, Report
from moderation.services.interim import apply_interim_measures, restrict_pending_review
from moderation.services.notify import tell_moderators
from moderation.services.score import recompute_case
from moderation.services.shared import enqueue, open_case_for


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
            apply_interim_measures(case)
            record_audit(actor=None, action="case.triaged", target_type="case", target_id=str(case.pk),
                         data={"report": report.pk, "priority": case.priority, "sla_due_at": case.sla_due_at})
            tell_moderators(case)
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
    case = open_case_for(subject_type=subject_type, subject_id=subject_id, defaults={
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
    enqueue("triage_flag", flag.pk)


def schedule_grooming_assessment(*, conversation_id: int, sender_id: int) -> None:
    """The gate found a conversation due a grooming assessment
    (moderation.signals.grooming_check_due): score it off the hot path, after commit."""
    enqueue("assess_grooming_risk", conversation_id, sender_id)


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
            apply_interim_measures(case)
            record_audit(actor=None, action="case.triaged", target_type="case", target_id=str(case.pk),
                         data={"flag": flag.pk, "priority": case.priority, "sla_due_at": case.sla_due_at})
            tell_moderators(case)
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
            tell_moderators(case, "moderation.sla_breach")
            count += 1
    return count
