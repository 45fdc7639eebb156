"""Moderation services."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from moderation.audit import record_audit, verify_chain  # noqa: F401  (the public audit API)
from moderation.models import Flag


def triage_flag(*, flag_id: int) -> bool:
    """Mark a flag triaged. Idempotent: a second run finds it done and changes nothing.

    The moderation queue (cases, priorities, SLA) builds on this step.
    """
    with transaction.atomic():
        flag = Flag.objects.select_for_update().filter(pk=flag_id, triaged_at__isnull=True).first()
        if flag is None:
            return False
        flag.triaged_at = timezone.now()
        flag.save(update_fields=["triaged_at"])
    return True


def audit_policy_change(*, actor, action: str, target_type: str, target_id: str,
                        data: dict[str, Any]) -> None:
    """PHARE_POLICY_CHANGE_HOOKS: rate limits, the abuse policy and rooms' lockdowns and
    shields are audited here (accounts may not import moderation, so settings wire it)."""
    record_audit(actor=actor, action=action, target_type=target_type, target_id=target_id, data=data)
