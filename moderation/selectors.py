"""Read-only queries for the moderator queue and the console."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Prefetch

from chat.models import Room
from moderation.models import Appeal, Case, Decision, Report
from moderation.representations import case_summary, recused_case_summary
from moderation.services.recuse import conflict_of_interest


def queue(*, moderator, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    """Cases, highest priority first, then the earliest SLA due time. A case `moderator` has
    a conflict of interest in shows only as assigned to another moderator."""
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
    if moderator is None:
        return [case_summary(case) for case in query[:limit]]
    # What conflict_of_interest reads, fetched once for the whole page.
    query = query.prefetch_related(
        Prefetch("reports", queryset=Report.objects.only("pk", "case_id", "reporter_id")),
        Prefetch("decisions", queryset=Decision.objects.only("pk", "case_id", "moderator_id", "reversed_at")))
    return [recused_case_summary(case) if conflict_of_interest(moderator=moderator, case=case) else case_summary(case)
            for case in query[:limit]]


def pending_appeals(*, moderator=None, limit: int = 200) -> list[Appeal]:
    """Pending appeals, oldest first. With `moderator`, each carries `conflict_of_interest`
    (bool): whether that moderator may not decide it."""
    appeals = list(Appeal.objects.filter(status=Appeal.Status.PENDING)
                   .select_related("notice", "notice__decision", "notice__case")
                   .prefetch_related("notice__case__reports", "notice__case__decisions")
                   .order_by("created_at")[:limit])
    if moderator is not None:
        for appeal in appeals:
            case = appeal.notice.case
            appeal.conflict_of_interest = case is not None and conflict_of_interest(
                moderator=moderator, case=case, appeal=appeal) is not None
    return appeals


def locked_down_rooms(limit: int = 200) -> list[Room]:
    """Rooms where only established accounts may post (a join-wave lockdown or the shield),
    longest-running first: they stay so until a moderator lifts them (chat.protection)."""
    return list(Room.objects.filter(established_only=True)
                .order_by(F("lockdown_started_at").asc(nulls_last=True), "pk")[:limit])
