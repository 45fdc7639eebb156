"""The transparency export (JSON and CSV) and the operators' page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from moderation.services.report import file_report
from tests.moderation.test_overview import _bars

pytestmark = pytest.mark.django_db


def test_transparency_report_exports_json_and_csv(api, moderator, make_user, adults_room, post, tmp_path):
    message = post(make_user(pseudonym="tr_author"), adults_room)
    report = file_report(reporter=make_user(pseudonym="tr_rep"), target={"message": str(message.pk)},
                         category="hate", details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                        {"action": "remove_message", "reason_code": "hate"})
    today = timezone.now().date()
    out = io.StringIO()
    call_command("transparency_report", "--from", str(today - dt.timedelta(days=1)),
                 "--to", str(today + dt.timedelta(days=1)), stdout=out)
    data = json.loads(out.getvalue())
    assert data["notices_by_category"] == {"hate": 1}
    assert data["reported"] == 1 and data["own_initiative"] == 0
    assert data["human"] == 1 and data["automated"] == 0
    assert data["median_seconds_to_action"] is not None
    prefix = str(tmp_path / "report")
    call_command("transparency_report", "--from", str(today - dt.timedelta(days=1)),
                 "--to", str(today + dt.timedelta(days=1)), "--format", "both", "--out", prefix, stdout=io.StringIO())
    rows = list(csv.reader(open(prefix + ".csv", encoding="utf-8")))
    assert ["notices_by_category", "hate", "1"] in rows
    assert json.loads(open(prefix + ".json", encoding="utf-8").read())["decisions_total"] == 1


def test_transparency_page_for_operators(api, make_user, moderator):
    subject = make_user(pseudonym="page_subject")
    report = file_report(reporter=make_user(pseudonym="page_rep"), target={"user": str(subject.pk)},
                         category="spam", details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide", {"action": "warn", "reason_code": "spam"})
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(pseudonym="camille_o", is_operator=True))
    response = client.get("/moderation/transparency/?days=7")
    assert response.status_code == 200
    html = response.content.decode()
    # The report's figures (docs/ui.md, "Overview"): the totals, then the same as SVG charts.
    figures = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert {name: figures.get(name) for name in ("Statements of reasons", "Decisions", "After a report",
                                                 "Own initiative", "Automated", "By a person")} == {
        "Statements of reasons": "1", "Decisions": "1", "After a report": "1", "Own initiative": "0",
        "Automated": "0", "By a person": "1"}
    assert "<svg" in html
    assert _bars(html, "Statements of reasons by category") == {"spam": 1}
    assert _bars(html, "Decisions by action") == {"warning": 1}
    assert _bars(html, "Who started the decisions") == {"after a report": 1, "own initiative": 0}
    assert _bars(html, "How the statements were decided") == {"automated": 0, "by a person": 1}
    assert _bars(html, "Appeals") == {"decision upheld": 0, "decision reversed": 0}
    assert api(make_user(pseudonym="nobody_t")).get("/moderation/transparency/").status_code == 404
