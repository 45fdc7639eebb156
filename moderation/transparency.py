"""Transparency figures for a period: what the moderation did, counted, nothing personal."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import statistics
from collections import Counter
from typing import Any

from moderation.models import Appeal, Decision, Notice, Report


def utc_day(value: str) -> dt.datetime:
    """A command-line day (YYYY-MM-DD) as the start of that day in UTC (an argparse type)."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time.min, tzinfo=dt.timezone.utc)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def build_report(*, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Counts over [start, end): notices by category, reported versus own-initiative,
    automated versus human, median time to action, appeals and reversals, suspensions."""
    notices = Notice.objects.filter(created_at__gte=start, created_at__lt=end)
    statements = notices.filter(kind__in=[Notice.Kind.DECISION, Notice.Kind.INTERIM])
    decisions = Decision.objects.filter(created_at__gte=start, created_at__lt=end).select_related("case")
    by_category = Counter(statements.values_list("reason_code", flat=True))
    delays = [(d.created_at - d.case.created_at).total_seconds() for d in decisions if d.action != "dismiss"]
    appeals = Appeal.objects.filter(created_at__gte=start, created_at__lt=end)
    strike_suspensions = sum(1 for d in decisions if d.undo.get("suspended_until"))
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "notices_total": statements.count(),
        "notices_by_category": dict(sorted(by_category.items())),
        "decisions_total": len(decisions),
        "decisions_by_action": dict(sorted(Counter(d.action for d in decisions).items())),
        "reported": sum(1 for d in decisions if not d.own_initiative),
        "own_initiative": sum(1 for d in decisions if d.own_initiative),
        "automated": statements.filter(automated=True).count(),
        "human": statements.filter(automated=False).count(),
        "reports_received": Report.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        "median_seconds_to_action": statistics.median(delays) if delays else None,
        "appeals": appeals.count(),
        "appeals_reversed": appeals.filter(status=Appeal.Status.REVERSED).count(),
        "appeals_upheld": appeals.filter(status=Appeal.Status.UPHELD).count(),
        "suspensions": sum(1 for d in decisions if d.action in ("suspend", "ban")) + strike_suspensions,
    }


def report_csv(report: dict[str, Any]) -> str:
    """One `metric,key,value` row per figure."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "key", "value"])
    for metric, value in report.items():
        if isinstance(value, dict):
            for key, sub in value.items():
                writer.writerow([metric, key, sub])
        else:
            writer.writerow([metric, "", "" if value is None else value])
    return out.getvalue()
