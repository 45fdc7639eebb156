"""Trusted flaggers, set and removed by the operators in the admin: audited like every write
path."""

from __future__ import annotations

from django.db import transaction

from core.errors import PhareError
from accounts.models import User
from moderation.audit import record_audit
from moderation.models import TrustedFlagger


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
