"""Read-only queries for the moderator queue and the console."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F

from chat.models import Room
from moderation.models import Appeal, Case
from moderation.representations import case_summary


def queue(*, moderator, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    """Cases, highest priority first, then the earliest SLA due time."""
    query = Case.objects.select_related("subject_user").annotate(reports_count=Count("reports"))
    if status == "open":
        query = query.filter(status__in=["open", "claimed"])
    elif status in ("claimed", "decided"):
        query = query.filter(status=status)
    elif status == "mine":
        query = query.filter(status="claimed", assigned_to=moderator)
    elif status != "all":
        query = query.none()
    if status == "decided":
        query = query.order_by("-decided_at")
    else:
        query = query.order_by("-priority", F("sla_due_at").asc(nulls_last=True), "pk")
    return [case_summary(case) for case in query[:limit]]


def pending_appeals(limit: int = 200) -> list[Appeal]:
    return list(Appeal.objects.filter(status=Appeal.Status.PENDING).select_related("notice").order_by("created_at")[:limit])


def locked_down_rooms(limit: int = 200) -> list[Room]:
    """Rooms where only established accounts may post (a join-wave lockdown or the shield),
    longest-running first: they stay so until a moderator lifts them (chat.protection)."""
    return list(Room.objects.filter(established_only=True)
                .order_by(F("lockdown_started_at").asc(nulls_last=True), "pk")[:limit])
