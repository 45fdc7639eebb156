"""The console's charts: geometry from the counts, counts from the data, SVG with no script."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from moderation.models import Case, Decision
from moderation.overview import BAR_WIDTH, bar_chart, queue_figures

pytestmark = pytest.mark.django_db


def test_bars_scale_to_the_largest_count_and_zero_draws_nothing():
    chart = bar_chart("t", [("a", 4), ("b", 2), ("c", 0)])
    assert [bar.width for bar in chart.bars] == [BAR_WIDTH, BAR_WIDTH // 2, 0]
    assert chart.total == 6 and chart.height == 3 * 24
    assert [bar.width for bar in bar_chart("t", [("a", 0)]).bars] == [0]


def _case(category: str, *, age: dt.timedelta, due_in: dt.timedelta, status: str = "open") -> Case:
    now = timezone.now()
    return Case.objects.create(subject_type="user", subject_id=9_000_000 + Case.objects.count(), category=category,
                               priority=50, status=status, created_at=now - age, sla_due_at=now + due_in)


def _bars(html: str, title: str) -> dict[str, int]:
    figure = re.search(r'<figure class="chart"[^>]*>\s*<figcaption>' + re.escape(title) + r"</figcaption>(.*?)</figure>",
                       html, re.S)
    assert figure, title
    return {label: int(count) for label, count in
            re.findall(r'<g class="bar" data-label="([^"]*)" data-count="(\d+)"', figure.group(1))}


def test_overview_charts_count_the_queue(moderator):
    _case("hate", age=dt.timedelta(minutes=10), due_in=dt.timedelta(hours=2))
    _case("hate", age=dt.timedelta(hours=30), due_in=-dt.timedelta(hours=1))  # past its deadline
    _case("spam", age=dt.timedelta(hours=2), due_in=dt.timedelta(hours=20))
    decided = _case("spam", age=dt.timedelta(days=5), due_in=-dt.timedelta(days=4), status="decided")
    Decision.objects.create(case=decided, action="warn", reason_code="spam")

    with translation.override("en"):
        charts = {chart.title: {bar.label: bar.count for bar in chart.bars} for chart in queue_figures()}
    assert charts["Open cases by category"] == {"hate": 2, "spam": 1}
    by_age = charts["Open cases by time waited"]
    assert (by_age["under 1 hour"], by_age["1 to 4 hours"], by_age["1 to 3 days"]) == (1, 1, 1)
    assert charts["Open cases past their deadline (SLA), by category"] == {"hate": 1}
    assert sum(charts["Decisions per day (last 14 days)"].values()) == 1

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(moderator)
    html = client.get("/moderation/overview/").content.decode()
    assert _bars(html, "Open cases by category") == {"hate": 2, "spam": 1}
    assert _bars(html, "Open cases past their deadline (SLA), by category") == {"hate": 1}
    assert "<svg" in html and not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|<style\b", html)


def test_transparency_page_draws_the_report_figures(moderator):
    case = _case("hate", age=dt.timedelta(hours=3), due_in=dt.timedelta(hours=1), status="decided")
    Decision.objects.create(case=case, action="remove_message", reason_code="hate")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(moderator)
    html = client.get("/moderation/transparency/").content.decode()
    assert _bars(html, "Decisions by action") == {"message removed": 1}
    assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|<style\b", html)
