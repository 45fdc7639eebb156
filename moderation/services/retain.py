"""Retention: messages and attempts (what the gate refused or held) past their retention are
deleted, except what a case or a legal hold keeps."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from chat import services as chat_services
from moderation.audit import record_audit
from moderation.models import Attempt, Case, Evidence
from moderation.services.shared import setting


def purge_past_retention(*, now: dt.datetime | None = None) -> int:
    """Delete messages past their retention, except those under legal hold or attached to an
    open case (connection records are purged by accounts); attempts by the same rule (kept
    while their case is open or under legal hold). Returns how many messages were deleted."""
    now = now or timezone.now()
    days = int(setting("PHARE_MESSAGE_RETENTION_DAYS", 365))
    keep: set[int] = set(Case.objects.filter(subject_type="message").filter(
        Q(status__in=["open", "claimed"]) | Q(legal_hold=True)).values_list("subject_id", flat=True))
    for data in Evidence.objects.filter(legal_hold=True).values_list("data", flat=True):
        for item in [data.get("message") or {}] + list(data.get("context") or []):
            if str(item.get("id", "")).isdecimal():
                keep.add(int(item["id"]))
    deleted = chat_services.purge_messages(before=now - dt.timedelta(days=days), keep_ids=keep)
    attempts = purge_attempts(before=now - dt.timedelta(days=days))
    if deleted or attempts:
        record_audit(actor=None, action="retention.purged", target_type="message", target_id="*",
                     data={"deleted": deleted, "retention_days": days, "kept": len(keep), "attempts_deleted": attempts})
    return deleted


def purge_attempts(*, before: dt.datetime) -> int:
    """Delete attempts recorded before `before`, except those whose case is open or under
    legal hold (the evidence a decision or a referral still needs)."""
    kept_cases = Case.objects.filter(Q(status__in=["open", "claimed"]) | Q(legal_hold=True))
    deleted, _ = Attempt.objects.filter(created_at__lt=before).exclude(case__in=kept_cases).delete()
    return deleted
