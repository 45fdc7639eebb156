"""The console's overview: the queue and the transparency figures as bar charts, drawn on the
server as SVG (no script, no inline style: the strict CSP stays as it is).

`bar_chart` is pure: labelled counts in, the bars' geometry out, for the template
moderation/_bar_chart.html. `queue_figures` reads the database once per figure."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from moderation import rules
from moderation.models import Appeal, Case, Decision, ReportCategory
from moderation.templatetags.console_labels import CATEGORY_LABELS

# Chart geometry (SVG user units): a label column, the bars, the count after each bar.
LABEL_WIDTH = 170
BAR_WIDTH = 260
COUNT_WIDTH = 50
ROW_HEIGHT = 24
BAR_HEIGHT = 16

# How long open cases have waited, as the chart's rows: (upper bound, label).
AGE_BUCKETS: tuple[tuple[dt.timedelta | None, Any], ...] = (
    (dt.timedelta(hours=1), _("under 1 hour")),
    (dt.timedelta(hours=4), _("1 to 4 hours")),
    (dt.timedelta(hours=24), _("4 to 24 hours")),
    (dt.timedelta(days=3), _("1 to 3 days")),
    (None, _("more than 3 days")),
)
DECISION_DAYS = 14


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: int
    text_y: int


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = LABEL_WIDTH
    bar_width: int = BAR_WIDTH
    width: int = LABEL_WIDTH + BAR_WIDTH + COUNT_WIDTH

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)



def bar_chart(title: Any, rows: list[tuple[Any, int]]) -> BarChart:
    """Horizontal bars scaled to the largest count (a chart of zeros draws no bar)."""
    top = max((count for _, count in rows), default=0)
    bars = tuple(
        Bar(label=str(label), count=count, y=i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) // 2,
            width=round(BAR_WIDTH * count / top) if top else 0, text_y=i * ROW_HEIGHT + ROW_HEIGHT - 7)
        for i, (label, count) in enumerate(rows))
    return BarChart(title=str(title), bars=bars, height=max(len(bars), 1) * ROW_HEIGHT)


def _category_rows(counts: Counter) -> list[tuple[Any, int]]:
    return [(label, counts[code]) for code, label in ReportCategory.choices if counts[code]]


def queue_figures(*, now: dt.datetime | None = None) -> list[BarChart]:
    """The queue as it stands: open cases by category and by age, SLA breaches by category,
    decisions per day over two weeks, and appeals decided over 30 days."""
    now = now or timezone.now()
    open_cases = list(Case.objects.filter(status__in=[Case.Status.OPEN, Case.Status.CLAIMED])
                      .values_list("category", "created_at", "sla_due_at"))
    ages: Counter = Counter()
    for _category, created_at, _due in open_cases:
        waited = now - created_at
        ages[next(i for i, (bound, _label) in enumerate(AGE_BUCKETS) if bound is None or waited < bound)] += 1
    breached = Counter(category for category, _created, due in open_cases if due is not None and due < now)
    first_day = timezone.localdate(now) - dt.timedelta(days=DECISION_DAYS - 1)
    per_day = Counter(timezone.localdate(created) for created in Decision.objects.filter(
        created_at__date__gte=first_day).values_list("created_at", flat=True))
    days = [first_day + dt.timedelta(days=n) for n in range(DECISION_DAYS)]
    appeals = Counter(Appeal.objects.filter(decided_at__gte=now - dt.timedelta(days=30))
                      .exclude(status=Appeal.Status.PENDING).values_list("status", flat=True))
    return [
        bar_chart(_("Open cases by category"), _category_rows(Counter(c for c, _created, _due in open_cases))),
        bar_chart(_("Open cases by time waited"), [(label, ages[i]) for i, (_b, label) in enumerate(AGE_BUCKETS)]),
        bar_chart(_("Open cases past their deadline (SLA), by category"), _category_rows(breached)),
        bar_chart(_("Decisions per day (last 14 days)"),
                  [(formats.date_format(day, "SHORT_DATE_FORMAT"), per_day[day]) for day in days]),
        bar_chart(_("Appeals decided (last 30 days)"),
                  [(label, appeals[code]) for code, label in Appeal.Status.choices if code != Appeal.Status.PENDING]),
    ]


def transparency_charts(report: dict[str, Any]) -> list[BarChart]:
    """The transparency report's figures (moderation.transparency.build_report) as charts."""
    return [
        bar_chart(_("Statements of reasons by category"),
                  [(CATEGORY_LABELS.get(code, code), n) for code, n in report["notices_by_category"].items()]),
        bar_chart(_("Decisions by action"),
                  [(rules.ACTION_LABELS.get(code, code), n) for code, n in report["decisions_by_action"].items()]),
        bar_chart(_("Who started the decisions"),
                  [(_("after a report"), report["reported"]), (_("own initiative"), report["own_initiative"])]),
        bar_chart(_("How the statements were decided"),
                  [(_("automated"), report["automated"]), (_("by a person"), report["human"])]),
        bar_chart(_("Appeals"), [(_("decision upheld"), report["appeals_upheld"]),
                                 (_("decision reversed"), report["appeals_reversed"])]),
    ]
