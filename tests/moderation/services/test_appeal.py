"""Appeals: who may appeal, for how long, decided by a different moderator, reversal undoes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chat.models import Message
from moderation.services.report import file_report
from moderation.services.triage import alert_sla_breaches, sweep_untriaged, triage_report
from moderation.models import Appeal, AuditEntry, Notice, Strike

pytestmark = pytest.mark.django_db


@pytest.fixture
def removed(api, moderator, make_user, adults_room, post):
    author = make_user(pseudonym="appel_auteur")
    reporter = make_user(pseudonym="appel_rapport")
    message = post(author, adults_room, "message contesté")
    report = file_report(reporter=reporter, target={"message": str(message.pk)}, category="hate",
                         details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                        {"action": "remove_message", "reason_code": "hate"})
    notice = Notice.objects.get(recipient=author, kind="decision")
    return author, reporter, message, notice


def test_author_appeals_and_a_different_moderator_reverses(api, moderator, moderator2, removed):
    author, reporter, message, notice = removed
    response = api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "C'était une citation."})
    assert response.status_code == 201
    appeal_id = response.json()["appeal"]["id"]
    pending = api(moderator2).get("/api/v1/moderation/appeals").json()["appeals"]
    assert [a["id"] for a in pending] == [appeal_id]
    same = api(moderator).post(f"/api/v1/moderation/appeals/{appeal_id}/decide", {"outcome": "reversed"})
    assert same.status_code == 403 and same.json()["error"]["reason"] == "same_moderator"
    ok = api(moderator2).post(f"/api/v1/moderation/appeals/{appeal_id}/decide", {"outcome": "reversed", "note": "ok"})
    assert ok.status_code == 200 and ok.json()["appeal"]["status"] == "reversed"
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
    assert not Strike.objects.filter(user=author, revoked_at__isnull=True).exists()
    outcome = api(author).get("/api/v1/notices").json()["notices"][0]
    assert outcome["kind"] == "appeal_outcome" and outcome["action"] == "reversed"
    assert AuditEntry.objects.filter(action="appeal.decided", target_id=appeal_id).exists()
    told = Notice.objects.filter(recipient=reporter, kind="report_outcome").order_by("-pk").first()
    assert told.action == "reversed" and told.appealable_until is None
    again = api(moderator2).post(f"/api/v1/moderation/appeals/{appeal_id}/decide", {"outcome": "upheld"})
    assert again.status_code == 409


def test_upheld_appeal_changes_nothing(api, moderator2, removed):
    author, _reporter, message, notice = removed
    appeal_id = api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "non"}).json()["appeal"]["id"]
    api(moderator2).post(f"/api/v1/moderation/appeals/{appeal_id}/decide", {"outcome": "upheld"})
    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED
    assert Appeal.objects.get(pk=appeal_id).status == "upheld"


def test_reporter_may_appeal_a_dismissal_which_reopens_the_case(api, moderator, moderator2, make_user):
    subject, reporter = make_user(pseudonym="dismissed_s"), make_user(pseudonym="unhappy_r")
    report = file_report(reporter=reporter, target={"user": str(subject.pk)}, category="harassment",
                         details="", good_faith=True)
    api(moderator).post(f"/api/v1/moderation/cases/{report.case_id}/decide",
                        {"action": "dismiss", "reason_code": "no_violation"})
    notice = Notice.objects.get(recipient=reporter, kind="report_outcome")
    appeal = api(reporter).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "Il continue."}).json()
    api(moderator2).post(f"/api/v1/moderation/appeals/{appeal['appeal']['id']}/decide", {"outcome": "reversed"})
    report.case.refresh_from_db()
    assert report.case.status == "open"


def test_appeals_are_refused_after_the_window_twice_or_by_others(api, make_user, removed):
    author, _reporter, _message, notice = removed
    assert api(make_user(pseudonym="stranger_x")).post(
        "/api/v1/appeals", {"notice": str(notice.pk), "reason": "x"}).status_code == 404
    Notice.objects.filter(pk=notice.pk).update(appealable_until=timezone.now() - dt.timedelta(seconds=1))
    late = api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "x"})
    assert late.status_code == 403 and late.json()["error"]["reason"] == "appeal_window_closed"
    Notice.objects.filter(pk=notice.pk).update(appealable_until=timezone.now() + dt.timedelta(days=1))
    assert api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "x"}).status_code == 201
    assert api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "x"}).status_code == 409


def test_appeal_window_is_at_least_six_months(removed):
    _author, _reporter, _message, notice = removed
    assert notice.appealable_until - notice.created_at >= dt.timedelta(days=182)


def test_nothing_decides_an_appeal_automatically(removed, api):
    author, _reporter, _message, notice = removed
    api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "x"})
    sweep_untriaged()
    alert_sla_breaches()
    assert Appeal.objects.get().status == "pending"


def test_interim_hiding_can_be_appealed_and_a_reversal_brings_the_message_back(api, moderator, make_user, adults_room,
                                                                              post):
    author = make_user(pseudonym="hidden_author")
    message = post(author, adults_room, "pas méchant")
    for i in range(3):
        report = file_report(reporter=make_user(pseudonym=f"crowd_rep{i}"), target={"message": str(message.pk)},
                             category="hate", details="", good_faith=True)
        triage_report(report_id=report.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.HELD
    notice = Notice.objects.get(recipient=author, kind="interim")
    response = api(author).post("/api/v1/appeals", {"notice": str(notice.pk), "reason": "Rien de haineux."})
    assert response.status_code == 201, response.json()
    appeal_id = response.json()["appeal"]["id"]
    assert api(moderator).post(f"/api/v1/moderation/appeals/{appeal_id}/decide",
                               {"outcome": "reversed"}).status_code == 200
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
    case = report.case
    case.refresh_from_db()
    assert case.status == "open" and not case.interim_hidden
    # A fourth report does not hide it again: a person already looked.
    late = file_report(reporter=make_user(pseudonym="crowd_rep9"), target={"message": str(message.pk)},
                       category="hate", details="", good_faith=True)
    triage_report(report_id=late.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.VISIBLE
