"""Retention: messages past their retention are deleted, except what a case or a legal hold
keeps."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from chat import services as chat_services
from moderation.audit import record_audit
from moderation.models import Case, Evidence
from moderation.services.shared import setting


def purge_past_retention(*, now: dt.datetime | None = None) -> int:
    """Delete messages past their retention, except those under legal hold or attached to an
    open case (connection records are purged by accounts). Returns how many were deleted."""
    now = now or timezone.now()
    days = int(setting("PHARE_MESSAGE_RETENTION_DAYS", 365))
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
