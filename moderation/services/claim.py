"""Claiming a case, releasing it, and reading it with its evidence: a moderator's hands on a
case before the decision, each refused on a conflict of interest and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import PhareError
from accounts.models import User
from moderation.audit import record_audit
from moderation.models import Case
from moderation.services.notify import tell_moderators
from moderation.services.recuse import refuse_conflict
from moderation.services.shared import get_case_locked, require_moderator


def claim_case(*, moderator: User, case_id: Any) -> Case:
    """Assign an open case to `moderator`. The row lock makes two claims serialise: the
    second sees the first's assignment and gets `conflict` (409). A moderator with a
    conflict of interest gets 403 `conflict_of_interest`."""
    require_moderator(moderator)
    with transaction.atomic():
        case = get_case_locked(case_id)
        refuse_conflict(moderator=moderator, case=case, attempt="case.claim")
        if case.status == Case.Status.DECIDED:
            raise PhareError("conflict", extra={"status": case.status})
        if case.assigned_to_id not in (None, moderator.pk):
            raise PhareError("conflict", extra={"assigned_to": str(case.assigned_to_id)})
        if case.assigned_to_id != moderator.pk:
            case.assigned_to, case.status, case.claimed_at = moderator, Case.Status.CLAIMED, timezone.now()
            case.save(update_fields=["assigned_to", "status", "claimed_at"])
            record_audit(actor=moderator, action="case.claimed", target_type="case", target_id=str(case.pk), data={})
            tell_moderators(case)
    return case


def release_case(*, moderator: User, case_id: Any) -> Case:
    require_moderator(moderator)
    with transaction.atomic():
        case = get_case_locked(case_id)
        if case.assigned_to_id != moderator.pk or case.status != Case.Status.CLAIMED:
            raise PhareError("conflict")
        case.assigned_to, case.status, case.claimed_at = None, Case.Status.OPEN, None
        case.save(update_fields=["assigned_to", "status", "claimed_at"])
        record_audit(actor=moderator, action="case.released", target_type="case", target_id=str(case.pk), data={})
        tell_moderators(case)
    return case


def read_case(*, moderator: User, case_id: Any) -> Case:
    """A case with its evidence, for a moderator without a conflict of interest (403
    `conflict_of_interest` otherwise). Every read is audited."""
    require_moderator(moderator)
    if not str(case_id).isdecimal():
        raise PhareError("not_found")
    case = Case.objects.select_related("subject_user", "assigned_to").filter(pk=int(case_id)).first()
    if case is None:
        raise PhareError("not_found")
    refuse_conflict(moderator=moderator, case=case, attempt="evidence.read")
    record_audit(actor=moderator, action="evidence.read", target_type="case", target_id=str(case.pk), data={})
    return case
