"""Read-only queries for the moderator queue and the console."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from chat.models import Room
from core.errors import PhareError
from moderation.models import Appeal, Case, Decision, Report, ReportCategory
from moderation.representations import case_summary, recused_case_summary
from moderation.rules import CRITICAL_PRIORITY
from moderation.services.recuse import conflict_of_interest

QUEUE_STATUSES = ("open", "claimed", "decided", "mine", "all")
QUEUE_ASSIGNED = ("me", "none")
MAX_QUEUE_PAGE = 200
MAX_PRIORITY = 1_000_000
# Cursors are short; anything longer is refused before it is decoded.
MAX_CURSOR_CHARS = 200

# The orders the queue pages through: (field, descending, nullable), always ending with the
# primary key so that two cases never tie and a page never repeats or skips one.
_ORDERS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    # Highest priority first, then the earliest SLA due time (none last).
    "priority": (("priority", True, False), ("sla_due_at", False, True), ("pk", False, False)),
    # The latest decisions first.
    "decided": (("decided_at", True, True), ("pk", True, False)),
}


@dataclass(frozen=True)
class QueueQuery:
    """What a moderator asked of the queue: filters, where to resume, how many."""

    status: str = "open"
    category: str | None = None
    min_priority: int | None = None
    assigned: str | None = None  # "me", "none", or None for anyone
    cursor: str | None = None
    limit: int = MAX_QUEUE_PAGE

    @property
    def order(self) -> str:
        return "decided" if self.status == "decided" else "priority"

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string that asks for this view (with `changes`), for the console's links."""
        values = {"status": self.status, "category": self.category, "min_priority": self.min_priority,
                  "assigned": self.assigned, "limit": self.limit, "cursor": self.cursor, **changes}
        return {name: str(value) for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class QueuePage:
    cases: list[dict[str, Any]]
    next: str | None  # the cursor of the following page; None on the last one
    total: int  # every case the filters select, on all pages


def _bad(field: str) -> PhareError:
    return PhareError("bad_request", extra={"field": field})


def _int_param(params: Mapping[str, str], name: str, *, low: int, high: int) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdecimal() and len(text) <= 7) or not low <= int(text) <= high:
        raise _bad(name)
    return int(text)


def parse_queue_query(params: Mapping[str, str]) -> QueueQuery:
    """The queue's query string, checked: `bad_request` with the wrong `field`, never a 500.

    `status` (open, claimed, decided, mine, all), `category`, `min_priority` or `critical=1`
    (the critical priority and above), `assigned` (me, none), `cursor` (from `next`), `limit`.
    """
    status = params.get("status") or "open"
    if status not in QUEUE_STATUSES:
        raise _bad("status")
    category = params.get("category") or None
    if category is not None and category not in ReportCategory.values:
        raise _bad("category")
    assigned = params.get("assigned") or None
    if assigned is not None and assigned not in QUEUE_ASSIGNED:
        raise _bad("assigned")
    min_priority = _int_param(params, "min_priority", low=0, high=MAX_PRIORITY)
    critical = params.get("critical") or None
    if critical not in (None, "0", "1", "true", "false"):
        raise _bad("critical")
    if critical in ("1", "true"):
        min_priority = max(min_priority or 0, CRITICAL_PRIORITY)
    limit = _int_param(params, "limit", low=1, high=MAX_QUEUE_PAGE) or MAX_QUEUE_PAGE
    cursor = params.get("cursor") or None
    query = QueueQuery(status=status, category=category, min_priority=min_priority, assigned=assigned,
                       cursor=cursor, limit=limit)
    if cursor is not None:
        _decode_cursor(query.order, cursor)  # refused here, before any query
    return query


def _encode_cursor(order: str, case: Case) -> str:
    values = []
    for field, _, _ in _ORDERS[order]:
        value = getattr(case, field)
        values.append(value.isoformat() if isinstance(value, dt.datetime) else value)
    raw = json.dumps([order, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(order: str, cursor: str) -> list[Any]:
    """The last case's sort values a cursor carries; `bad_request` (`field: cursor`) for
    anything this order did not make, including a cursor of another status's order."""
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise _bad("cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        made_for, values = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise _bad("cursor") from None
    fields = _ORDERS[order]
    if made_for != order or not isinstance(values, list) or len(values) != len(fields):
        raise _bad("cursor")
    decoded: list[Any] = []
    for (field, _, nullable), value in zip(fields, values):
        if value is None and nullable:
            decoded.append(None)
        elif field.endswith("_at") and isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError("a cursor's times carry their offset")
                decoded.append(moment.astimezone(dt.timezone.utc))
            except (ValueError, OverflowError):
                raise _bad("cursor") from None
        elif not field.endswith("_at") and type(value) is int and abs(value) < 2**63:
            decoded.append(value)
        else:
            raise _bad("cursor")
    return decoded


def _after(order: str, values: list[Any]) -> Q:
    """Cases strictly after the one with `values` in `order` (keyset paging): equal on the
    first fields and past it on the next one, nulls sorting last."""
    after = Q(pk__in=[])
    equal = Q()
    for (field, descending, _), value in zip(_ORDERS[order], values):
        if value is None:
            past = Q(pk__in=[])  # nothing sorts after a null but other nulls, compared further on
            same = Q(**{f"{field}__isnull": True})
        else:
            past = Q(**{f"{field}__{'lt' if descending else 'gt'}": value}) | Q(**{f"{field}__isnull": True})
            same = Q(**{field: value})
        after |= equal & past
        equal &= same
    return after


def _order_by(order: str) -> list[Any]:
    return [F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
            for field, descending, _ in _ORDERS[order]]


def _conflicted(moderator) -> Q:
    """Cases `moderator` has a conflict of interest in, as SQL: the rule of
    moderation.services.recuse.conflict_of_interest for a case (subject, reporter, a
    reversed decision of theirs). Filters that would tell about a recused case (its category,
    whether anyone holds it) leave these out."""
    return (Q(subject_user_id=moderator.pk)
            | Exists(Report.objects.filter(case=OuterRef("pk"), reporter_id=moderator.pk))
            | Exists(Decision.objects.filter(case=OuterRef("pk"), moderator_id=moderator.pk,
                                             reversed_at__isnull=False)))


def _filtered(query: QueueQuery, moderator) -> QuerySet[Case]:
    cases = Case.objects.all()
    if query.status == "open":
        cases = cases.filter(status__in=["open", "claimed"])
    elif query.status in ("claimed", "decided"):
        cases = cases.filter(status=query.status)
    elif query.status == "mine":
        cases = cases.filter(status="claimed", assigned_to=moderator)
    if query.category is not None:
        cases = cases.filter(category=query.category)
    if query.min_priority is not None:
        cases = cases.filter(priority__gte=query.min_priority)
    if query.assigned == "me":
        cases = cases.filter(assigned_to=moderator)
    elif query.assigned == "none":
        cases = cases.filter(assigned_to__isnull=True)
    if moderator is not None and (query.category is not None or query.assigned == "none"):
        cases = cases.exclude(_conflicted(moderator))
    return cases


def queue_page(*, moderator, query: QueueQuery) -> QueuePage:
    """One page of the queue, in a stable order (highest priority, then the earliest SLA due
    time, then the id; decided cases: the latest first), with the cursor of the next page and
    the number of cases on all pages. A case `moderator` has a conflict of interest in shows
    only as assigned to another moderator."""
    cases = _filtered(query, moderator)
    total = cases.count()
    if query.cursor is not None:
        cases = cases.filter(_after(query.order, _decode_cursor(query.order, query.cursor)))
    cases = (cases.select_related("subject_user").annotate(reports_count=Count("reports"))
             .order_by(*_order_by(query.order)))
    if moderator is not None:
        # What conflict_of_interest reads, fetched once for the whole page.
        cases = cases.prefetch_related(
            Prefetch("reports", queryset=Report.objects.only("pk", "case_id", "reporter_id")),
            Prefetch("decisions", queryset=Decision.objects.only("pk", "case_id", "moderator_id", "reversed_at")))
    rows = list(cases[:query.limit + 1])
    page, more = rows[:query.limit], len(rows) > query.limit
    summaries = [recused_case_summary(case)
                 if moderator is not None and conflict_of_interest(moderator=moderator, case=case)
                 else case_summary(case) for case in page]
    return QueuePage(cases=summaries, next=_encode_cursor(query.order, page[-1]) if more else None, total=total)


def queue(*, moderator, status: str = "open", limit: int = MAX_QUEUE_PAGE) -> list[dict[str, Any]]:
    """The first page of the queue with only a status (an unknown one selects nothing)."""
    if status not in QUEUE_STATUSES:
        return []
    return queue_page(moderator=moderator, query=QueueQuery(status=status, limit=limit)).cases


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
