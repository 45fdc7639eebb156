"""The operators' strike weights and escalation ladder (moderation.services.strikes uses
them): reading them, and changing them in the admin, each change audited. Nothing here
touches a case, so the admin reaches these without the case machinery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from core.errors import PhareError
from moderation import rules
from moderation.audit import record_audit
from moderation.models import EscalationStep, StrikeWeight


@dataclass(frozen=True)
class StrikeRule:
    weight: int
    days: int


def rule_for(reason_code: str) -> StrikeRule:
    row = StrikeWeight.objects.filter(reason_code=reason_code).first()
    if row is not None:
        return StrikeRule(weight=row.weight, days=row.days)
    weight, days = rules.STRIKE_WEIGHTS.get(reason_code, rules.STRIKE_WEIGHTS["other"])
    return StrikeRule(weight=weight, days=days)


def ladder() -> list[EscalationStep]:
    return list(EscalationStep.objects.order_by("threshold"))


def next_step(weight: int) -> EscalationStep | None:
    """The first step a person with `weight` has not reached yet."""
    return EscalationStep.objects.filter(threshold__gt=weight).order_by("threshold").first()


# --- Changes (the admin) ----------------------------------------------------------------------

def _bounded_int(value: Any, *, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PhareError("bad_request", extra={"field": field})
    return value


def set_strike_weight(*, actor: User | None, reason_code: str, weight: int, days: int) -> StrikeWeight:
    """What a strike for `reason_code` weighs and how many days it counts, from now on:
    strikes already recorded keep theirs. Audited (`strikes.weight_changed`, with the values
    before)."""
    if reason_code not in rules.STRIKE_WEIGHTS:
        raise PhareError("bad_request", extra={"field": "reason_code"})
    weight = _bounded_int(weight, field="weight", low=0, high=rules.MAX_STRIKE_WEIGHT)
    days = _bounded_int(days, field="days", low=1, high=rules.MAX_STRIKE_DAYS)
    with transaction.atomic():
        before = rule_for(reason_code)
        row, _created = StrikeWeight.objects.update_or_create(reason_code=reason_code,
                                                              defaults={"weight": weight, "days": days})
        record_audit(actor=actor, action="strikes.weight_changed", target_type="strike_weight",
                     target_id=reason_code, data={"weight": weight, "days": days,
                                                  "before": {"weight": before.weight, "days": before.days}})
    return row


def validate_step(*, threshold: Any, action: Any, duration_seconds: Any) -> dict[str, Any]:
    """A step's values, checked (`bad_request` with the `field` at fault); also the admin
    form's check."""
    threshold = _bounded_int(threshold, field="threshold", low=1, high=32767)
    if action not in rules.STEP_ACTIONS:
        raise PhareError("bad_request", extra={"field": "action"})
    if action in rules.TIMED_STEP_ACTIONS:
        duration_seconds = _bounded_int(duration_seconds, field="duration_seconds", low=60, high=10 * 365 * 86400)
    elif duration_seconds is not None:
        # A warning or a ban has no duration: one given would be shown and never applied.
        raise PhareError("bad_request", extra={"field": "duration_seconds"})
    return {"threshold": threshold, "action": action, "duration_seconds": duration_seconds}


def save_escalation_step(*, actor: User | None, step_id: int | None, threshold: int, action: str,
                         duration_seconds: int | None) -> EscalationStep:
    """Add a step (`step_id` None) or change one. Thresholds are unique (`conflict`). Applies
    to the decisions that follow; proposals already made keep their step. Audited
    (`strikes.step_added` / `strikes.step_changed`, with the values before)."""
    values = validate_step(threshold=threshold, action=action, duration_seconds=duration_seconds)
    with transaction.atomic():
        if EscalationStep.objects.filter(threshold=values["threshold"]).exclude(pk=step_id).exists():
            raise PhareError("conflict", extra={"field": "threshold"})
        if step_id is None:
            step, before = EscalationStep.objects.create(**values), None
        else:
            step = EscalationStep.objects.select_for_update().filter(pk=step_id).first()
            if step is None:
                raise PhareError("not_found")
            before = {"threshold": step.threshold, "action": step.action, "duration_seconds": step.duration_seconds}
            for field, value in values.items():
                setattr(step, field, value)
            step.save()
        record_audit(actor=actor, action="strikes.step_added" if before is None else "strikes.step_changed",
                     target_type="escalation_step", target_id=str(step.pk), data={**values, "before": before})
    return step


def remove_escalation_step(*, actor: User | None, step_id: int) -> None:
    """Remove a step: it is proposed no more (proposals already made stay). Audited
    (`strikes.step_removed`). Idempotent."""
    with transaction.atomic():
        step = EscalationStep.objects.select_for_update().filter(pk=step_id).first()
        if step is None:
            return
        step.delete()
        record_audit(actor=actor, action="strikes.step_removed", target_type="escalation_step",
                     target_id=str(step_id), data={"threshold": step.threshold, "action": step.action,
                                                   "duration_seconds": step.duration_seconds})
